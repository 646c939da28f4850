// Small HTTP helpers every dialect shares: JSON answers, images, and video files streamed
// from disk with HEAD and single byte ranges.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Headers = Record<string, string | number>;

export function sendJson(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Headers = {},
  contentType = 'application/json',
) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendBytes(res: ServerResponse, bytes: Buffer, contentType: string) {
  res.writeHead(200, { 'content-type': contentType, 'content-length': bytes.length });
  res.end(bytes);
}

export function noContent(res: ServerResponse) {
  res.writeHead(204).end();
}

/** The absolute origin the caller used (`http://127.0.0.1:N`), so URLs we hand out lead back here. */
export function originOf(req: IncomingMessage): string {
  return `http://${req.headers.host ?? '127.0.0.1'}`;
}

/** Reads a JSON object body; undefined when absent or not an object. */
export async function readJsonObject(
  req: IncomingMessage,
): Promise<Record<string, unknown> | undefined | 'invalid'> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : 'invalid';
  } catch {
    return 'invalid';
  }
}

/** Streams a finished file from disk, honouring HEAD and single byte ranges. */
export async function serveFile(req: IncomingMessage, res: ServerResponse, file: string, truncate = false) {
  const { size, mtime } = await stat(file);
  const headers: Headers = {
    'content-type': 'video/mp4',
    'accept-ranges': 'bytes',
    'last-modified': mtime.toUTCString(),
  };
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  let start = 0;
  let end = size - 1;
  let status = 200;
  if (range && (range[1] || range[2])) {
    start = range[1] ? Number(range[1]) : size - Number(range[2]);
    end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    if (start > end || start >= size) {
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    status = 206;
    headers['content-range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['content-length'] = end - start + 1;
  res.writeHead(status, headers);
  if (req.method === 'HEAD') return res.end();
  if (truncate) {
    // Announce the full length, send half, then drop the connection: a truncated download.
    const half = start + Math.floor((end - start + 1) / 2) - 1;
    createReadStream(file, { start, end: half })
      .on('end', () => res.destroy())
      .pipe(res, { end: false });
    return;
  }
  createReadStream(file, { start, end }).pipe(res);
}
