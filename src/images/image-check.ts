// What a start image (uploaded, or fetched for a provider that takes bytes) is, decided from its bytes alone: the format by its magic bytes,
// the whole file by a structural walk (so a truncated or padded file is refused, not only a
// wrong header), and the dimensions from the headers the walk passes. Nothing is decoded
// beyond headers: the provider decodes the pixels.
// The layouts walked, and their sources: docs/image-formats.md.
import { crc32 } from 'node:zlib';

/** The image types the app takes, as a start image for image-to-video. */
export type ImageContentType = 'image/png' | 'image/jpeg' | 'image/webp';

/** The most a start image may weigh, uploaded or fetched (issue 23). */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

export type ImageCheck =
  | { ok: true; contentType: ImageContentType; width: number; height: number }
  | { ok: false; reason: 'not-an-image' | 'unsupported-format' | 'damaged'; message: string };

/** The largest side we accept: well past any video model's input, small enough to be sane. */
export const MAX_IMAGE_SIDE = 16_384;

/** A format the API does not take, recognized so the answer can be 415 rather than 400. */
const OTHER_FORMATS: { name: string; test: (head: Buffer) => boolean }[] = [
  { name: 'GIF', test: (h) => h.subarray(0, 4).toString('latin1') === 'GIF8' },
  { name: 'BMP', test: (h) => h.subarray(0, 2).toString('latin1') === 'BM' },
  { name: 'TIFF', test: (h) => /^(II\*\0|MM\0\*)$/.test(h.subarray(0, 4).toString('latin1')) },
  { name: 'AVIF/HEIC', test: (h) => h.subarray(4, 8).toString('latin1') === 'ftyp' },
  {
    name: 'SVG',
    test: (h) =>
      /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!doctype svg|<svg[\s>])/i.test(h.toString('utf8')),
  },
];

/** The format the first bytes announce (at least 12 are needed), or undefined. */
export function sniffFormat(head: Buffer): ImageContentType | undefined {
  if (head.length >= 8 && head.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (
    head.length >= 12 &&
    head.subarray(0, 4).toString('latin1') === 'RIFF' &&
    head.subarray(8, 12).toString('latin1') === 'WEBP'
  )
    return 'image/webp';
  return undefined;
}

/** The name of a recognized format we do not take (GIF, SVG, ...), or undefined. */
export function otherFormat(head: Buffer): string | undefined {
  return OTHER_FORMATS.find((format) => format.test(head))?.name;
}

/** Checks a whole file: its format by magic bytes, its structure to the last byte, its size. */
export function checkImage(bytes: Buffer): ImageCheck {
  const format = sniffFormat(bytes);
  if (!format) {
    const other = otherFormat(bytes.subarray(0, 1024));
    return other
      ? { ok: false, reason: 'unsupported-format', message: `is ${other}; send PNG, JPEG or WebP` }
      : { ok: false, reason: 'not-an-image', message: 'is not a PNG, JPEG or WebP image' };
  }
  const walked =
    format === 'image/png' ? walkPng(bytes) : format === 'image/jpeg' ? walkJpeg(bytes) : walkWebp(bytes);
  if (typeof walked === 'string') return { ok: false, reason: 'damaged', message: walked };
  const { width, height } = walked;
  if (width < 1 || height < 1 || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE)
    return {
      ok: false,
      reason: 'damaged',
      message: `has dimensions ${width}x${height}; each side must be 1-${MAX_IMAGE_SIDE} pixels`,
    };
  return { ok: true, contentType: format, width, height };
}

type Walk = { width: number; height: number } | string;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function walkPng(bytes: Buffer): Walk {
  let offset = PNG_SIGNATURE.length;
  let size: { width: number; height: number } | undefined;
  let sawData = false;
  for (let index = 0; ; index++) {
    if (offset + 12 > bytes.length) return 'is a truncated PNG (it ends inside a chunk, before IEND)';
    const length = bytes.readUInt32BE(offset);
    const type = bytes.subarray(offset + 4, offset + 8).toString('latin1');
    const end = offset + 12 + length;
    if (length > 0x7fffffff || end > bytes.length)
      return `is a truncated PNG (chunk ${JSON.stringify(type)} runs past the end)`;
    const stored = bytes.readUInt32BE(end - 4);
    if (crc32(bytes.subarray(offset + 4, end - 4)) !== stored)
      return `is a damaged PNG (chunk ${JSON.stringify(type)} fails its CRC)`;
    if (index === 0) {
      if (type !== 'IHDR' || length !== 13) return 'is a damaged PNG (it does not start with IHDR)';
      size = { width: bytes.readUInt32BE(offset + 8), height: bytes.readUInt32BE(offset + 12) };
    }
    if (type === 'IDAT') sawData = true;
    offset = end;
    if (type === 'IEND') break;
  }
  if (!sawData) return 'is a damaged PNG (it has no image data)';
  if (offset !== bytes.length) return 'is a damaged PNG (bytes follow IEND)';
  return size!;
}

/** SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC): frame headers holding the size. */
const isFrameHeader = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
/** Markers without a length: TEM and RST0-RST7 (SOI and EOI are handled apart). */
const standsAlone = (marker: number) => marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);

