// fal image-to-video models in the emulator, driven by the official @fal-ai/client and plain
// HTTP: the model fetches `image_url` (loopback https with a test CA, or a data: URI) and the
// video's first frame carries the image's mean colour (decoded by ffmpeg); a missing image, a URL
// that is not an image, one that does not download, an over-size file and an untrusted
// certificate each end the request in fal's 422 `{detail:[…]}` shape.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ApiError, createFalClient, type FalClient } from '@fal-ai/client';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { eventually } from '../support/eventually.js';
import { falCaller, json, type FalStatus } from './helpers.js';
import {
  carries,
  framesYuv,
  jpegOf,
  meanOf,
  pngOf,
  startImageServer,
  twoTone,
  type ImageServer,
  type Rgb,
} from './input-images.js';

const KLING_I2V = 'fal-ai/kling-video/v2.1/standard/image-to-video';
const HAILUO_I2V = 'fal-ai/minimax/hailuo-02/standard/image-to-video';

interface FalVideo {
  video: { url: string };
}
interface DetailItem {
  loc: string[];
  type: string;
  msg: string;
  url: string;
}
interface AdminJob {
  image: {
    source: string;
    format: string;
    width: number;
    height: number;
    bytes: number;
    average: number[];
  } | null;
}

describe('provider emulator: fal image-to-video', () => {
  let emulator: RunningProviderEmulator;
  let images: ImageServer;
  let fal: FalClient;
  const call = falCaller(() => emulator.url, 'fal-key');
  const picture = twoTone(64, 36, [240, 40, 40], [40, 40, 200]);
  const mean = meanOf(picture);

  before(async () => {
    images = await startImageServer();
    images.serve('/picture.png', pngOf(picture, 64, 36), 'image/png');
    images.serve('/notes.txt', Buffer.from('not an image at all'), 'image/png');
    images.serve('/huge.png', Buffer.alloc(10 * 1024 * 1024 + 1), 'image/png');
    emulator = await startProviderEmulator({
      timeScale: 0.02,
      falKey: 'fal-key',
      falConcurrency: 8,
      imageCaFile: images.caFile,
    });
    fal = createFalClient({
      credentials: 'fal-key',
      requestMiddleware: async (request) => ({
        ...request,
        url: request.url.replace('https://queue.fal.run', `${emulator.url}/fal`),
      }),
    });
  });
  after(async () => {
    await emulator.stop();
    await images.stop();
  });

  /** Submits over plain HTTP and answers the final result's status and body. */
  async function finalResult(model: string, input: Record<string, unknown>) {
    const submitted = await json<FalStatus>(call('POST', `/fal/${model}`, input));
    await eventually(
      'COMPLETED',
      () => json<FalStatus>(call('GET', new URL(submitted.status_url).pathname)),
      (s) => s.status === 'COMPLETED',
    );
    const result = await call('GET', new URL(submitted.response_url).pathname);
    return { id: submitted.request_id, status: result.status, body: (await result.json()) as unknown };
  }

  test('a PNG over loopback https: the first frame carries its mean colour, the next frame the usual pattern', async () => {
    const before = (await json<{ images: { fetched: number } }>(fetch(`${emulator.url}/_admin/stats`)))
      .images;
    const { data, requestId } = await fal.subscribe(KLING_I2V, {
      input: { prompt: 'A red and blue flag', image_url: `${images.url}/picture.png`, duration: '5' },
      pollInterval: 50,
    });
    assert.ok(images.requested.includes('/picture.png'), 'the emulator fetched the image from its URL');
    const [first, second] = await framesYuv((data as FalVideo).video.url);
    assert.ok(carries(first, mean), `frame 1 ${first.join(',')} carries the image's mean ${mean.join(',')}`);
    assert.ok(!carries(second, mean), `frame 2 ${second.join(',')} is the usual pattern`);
    const job = await json<AdminJob>(fetch(`${emulator.url}/_admin/jobs/${requestId}`));
    const { source, format, width, height, bytes, average } = job.image!;
    assert.deepEqual(
      { source, format, width, height, bytes, average },
      {
        source: 'https',
        format: 'png',
        width: 64,
        height: 36,
        bytes: pngOf(picture, 64, 36).length,
        average: mean.map((c) => Math.round(c)),
      },
    );
    const after = (await json<{ images: { fetched: number } }>(fetch(`${emulator.url}/_admin/stats`))).images;
    assert.equal(after.fetched, before.fetched + 1);
  });

  test('the submit does not wait for the image; the request cannot start before the image has arrived', async () => {
    let release!: () => void;
    const held: Rgb = [90, 20, 200];
    images.serve(
      '/held.png',
      pngOf(twoTone(32, 32, held, held), 32, 32),
      'image/png',
      new Promise((r) => (release = r)),
    );
    const submitted = await json<FalStatus>(
      call('POST', `/fal/${KLING_I2V}`, { prompt: 'held', image_url: `${images.url}/held.png` }),
    );
    assert.equal(submitted.status, 'IN_QUEUE', 'answered while the image server still holds the image');
    await eventually('the image asked for', async () => images.requested.includes('/held.png'), Boolean);
    // A text-only request submitted after it runs to the end meanwhile, so the held request's own
    // queue time has long passed: only the image holds it back.
    await finalResult('fal-ai/kling-video/v2/master/text-to-video', { prompt: 'meanwhile' });
    const waiting = await json<FalStatus>(call('GET', new URL(submitted.status_url).pathname));
    assert.equal(waiting.status, 'IN_QUEUE');
    release();
    await eventually(
      'COMPLETED',
      () => json<FalStatus>(call('GET', new URL(submitted.status_url).pathname)),
      (s) => s.status === 'COMPLETED',
    );
    const result = await json<FalVideo>(call('GET', new URL(submitted.response_url).pathname));
    const [first] = await framesYuv(result.video.url, 1);
    assert.ok(carries(first, held), `frame 1 ${first.join(',')} carries ${held.join(',')}`);
  });

  test('a JPEG as a data: URI works too, and identical input gives identical bytes', async () => {
    const other: Rgb = [20, 200, 90];
    const jpeg = jpegOf(twoTone(48, 48, other, other), 48, 48);
    const input = { prompt: 'Green', image_url: `data:image/jpeg;base64,${jpeg.toString('base64')}` };
    const runs = await Promise.all([1, 2].map(() => fal.subscribe(HAILUO_I2V, { input, pollInterval: 50 })));
    const bytes = await Promise.all(
      runs.map(async (r) =>
        createHash('sha256')
          .update(Buffer.from(await (await fetch((r.data as FalVideo).video.url)).arrayBuffer()))
          .digest('hex'),
      ),
    );
    assert.equal(bytes[0], bytes[1], 'identical input, identical bytes');
    const [first] = await framesYuv((runs[0].data as FalVideo).video.url, 1);
    assert.ok(carries(first, other), `frame 1 ${first.join(',')} carries ${other.join(',')}`);
    const job = await json<AdminJob>(fetch(`${emulator.url}/_admin/jobs/${runs[0].requestId}`));
    assert.equal(job.image?.source, 'data');
    assert.equal(job.image?.format, 'jpeg');
  });

  test('a missing image_url is refused as the model refuses input: 422, loc body.image_url, type missing', async () => {
    const { status, body } = await finalResult(KLING_I2V, { prompt: 'no image' });
    assert.equal(status, 422);
    const [item] = (body as { detail: DetailItem[] }).detail;
    assert.deepEqual([item.loc, item.type], [['body', 'image_url'], 'missing']);
    await assert.rejects(
      // Deliberately without the required image_url the client's types ask for.
      fal.subscribe(HAILUO_I2V, {
        input: { prompt: 'no image' } as { prompt: string; image_url: string },
        pollInterval: 50,
      }),
      (error: unknown) => error instanceof ApiError && error.status === 422,
    );
  });

  test('not an image, a 404, 10 MiB + 1 bytes: each a 422 naming image_url with its fal error type', async () => {
    const cases: Array<[string, string]> = [
      [`${images.url}/notes.txt`, 'image_load_error'],
      [`${images.url}/missing.png`, 'file_download_error'],
      [`${images.url}/huge.png`, 'file_too_large'],
      ['ftp://127.0.0.1/picture.png', 'file_download_error'],
      ['data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA', 'image_load_error'],
    ];
    const refusedBefore = (await json<{ images: { refused: number } }>(fetch(`${emulator.url}/_admin/stats`)))
      .images.refused;
    for (const [url, type] of cases) {
      const { id, status, body } = await finalResult(KLING_I2V, { prompt: 'bad image', image_url: url });
      assert.equal(status, 422, url);
      const [item] = (body as { detail: DetailItem[] }).detail;
      assert.deepEqual(
        [item.loc, item.type, item.url],
        [['body', 'image_url'], type, `https://docs.fal.ai/errors#${type}`],
        url,
      );
      const job = await json<AdminJob>(fetch(`${emulator.url}/_admin/jobs/${id}`));
      assert.equal(job.image, null, "a refused image is not the job's image");
    }
    const refusedAfter = (await json<{ images: { refused: number } }>(fetch(`${emulator.url}/_admin/stats`)))
      .images.refused;
    assert.equal(refusedAfter, refusedBefore + cases.length);
  });

  test('without the test CA the self-signed https image does not download', async () => {
    const untrusting = await startProviderEmulator({ timeScale: 0.02, falKey: 'fal-key' });
    try {
      const caller = falCaller(() => untrusting.url, 'fal-key');
      const submitted = await json<FalStatus>(
        caller('POST', `/fal/${KLING_I2V}`, { prompt: 'p', image_url: `${images.url}/picture.png` }),
      );
      await eventually(
        'COMPLETED',
        () => json<FalStatus>(caller('GET', new URL(submitted.status_url).pathname)),
        (s) => s.status === 'COMPLETED',
      );
      const result = await caller('GET', new URL(submitted.response_url).pathname);
      assert.equal(result.status, 422);
      const [item] = ((await result.json()) as { detail: DetailItem[] }).detail;
      assert.equal(item.type, 'file_download_error');
    } finally {
      await untrusting.stop();
    }
  });
});
