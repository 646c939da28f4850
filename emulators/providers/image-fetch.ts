// Fetches an input image from the URL a caller gave, as fal and Replicate do with image inputs:
// `https:` and `http:` URLs (redirects followed, at most 5) and `data:` URIs, at most 10 MiB,
// within a timeout; then decodes it (image-decode.ts). Every failure is a value naming what went
// wrong, for each dialect to word in its vendor's error shape. Tests serve images over loopback
// https with a self-signed certificate: `caFile` (the emulator's `imageCaFile` option) adds that
// CA to Node's own roots for these fetches; NODE_EXTRA_CA_CERTS works too when the emulator is spawned.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { decodeImage, ImageDecodeError, type DecodedImage } from './image-decode.js';

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
export const IMAGE_FETCH_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 5;

export type ImageSource = 'https' | 'http' | 'data' | 'upload';

/** What admin/jobs shows about a job's image: where it came from and what it decoded to. */
export interface InputImage extends DecodedImage {
  source: ImageSource;
  bytes: number;
}

export type ImageFailure =
  /** Could not be fetched: bad scheme, connection error, timeout, a non-2xx answer. */
  | { kind: 'download'; message: string }
  /** Fetched, but over the size cap. */
  | { kind: 'too_large'; message: string }
  /** Fetched, but not a PNG, JPEG or WebP that decodes. */
  | { kind: 'not_image'; message: string };

export interface ImageFetchOptions {
  caFile?: string;
  timeoutMs?: number;
  maxBytes?: number;
}

/** The decoded image, or what went wrong. Never throws. */
export async function fetchImage(
  url: string,
  options: ImageFetchOptions = {},
): Promise<{ image: InputImage } | { failure: ImageFailure }> {
  const maxBytes = options.maxBytes ?? MAX_IMAGE_BYTES;
  let source: ImageSource;
  let bytes: Buffer;
  try {
    if (url.startsWith('data:')) {
      source = 'data';
      bytes = dataUriBytes(url);
    } else {
      const parsed = new URL(url);
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
        throw new FetchError('download', `unsupported URL scheme ${parsed.protocol}`);
      source = parsed.protocol === 'https:' ? 'https' : 'http';
      bytes = await download(parsed, options, maxBytes);
    }
  } catch (error) {
    if (error instanceof FetchError) return { failure: { kind: error.kind, message: error.message } };
    return { failure: { kind: 'download', message: (error as Error).message } };
  }
  if (bytes.length > maxBytes)
    return { failure: { kind: 'too_large', message: `the file is larger than ${maxBytes} bytes` } };
  return imageOf(bytes, source);
}

/** Decodes bytes handed over directly (a multipart file): the same checks as a fetched image. Never throws. */
export function imageOf(
  bytes: Buffer,
  source: ImageSource,
): { image: InputImage } | { failure: ImageFailure } {
  try {
    return { image: { ...decodeImage(bytes), source, bytes: bytes.length } };
  } catch (error) {
    // Never throws (the dialects fetch without awaiting): any decoder failure is "not an image".
    const message =
      error instanceof ImageDecodeError ? error.message : `it does not decode: ${(error as Error).message}`;
    return { failure: { kind: 'not_image', message } };
  }
}

class FetchError extends Error {
  constructor(
    readonly kind: ImageFailure['kind'],
    message: string,
  ) {
    super(message);
  }
}

/** `data:[<media type>][;base64],<data>` (RFC 2397). */
function dataUriBytes(uri: string): Buffer {
  const comma = uri.indexOf(',');
  if (comma < 0) throw new FetchError('download', 'malformed data URI');
  const meta = uri.slice(5, comma);
  const data = uri.slice(comma + 1);
  return meta.split(';').includes('base64') ? Buffer.from(data, 'base64') : percentDecoded(data);
}

/** Percent-encoded text as bytes (RFC 3986 §2.1: each %XX is one byte, anything else its ASCII code). */
function percentDecoded(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text[i] === '%' ? text.slice(i + 1, i + 3) : '';
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(text.charCodeAt(i) & 0xff);
  }
  return Buffer.from(bytes);
}

let cachedCa: { file: string; ca: string[] } | undefined;
function trustedCas(caFile: string): string[] {
  if (cachedCa?.file !== caFile)
    cachedCa = { file: caFile, ca: [...tls.rootCertificates, readFileSync(caFile, 'utf8')] };
  return cachedCa.ca;
}

/** GET with redirects, a size cap (announced or counted) and one deadline over every hop. */
async function download(url: URL, options: ImageFetchOptions, maxBytes: number): Promise<Buffer> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? IMAGE_FETCH_TIMEOUT_MS);
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const answer = await get(current, options, maxBytes, signal);
    if ('redirect' in answer) {
      current = new URL(answer.redirect, current);
      if (current.protocol !== 'https:' && current.protocol !== 'http:')
        throw new FetchError('download', `redirected to an unsupported URL scheme ${current.protocol}`);
      continue;
    }
    return answer.body;
  }
  throw new FetchError('download', 'too many redirects');
}

function get(
  url: URL,
  options: ImageFetchOptions,
  maxBytes: number,
  signal: AbortSignal,
): Promise<{ body: Buffer } | { redirect: string }> {
  return new Promise((resolve, reject) => {
    const onAnswer = (res: http.IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        return resolve({ redirect: res.headers.location });
      }
      if (status < 200 || status >= 300) {
        res.resume();
        return reject(new FetchError('download', `the image URL answered HTTP ${status}`));
      }
      if (Number(res.headers['content-length'] ?? 0) > maxBytes) {
        res.destroy();
        return reject(new FetchError('too_large', `the file is larger than ${maxBytes} bytes`));
      }
      const chunks: Buffer[] = [];
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length > maxBytes) {
          res.destroy();
          reject(new FetchError('too_large', `the file is larger than ${maxBytes} bytes`));
        } else chunks.push(chunk);
      });
      res.on('end', () => resolve({ body: Buffer.concat(chunks) }));
      res.on('error', (error) => reject(new FetchError('download', error.message)));
    };
    const request =
      url.protocol === 'https:'
        ? https.get(url, { signal, ...(options.caFile ? { ca: trustedCas(options.caFile) } : {}) }, onAnswer)
        : http.get(url, { signal }, onAnswer);
    request.on('error', (error) =>
      reject(new FetchError('download', signal.aborted ? 'the image download timed out' : error.message)),
    );
  });
}
