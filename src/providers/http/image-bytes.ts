// The bytes of a request's image, for the few providers that take the file itself rather than a
// link (Sora 2's multipart `input_reference`; Veo through @ai-sdk/google, which drops URLs).
// An upload is read from the store. A caller's {url} is the one exception to "an image link is
// handed to the provider as is, never fetched by us": it is fetched here, through the adapter's
// foreign-URL rule (foreign-fetch.ts: https, public addresses, every redirect hop checked), at most
// MAX_IMAGE_BYTES, and accepted only as a whole PNG, JPEG or WebP file: the uploads API's own
// check (src/images/image-check.ts), so a linked image passes exactly what an upload passes.
import type { Readable } from 'node:stream';
import { ProviderPermanentError, ProviderTransientError } from '../../errors.js';
import { checkImage, MAX_IMAGE_BYTES } from '../../images/image-check.js';
import type { ImageBytes, JobImage } from '../provider.js';
import { fetchForeign, type ForeignUrlRule } from './foreign-fetch.js';

export { MAX_IMAGE_BYTES };

export interface ImageFetchOptions {
  /** Absent: a caller's link is never fetched (the provider refuses it). */
  rule?: ForeignUrlRule;
  fetch?: typeof fetch;
  requestTimeoutMs: number;
  /** Names the call in errors ("Sora 2 input_reference"). */
  what: string;
}

const refused = (what: string, message: string, code = 'invalid_image') =>
  new ProviderPermanentError(`${what}: ${message}`, 400, code);

/** A whole PNG, JPEG or WebP file, with its width and height; anything else refused. */
export function sniffImage(data: Buffer, what: string): ImageBytes {
  const checked = checkImage(data);
  if (!checked.ok) throw refused(what, `the image ${checked.message}`);
  return { data, contentType: checked.contentType, width: checked.width, height: checked.height };
}

/** Reads at most `limit` bytes; more is refused without reading on. */
async function readAtMost(stream: AsyncIterable<Uint8Array>, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.byteLength;
    if (total > limit) throw refused(what, `the image is larger than ${limit} bytes`, 'image_too_large');
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** The image's bytes: an upload's from the store, a link's fetched under the rule. */
export async function readImageBytes(image: JobImage, options: ImageFetchOptions): Promise<ImageBytes> {
  const { what } = options;
  if (image.source.kind === 'upload') {
    const opened = await image.source.open();
    const data = await readAtMost(opened.stream as Readable, MAX_IMAGE_BYTES, what);
    return sniffImage(data, what);
  }
  const signal = AbortSignal.timeout(options.requestTimeoutMs);
  const response = await fetchForeign(
    image.url,
    { method: 'GET', signal },
    {
      rule: options.rule,
      fetch: options.fetch ?? fetch,
      what: `${what}: fetch the image`,
      noAnswer: (error) =>
        new ProviderTransientError(
          `${what}: the image link did not answer (${(error as Error).message})`,
          undefined,
          undefined,
        ),
    },
  );
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw refused(what, `the image link answered HTTP ${response.status}`, 'image_unreachable');
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > MAX_IMAGE_BYTES) {
    await response.body.cancel().catch(() => undefined);
    throw refused(what, `the image is larger than ${MAX_IMAGE_BYTES} bytes`, 'image_too_large');
  }
  const data = await readAtMost(response.body as AsyncIterable<Uint8Array>, MAX_IMAGE_BYTES, what);
  return sniffImage(data, what);
}

/** Sora 2's rule: the image is exactly the video's `WxH` size. */
export function sizeMismatch(image: { width: number; height: number }, size: string): string | undefined {
  const match = /^(\d+)x(\d+)$/.exec(size);
  if (!match) return undefined;
  const [width, height] = [Number(match[1]), Number(match[2])];
  return image.width === width && image.height === height
    ? undefined
    : `the image is ${image.width}x${image.height}; this model needs it to be exactly the video's size, ${size}`;
}
