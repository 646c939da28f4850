// Input images for the image-to-video tests and the check of what a video's first frame shows:
// two-tone pictures (so the mean is not any one pixel) as PNG, JPEG and WebP, their RGB mean in
// BT.601 limited-range YUV, frame 1 of a video measured by ffmpeg's signalstats, and a loopback
// https server with a throwaway self-signed certificate made by the openssl CLI (nothing committed).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ffprobe from '@ffprobe-installer/ffprobe';
import { encode as encodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { encodeWebpLossless } from '../../emulators/providers/webp.js';

const run = promisify(execFile);

export type Rgb = [number, number, number];

/** RGBA pixels: the left half `left`, the right half `right`, fully opaque. */
export function twoTone(width: number, height: number, left: Rgb, right: Rgb): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const colour = x < width / 2 ? left : right;
      data.set([...colour, 255], (y * width + x) * 4);
    }
  return data;
}

/** The RGB mean of RGBA pixels, computed here from the pixels the test made. */
export function meanOf(rgba: Buffer): Rgb {
  const sums = [0, 0, 0];
  for (let i = 0; i < rgba.length; i += 4) for (let c = 0; c < 3; c++) sums[c] += rgba[i + c];
  const n = rgba.length / 4;
  return sums.map((s) => s / n) as Rgb;
}

export const pngOf = (rgba: Buffer, width: number, height: number) => {
  const png = new PNG({ width, height });
  rgba.copy(png.data);
  return PNG.sync.write(png);
};
export const jpegOf = (rgba: Buffer, width: number, height: number) =>
  encodeJpeg({ data: rgba, width, height }, 95).data;
export const webpOf = (rgba: Buffer, width: number, height: number) =>
  encodeWebpLossless(rgba, width, height);

/** BT.601 limited-range Y, U, V of an RGB colour (what an H.264 encoder stores). */
export function bt601([r, g, b]: Rgb): Rgb {
  return [
    16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255,
    128 + (-37.797 * r - 74.203 * g + 112 * b) / 255,
    128 + (112 * r - 93.786 * g - 18.214 * b) / 255,
  ];
}

/** Average Y, U, V of the first `frames` frames of the video at `url` (fetched without auth). */
export async function framesYuv(url: string, frames = 2): Promise<Rgb[]> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
  return framesYuvOf(Buffer.from(await response.arrayBuffer()), frames);
}

/** Average Y, U, V of the first `frames` frames of a video (or of an image, one frame), decoded
 * by ffmpeg (signalstats); `fileName`'s extension tells ffmpeg what the bytes are. */
export async function framesYuvOf(bytes: Buffer, frames = 2, fileName = 'video.mp4'): Promise<Rgb[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'first-frame-'));
  try {
    const file = path.join(dir, fileName);
    writeFileSync(file, bytes);
    const { stdout } = await run(ffprobe.path, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `movie=${file},signalstats`,
      '-show_entries',
      'frame_tags=lavfi.signalstats.YAVG,lavfi.signalstats.UAVG,lavfi.signalstats.VAVG',
      '-read_intervals',
      `%+#${frames}`,
      '-of',
      'json',
    ]);
    const parsed = JSON.parse(stdout) as { frames: Array<{ tags: Record<string, string> }> };
    return parsed.frames.map(({ tags }) =>
      ['YAVG', 'UAVG', 'VAVG'].map((k) => Number(tags[`lavfi.signalstats.${k}`])),
    ) as Rgb[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True when every component of `yuv` is within `tolerance` of the image colour `rgb` in BT.601. */
export function carries(yuv: Rgb, rgb: Rgb, tolerance = 6): boolean {
  const expected = bt601(rgb);
  return yuv.every((v, i) => Math.abs(v - expected[i]) <= tolerance);
}

export interface ImageServer {
  /** https://127.0.0.1:N */
  url: string;
  /** The self-signed certificate, to be trusted as a CA (the emulator's `imageCaFile`). */
  caFile: string;
  /** Serves `body` at `path` with `contentType`, once `until` (if given) resolves. */
  serve(path: string, body: Buffer, contentType: string, until?: Promise<void>): void;
  /** Paths asked for, in order. */
  requested: string[];
  stop(): Promise<void>;
}

/** A loopback https server whose certificate, for 127.0.0.1, is generated now by the openssl CLI. */
export async function startImageServer(): Promise<ImageServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'image-server-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  const files = new Map<string, { body: Buffer; contentType: string; until?: Promise<void> }>();
  const requested: string[] = [];
  const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    requested.push(req.url ?? '');
    const file = files.get(req.url ?? '');
    if (!file) return res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    void (file.until ?? Promise.resolve()).then(() =>
      res
        .writeHead(200, { 'content-type': file.contentType, 'content-length': file.body.length })
        .end(file.body),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caFile: cert,
    serve: (p, body, contentType, until) => files.set(p, { body, contentType, until }),
    requested,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