function walkJpeg(bytes: Buffer): Walk {
  let offset = 2; // past SOI
  let size: { width: number; height: number } | undefined;
  while (offset < bytes.length) {
    if (bytes[offset] !== 0xff) return 'is a damaged JPEG (a marker was expected)';
    while (bytes[offset] === 0xff) offset++; // fill bytes
    if (offset >= bytes.length) break;
    const marker = bytes[offset++];
    if (marker === 0xd9) {
      // Bytes after EOI are left alone: phone cameras append trailers there (docs/image-formats.md).
      return size ?? 'is a damaged JPEG (it has no frame header)';
    }
    if (standsAlone(marker)) continue;
    if (marker === 0xd8 || marker === 0x00) return 'is a damaged JPEG (an unexpected marker)';
    if (offset + 2 > bytes.length) break;
    const length = bytes.readUInt16BE(offset);
    if (length < 2 || offset + length > bytes.length) break;
    if (isFrameHeader(marker)) {
      if (length < 8) return 'is a damaged JPEG (a short frame header)';
      size = { height: bytes.readUInt16BE(offset + 3), width: bytes.readUInt16BE(offset + 5) };
    }
    offset += length;
    if (marker === 0xda) {
      // Entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or an RSTn.
      while (offset < bytes.length) {
        if (bytes[offset] === 0xff && offset + 1 < bytes.length) {
          const next = bytes[offset + 1];
          if (next !== 0x00 && !(next >= 0xd0 && next <= 0xd7) && next !== 0xff) break;
        }
        offset++;
      }
    }
  }
  return 'is a truncated JPEG (it ends before EOI)';
}

function walkWebp(bytes: Buffer): Walk {
  const riffSize = bytes.readUInt32LE(4);
  if (riffSize + 8 !== bytes.length)
    return riffSize + 8 > bytes.length
      ? 'is a truncated WebP (shorter than its RIFF size)'
      : 'is a damaged WebP (bytes follow its RIFF size)';
  let offset = 12;
  let size: { width: number; height: number } | undefined;
  while (offset < bytes.length) {
    if (offset + 8 > bytes.length) return 'is a truncated WebP (it ends inside a chunk header)';
    const type = bytes.subarray(offset, offset + 4).toString('latin1');
    const length = bytes.readUInt32LE(offset + 4);
    const data = offset + 8;
    const end = data + length + (length % 2);
    if (end > bytes.length) return `is a truncated WebP (chunk ${JSON.stringify(type)} runs past the end)`;
    if (!size) {
      const found = webpChunkSize(type, bytes.subarray(data, data + length));
      if (typeof found === 'string') return found;
      size = found;
    }
    offset = end;
  }
  return size ?? 'is a damaged WebP (it has no image chunk)';
}

/** The canvas size from the first chunk: VP8X (extended), VP8 (lossy) or VP8L (lossless). */
function webpChunkSize(type: string, data: Buffer): Walk {
  if (type === 'VP8X') {
    if (data.length < 10) return 'is a damaged WebP (a short VP8X header)';
    return { width: data.readUIntLE(4, 3) + 1, height: data.readUIntLE(7, 3) + 1 };
  }
  if (type === 'VP8 ') {
    // A key frame: 3-byte frame tag, start code 9d 01 2a, then 14-bit width and height.
    if (data.length < 10 || data[3] !== 0x9d || data[4] !== 0x01 || data[5] !== 0x2a)
      return 'is a damaged WebP (a bad VP8 key frame header)';
    return { width: data.readUInt16LE(6) & 0x3fff, height: data.readUInt16LE(8) & 0x3fff };
  }
  if (type === 'VP8L') {
    // Signature 0x2f, then 14 bits width-1 and 14 bits height-1 (little-endian bit order).
    if (data.length < 5 || data[0] !== 0x2f) return 'is a damaged WebP (a bad VP8L header)';
    const bits = data.readUInt32LE(1);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  return 'is a damaged WebP (its first chunk is not VP8, VP8L or VP8X)';
}
