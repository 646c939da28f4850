// Still images the API serves beside the video: a thumbnail (Sora 1: JPEG, Sora 2: WebP) and
// (Sora 2) a JPEG spritesheet of frames. Derived from the same seed as the video, so they stay
// deterministic.
import { createHash } from 'node:crypto';
import { encode } from 'jpeg-js';
import { encodeWebpLossless } from './webp.js';

/** RGBA pixels of `width` × `height` in the seed's colour with a light diagonal band at `phase` (0..1). */
export function picturePixels(width: number, height: number, seed: string, phase: number): Buffer {
  const colour = createHash('sha256').update(seed).digest();
  const data = Buffer.alloc(width * height * 4);
  const band = phase * (width + height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * 4;
      const inBand = Math.abs(x + y - band) < Math.max(4, width / 20);
      data[offset] = inBand ? 255 : colour[0];
      data[offset + 1] = inBand ? 255 : colour[1];
      data[offset + 2] = inBand ? 255 : colour[2];
      data[offset + 3] = 255;
    }
  }
  return data;
}

export const thumbnailJpeg = (width: number, height: number, seed: string) =>
  encode({ data: picturePixels(width, height, seed, 0.5), width, height }, 80).data;

/** The same picture as lossless WebP (the OpenAI videos API's thumbnail format). */
export const thumbnailWebp = (width: number, height: number, seed: string) =>
  encodeWebpLossless(picturePixels(width, height, seed, 0.5), width, height);

/** Frames side by side in one row, each a quarter of the video's size. */
export function spritesheetJpeg(width: number, height: number, seed: string, frames = 8): Buffer {
  const frameWidth = Math.max(16, Math.round(width / 4));
  const frameHeight = Math.max(16, Math.round(height / 4));
  const sheet = Buffer.alloc(frameWidth * frames * frameHeight * 4);
  const colour = createHash('sha256').update(seed).digest();
  for (let f = 0; f < frames; f++) {
    const band = (f / frames) * (frameWidth + frameHeight);
    for (let y = 0; y < frameHeight; y++) {
      for (let x = 0; x < frameWidth; x++) {
        const offset = (y * frameWidth * frames + f * frameWidth + x) * 4;
        const inBand = Math.abs(x + y - band) < 4;
        sheet[offset] = inBand ? 255 : colour[0];
        sheet[offset + 1] = inBand ? 255 : colour[1];
        sheet[offset + 2] = inBand ? 255 : colour[2];
        sheet[offset + 3] = 255;
      }
    }
  }
  return encode({ data: sheet, width: frameWidth * frames, height: frameHeight }, 80).data;
}
