// What the CLI must know of POST /api/uploads to send a file: the types the API takes and its
// size limit, as the OpenAPI document states them. The CLI is a client of the API and imports no
// app code at runtime; the app's check (src/images/image-check.ts) stays the authority, and
// test/e2e/cli-logic.test.ts holds these two to it.
import type { UploadContentType } from '../src/uploads/upload-record.js';

/** The API's upload limit (10 MiB). */
export const UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024;

/** The Content-Type to send, from the file's first bytes (PNG, JPEG, WebP signatures); undefined
 * for anything else, which the API would refuse. */
export function imageTypeOf(bytes: Buffer): UploadContentType | undefined {
  const ascii = (from: number, to: number) => bytes.subarray(from, to).toString('latin1');
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  return undefined;
}
