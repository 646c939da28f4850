// Decodes an input image (PNG, JPEG or WebP, told apart by magic bytes) to find its average
// colour, the emulator's proof that the image reached the provider: a video made from it starts
// with a frame of that colour (video-encoder.ts). Decoders: pngjs (PNG of every bit depth,
// palette and interlace), jpeg-js, and @cwasm/webp (libwebp compiled to WebAssembly, lossy and
// lossless), so a corrupt or truncated file is refused as the vendors' decoders would.
import { decode as decodeWebp } from '@cwasm/webp';
import { decode as decodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { imageHeader, type ImageFormat } from './image-size.js';

/** Larger images are refused before decoding (the emulator's own limit: 40 megapixels, beyond
 * any of the vendors' documented input sizes, so a small file cannot blow up to gigabytes). */
export const MAX_PIXELS = 40_000_000;

export type Rgb = readonly [number, number, number];

export interface DecodedImage {
  format: ImageFormat;
  width: number;
  height: number;
  /** Mean red, green and blue over every pixel, rounded; alpha ignored. */
  average: Rgb;
}

export class ImageDecodeError extends Error {}

/** Format, size and average colour, or ImageDecodeError when the bytes are not a whole PNG, JPEG or WebP. */
export function decodeImage(bytes: Buffer): DecodedImage {
  const header = imageHeader(bytes);
  if (!header) throw new ImageDecodeError('not a PNG, JPEG or WebP image');
  if (header.width < 1 || header.height < 1) throw new ImageDecodeError('the image has no pixels');
  if (header.width * header.height > MAX_PIXELS)
    throw new ImageDecodeError(`the image has more than ${MAX_PIXELS} pixels`);
  let rgba: Uint8Array | Uint8ClampedArray;
  let width: number;
  let height: number;
  try {
    if (header.format === 'png') {
      const png = PNG.sync.read(bytes);
      ({ width, height } = png);
      rgba = png.data;
    } else if (header.format === 'jpeg') {
      const jpeg = decodeJpeg(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxMemoryUsageInMB: 1024,
        tolerantDecoding: false,
      });
      ({ width, height } = jpeg);
      rgba = jpeg.data;
    } else {
      const webp = decodeWebp(bytes);
      ({ width, height } = webp);
      rgba = webp.data;
    }
  } catch (error) {
    throw new ImageDecodeError(
      `the ${header.format.toUpperCase()} image does not decode: ${(error as Error).message}`,
    );
  }
  if (rgba.length < width * height * 4) throw new ImageDecodeError('the image is truncated');
  return { format: header.format, width, height, average: averageColour(rgba, width * height) };
}

/** RGB mean over `pixels` RGBA pixels, alpha ignored. */
export function averageColour(rgba: Uint8Array | Uint8ClampedArray, pixels: number): Rgb {
  let r = 0;
  let g = 0;
  let b = 0;
  for (let i = 0; i < pixels * 4; i += 4) {
    r += rgba[i];
    g += rgba[i + 1];
    b += rgba[i + 2];
  }
  return [Math.round(r / pixels), Math.round(g / pixels), Math.round(b / pixels)];
}
