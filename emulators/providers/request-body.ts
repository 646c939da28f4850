// Reads a create body as JSON or multipart/form-data (the openai SDK always sends multipart
// for videos.create). Multipart files are kept in memory up to 50 MB each (reference images
// and inpainting media are small; the limit stops a runaway upload).
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';

export interface ParsedBody {
  fields: Record<string, unknown>;
  files: Array<{ field: string; filename: string; bytes: number; content: Buffer }>;
}

export class BodyError extends Error {}

export async function readCreateBody(req: IncomingMessage): Promise<ParsedBody> {
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('multipart/form-data')) return readMultipart(req);
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new BodyError('The request body must be a JSON object.');
    return { fields: parsed as Record<string, unknown>, files: [] };
  } catch (error) {
    throw error instanceof BodyError ? error : new BodyError('The request body is not valid JSON.');
  }
}

function readMultipart(req: IncomingMessage): Promise<ParsedBody> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, unknown> = {};
    const files: ParsedBody['files'] = [];
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: 50 * 1024 * 1024 } });
    } catch {
      reject(new BodyError('The multipart body is malformed.'));
      return;
    }
    parser.on('field', (name, value) => (fields[name] = value));
    parser.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      const file = { field, filename: info.filename ?? '', bytes: 0, content: Buffer.alloc(0) };
      files.push(file);
      stream.on('data', (chunk: Buffer) => {
        file.bytes += chunk.length;
        chunks.push(chunk);
      });
      stream.on('end', () => (file.content = Buffer.concat(chunks)));
    });
    parser.on('error', () => reject(new BodyError('The multipart body is malformed.')));
    parser.on('close', () => resolve({ fields, files }));
    req.pipe(parser);
  });
}
