// Thumbnails (Sora 1: JPEG, Sora 2: WebP, docs/providers/openai-videos.md#content) and the Sora 2
// spritesheet are real images of the right size; the WebP is decoded by ffmpeg, pixel for pixel.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode } from 'jpeg-js';
import { startProviderEmulator } from '../../emulators/providers/index.js';
import { picturePixels } from '../../emulators/providers/images.js';
import { encodeWebpLossless } from '../../emulators/providers/webp.js';
import { decodeImage, showinfoChecksum } from './ffprobe.js';
import { eventually } from '../support/eventually.js';

test('thumbnail and spritesheet are decodable JPEGs sized from the video', async () => {
  const emulator = await startProviderEmulator({ timeScale: 0.02 });
  const api = (method: string, route: string, body?: unknown) =>
    fetch(`${emulator.url}/openai/v1${route}`, {
      method,
      headers: { 'api-key': 'x', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const until = (route: string, done: (body: { status: string }) => boolean) =>
    eventually(
      route,
      async () =>
        (await (await api('GET', route)).json()) as { status: string; generations?: Array<{ id: string }> },
      done,
    );
  try {
    const job = (await (
      await api('POST', '/video/generations/jobs', {
        prompt: 'thumb',
        width: 854,
        height: 480,
        model: 'sora',
      })
    ).json()) as { id: string };
    const finished = await until(`/video/generations/jobs/${job.id}`, (b) => b.status === 'succeeded');
    const thumbnail = await api('GET', `/video/generations/${finished.generations![0].id}/content/thumbnail`);
    assert.equal(thumbnail.status, 200);
    assert.equal(thumbnail.headers.get('content-type'), 'image/jpg');
    const image = decode(Buffer.from(await thumbnail.arrayBuffer()));
    assert.deepEqual([image.width, image.height], [854, 480]);

    const video = (await (
      await api('POST', '/videos', { prompt: 'sheet', model: 'sora-2', size: '1280x720' })
    ).json()) as { id: string };
    await until(`/videos/${video.id}`, (b) => b.status === 'completed');
    const thumbResponse = await api('GET', `/videos/${video.id}/content?variant=thumbnail`);
    assert.equal(thumbResponse.headers.get('content-type'), 'image/webp');
    const thumbBytes = Buffer.from(await thumbResponse.arrayBuffer());
    assert.equal(thumbBytes.toString('latin1', 0, 4) + thumbBytes.toString('latin1', 8, 12), 'RIFFWEBP');
    const sora2Thumb = await decodeImage(thumbBytes, 'webp');
    assert.deepEqual([sora2Thumb.codec, sora2Thumb.width, sora2Thumb.height], ['webp', 1280, 720]);
    const sheet = decode(
      Buffer.from(await (await api('GET', `/videos/${video.id}/content?variant=spritesheet`)).arrayBuffer()),
    );
    assert.deepEqual([sheet.width, sheet.height], [320 * 8, 180]);
    assert.equal((await api('GET', `/videos/${video.id}/content?variant=poster`)).status, 400);
  } finally {
    await emulator.stop();
  }
});

test('the WebP encoder is lossless: ffmpeg decodes exactly the pixels it was given', async () => {
  // A flat picture with a band (runs), and noise with alpha (literals, long prefix codes).
  const banded = picturePixels(97, 41, 'band', 0.3);
  const noisy = Buffer.alloc(37 * 23 * 4);
  for (let i = 0; i < noisy.length; i++) noisy[i] = (i * 7919 + (i >> 3) * 31) & 255;
  const single = Buffer.from([10, 20, 30, 255]);
  for (const [pixels, width, height] of [
    [banded, 97, 41],
    [noisy, 37, 23],
    [single, 1, 1],
  ] as const) {
    const decoded = await decodeImage(encodeWebpLossless(pixels, width, height), 'webp');
    assert.deepEqual([decoded.width, decoded.height], [width, height]);
    assert.equal(
      decoded.checksum,
      showinfoChecksum(pixels),
      `${width}x${height} pixels differ after decoding`,
    );
  }
});
