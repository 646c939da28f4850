// Reads an uploaded image's body only as far as it needs to: a declared Content-Length over the
// limit is refused before a byte is read, a body passing the limit stops being read there (as
// ../functions/read-body.ts does for JSON), and bytes that are not the declared format are
// refused on their first bytes, keeping none after them. Only a body that passes all of it is
// checked whole (image-check.ts) and returned; nothing is stored here.
import { checkImage, MAX_IMAGE_BYTES, otherFormat, sniffFormat } from '../images/image-check.js';
import type { UploadContentType } from './upload-record.js';

/** The largest image taken: 10 MiB. */
export const MAX_UPLOAD_BYTES = MAX_IMAGE_BYTES;

/** Enough bytes to tell PNG, JPEG and WebP apart (WebP needs 12). */
const SNIFF_BYTES = 12;
/** Enough to recognize the formats we refuse by name (an SVG may open with an XML prolog). */
const OTHER_SNIFF_BYTES = 1024;

export type Received =
  | { ok: true; bytes: Buffer; contentType: UploadContentType; width: number; height: number }
  | { ok: false; status: 400 | 413 | 415; message: string };

const NAMES: Record<UploadContentType, string> = {
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
  'image/webp': 'WebP',
};

/** Reads the rest of a refused body and drops it (`read` bytes came before), so the client
 * finishes sending and hears the answer rather than a reset connection; once the body passes
 * `limit` it is not read further. Nothing is kept. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, read: number, limit: number) {
  for (let size = read; ;) {
    const { done, value } = await reader.read();
    if (done) return;
    size += value.byteLength;
    if (size > limit) break;
  }
  await reader.cancel().catch(() => undefined);
}

/** A refused body, dropped as `drain` does; one that declares more than `limit` is not read. */
export async function discardBody(
  body: ReadableStream<Uint8Array> | null,
  contentLength: string | null,
  limit = MAX_UPLOAD_BYTES,
): Promise<void> {
  if (!body) return;
  const reader = body.getReader();
  if (contentLength !== null && Number(contentLength) > limit) await reader.cancel().catch(() => undefined);
  else await drain(reader, 0, limit);
}

export async function receiveImage(
  body: ReadableStream<Uint8Array> | null,
  declared: UploadContentType,
  contentLength: string | null,
  limit = MAX_UPLOAD_BYTES,
): Promise<Received> {
  const tooLarge = { ok: false, status: 413, message: `is larger than ${limit} bytes` } as const;
  if (contentLength !== null && Number(contentLength) > limit) return tooLarge;
  const chunks: Buffer[] = [];
  let size = 0;
  let sniffed = false;
  const reader = body?.getReader();
  const stop = async <T>(answer: T): Promise<T> => {
    await reader?.cancel().catch(() => undefined);
    return answer;
  };
  /** A refusal decided on the first bytes: the rest is dropped (`drain`), never kept. */
  const refuse = async <T>(answer: T): Promise<T> => {
    if (reader) await drain(reader, size, limit);
    return answer;
  };
  for (;;) {
    const { done, value } = reader ? await reader.read() : { done: true, value: undefined };
    if (value) {
      size += value.byteLength;
      if (size > limit) return stop(tooLarge);
      chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength)); // a view, not a copy
    }
    if (
      !sniffed &&
      (done || size >= OTHER_SNIFF_BYTES || (size >= SNIFF_BYTES && sniffFormat(Buffer.concat(chunks))))
    ) {
      sniffed = true;
      const head = Buffer.concat(chunks);
      const format = sniffFormat(head);
      if (format && format !== declared)
        return refuse({
          ok: false,
          status: 415,
          message: `is ${NAMES[format]} but was sent as ${declared}; the Content-Type must match the bytes`,
        } as const);
      if (!format) {
        const other = otherFormat(head);
        return refuse({
          ok: false,
          status: other ? 415 : 400,
          message: other
            ? `is ${other}, sent as ${declared}; send PNG, JPEG or WebP`
            : size === 0
              ? 'is empty; send the image as the body'
              : `is not a ${NAMES[declared]} image`,
        } as const);
      }
    }
    if (done) break;
  }
  const bytes = Buffer.concat(chunks, size);
  const checked = checkImage(bytes);
  if (!checked.ok)
    return {
      ok: false,
      status: checked.reason === 'unsupported-format' ? 415 : 400,
      message: checked.message,
    };
  return { ok: true, bytes, contentType: checked.contentType, width: checked.width, height: checked.height };
}
