// Makes the emulator's videos: real H.264 MP4 files at the requested size and duration that
// ffprobe and players accept, identical bytes for identical job input (the picture is a
// pattern derived from the prompt), written to disk so they can be served as streams. A video
// made from an input image starts with one frame filled with the image's average colour, so a
// test can decode frame 1 and prove the image reached the provider.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import type { Rgb } from './image-decode.js';

export interface VideoSpec {
  width: number;
  height: number;
  seconds: number;
  /** Anything that should change the picture (prompt, generation index). */
  seed: string;
  /** Pad the file to at least this many bytes with a trailing MP4 `free` box. */
  padToBytes?: number;
  /** The input image's average colour: the first frame is filled with it (image-decode.ts). */
  firstFrame?: Rgb;
}

/** Low frame rate keeps encoding cheap; the duration is still exact (frames / rate). */
const FRAME_RATE = 8;

type EncoderModule = typeof import('h264-mp4-encoder');
let encoderModule: EncoderModule | undefined;

/**
 * Loading the encoder's Emscripten runtime adds process-wide handlers that abort the whole
 * process on any unhandled rejection or exception, anywhere (a test's, a host's). It is loaded
 * lazily and whatever it added is removed: the emulator must not change how its host fails.
 */
function loadEncoder(): EncoderModule {
  if (encoderModule) return encoderModule;
  const rejectionHandlers = new Set(process.listeners('unhandledRejection'));
  const exceptionHandlers = new Set(process.listeners('uncaughtException'));
  try {
    encoderModule = require('h264-mp4-encoder') as EncoderModule;
  } finally {
    for (const listener of process.listeners('unhandledRejection'))
      if (!rejectionHandlers.has(listener)) process.removeListener('unhandledRejection', listener);
    for (const listener of process.listeners('uncaughtException'))
      if (!exceptionHandlers.has(listener)) process.removeListener('uncaughtException', listener);
  }
  return encoderModule;
}

/** Encodes the video into `file` (written to a temp name first, so readers never see half a file). */
export async function encodeVideoFile(spec: VideoSpec, file: string): Promise<number> {
  const encoder = await loadEncoder().createH264MP4Encoder();
  try {
    encoder.width = spec.width;
    encoder.height = spec.height;
    encoder.frameRate = FRAME_RATE;
    encoder.quantizationParameter = 40; // small files; these are test videos
    encoder.speed = 10;
    encoder.groupOfPictures = FRAME_RATE * 2;
    encoder.initialize();
    const hue = createHash('sha256').update(spec.seed).digest();
    const frame = new Uint8Array(spec.width * spec.height * 4);
    const frames = Math.round(spec.seconds * FRAME_RATE);
    for (let index = 0; index < frames; index++) {
      if (index === 0 && spec.firstFrame) fillFrame(frame, spec.firstFrame);
      else paintFrame(frame, spec.width, spec.height, index, hue);
      encoder.addFrameRgba(frame);
    }
    encoder.finalize();
    const mp4 = encoder.FS.readFile(encoder.outputFilename);
    encoder.FS.unlink(encoder.outputFilename);
    zeroTimestamps(mp4, 0, mp4.length);
    const temp = `${file}.partial`;
    await writeFile(temp, mp4);
    let bytes = mp4.length;
    if (spec.padToBytes && spec.padToBytes > bytes + 8)
      bytes += await appendFreeBox(temp, spec.padToBytes - bytes);
    await rename(temp, file);
    return bytes;
  } finally {
    encoder.delete();
  }
}

/** The muxer stamps the wall clock into mvhd/tkhd/mdhd; zero those so equal input gives
 * equal bytes. Walks the box tree (moov → trak → mdia) rather than searching for names,
 * which could also match inside the video data. */
function zeroTimestamps(mp4: Uint8Array, start: number, end: number) {
  const view = new DataView(mp4.buffer, mp4.byteOffset, mp4.byteLength);
  for (let offset = start; offset + 8 <= end;) {
    const size = view.getUint32(offset);
    const type = String.fromCharCode(...mp4.subarray(offset + 4, offset + 8));
    if (size < 8 || offset + size > end) return;
    if (type === 'moov' || type === 'trak' || type === 'mdia') zeroTimestamps(mp4, offset + 8, offset + size);
    if (type === 'mvhd' || type === 'tkhd' || type === 'mdhd') {
      const version = mp4[offset + 8];
      mp4.fill(0, offset + 12, offset + 12 + (version === 1 ? 16 : 8));
    }
    offset += size;
  }
}

/** A moving diagonal band over a background colour taken from the seed. */
function paintFrame(frame: Uint8Array, width: number, height: number, index: number, seed: Buffer) {
  const band = Math.floor((index * (width + height)) / (FRAME_RATE * 4)) % (width + height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * 4;
      const inBand = Math.abs(x + y - band) < 24;
      frame[offset] = inBand ? 255 : seed[0];
      frame[offset + 1] = inBand ? 255 : seed[1];
      frame[offset + 2] = inBand ? 255 : seed[2];
      frame[offset + 3] = 255;
    }
  }
}

/** One colour over the whole frame (the first frame of a video made from an image). */
function fillFrame(frame: Uint8Array, [red, green, blue]: Rgb) {
  for (let offset = 0; offset < frame.length; offset += 4) {
    frame[offset] = red;
    frame[offset + 1] = green;
    frame[offset + 2] = blue;
    frame[offset + 3] = 255;
  }
}

/** Appends a `free` box of `size` bytes (ignored by every MP4 reader), streamed in 1 MiB chunks. */
async function appendFreeBox(file: string, size: number): Promise<number> {
  if (size > 0xffffffff) throw new Error('padding above 4 GiB needs a 64-bit box size');
  const out = createWriteStream(file, { flags: 'a' });
  const header = Buffer.alloc(8);
  header.writeUInt32BE(size, 0);
  header.write('free', 4, 'latin1');
  out.write(header);
  const zeros = Buffer.alloc(1024 * 1024);
  for (let left = size - 8; left > 0; left -= zeros.length) {
    if (!out.write(left >= zeros.length ? zeros : zeros.subarray(0, left))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return size;
}
