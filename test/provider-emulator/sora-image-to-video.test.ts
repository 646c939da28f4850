// Images on the Sora APIs: Sora 2's multipart `input_reference` (PNG, JPEG or WebP, its size equal
// to `size`), sent by the official openai package, starts the video with the image's mean colour
// (decoded by ffmpeg); a wrong size or a file that is not an image is OpenAI's 400
// invalid_request_error naming input_reference. Sora 1's inpaint item at frame 0 does the same
// for every generation of the job.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { BadRequestError, toFile } from 'openai';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { eventually } from '../support/eventually.js';
import { json } from './helpers.js';
import {
  carries,
  framesYuvOf,
  jpegOf,
  meanOf,
  pngOf,
  twoTone,
  webpOf,
  type Rgb,
} from '../support/input-images.js';

describe('provider emulator: images on the Sora APIs', () => {
  let emulator: RunningProviderEmulator;
  let client: OpenAI;
  before(async () => {
    emulator = await startProviderEmulator({
      apiKey: 'k',
      timeScale: 0.01,
      videosCreatesPerMinute: 100,
      maxRunningJobs: 10,
    });
    client = new OpenAI({ baseURL: `${emulator.url}/v1/`, apiKey: 'k', maxRetries: 0 });
  });
  after(() => emulator.stop());

  /** Creates a 4 s Sora 2 video from `file`, waits for it and answers its first two frames' Y, U, V and its id. */
  async function videoFrom(file: Buffer, name: string, type: string, size: '1280x720' | '720x1280') {
    const created = await client.videos.create({
      model: 'sora-2',
      prompt: 'From a still',
      size,
      seconds: '4',
      input_reference: await toFile(file, name, { type }),
    });
    await eventually(
      'completed',
      () => client.videos.retrieve(created.id),
      (v) => v.status === 'completed',
    );
    const content = await client.videos.downloadContent(created.id);
    return { id: created.id, frames: await framesYuvOf(Buffer.from(await content.arrayBuffer())) };
  }

  test('a PNG input_reference of the requested size: frame 1 carries its mean colour, frame 2 the usual pattern', async () => {
    const picture = twoTone(1280, 720, [230, 120, 20], [20, 120, 230]);
    const { id, frames } = await videoFrom(pngOf(picture, 1280, 720), 'still.png', 'image/png', '1280x720');
    const mean = meanOf(picture);
    assert.ok(carries(frames[0], mean), `frame 1 ${frames[0].join(',')} carries ${mean.join(',')}`);
    assert.ok(!carries(frames[1], mean), `frame 2 ${frames[1].join(',')} is the usual pattern`);
    const job = await json<{ image: { source: string; format: string } }>(
      fetch(`${emulator.url}/_admin/jobs/${id}`),
    );
    assert.deepEqual([job.image.source, job.image.format], ['upload', 'png']);
  });

  test('WebP and JPEG input_reference work the same way', async () => {
    const colour: Rgb = [60, 200, 180];
    const picture = twoTone(720, 1280, colour, colour);
    for (const [bytes, name, type] of [
      [webpOf(picture, 720, 1280), 'still.webp', 'image/webp'],
      [jpegOf(picture, 720, 1280), 'still.jpg', 'image/jpeg'],
    ] as const) {
      const { frames } = await videoFrom(bytes, name, type, '720x1280');
      assert.ok(
        carries(frames[0], colour),
        `${type}: frame 1 ${frames[0].join(',')} carries ${colour.join(',')}`,
      );
    }
  });

  test('an input_reference whose size is not `size`, or that is not an image: 400 naming input_reference', async () => {
    const picture = twoTone(720, 1280, [1, 2, 3], [4, 5, 6]);
    for (const [bytes, message] of [
      [
        pngOf(picture, 720, 1280),
        /must match the requested width and height \(got 720x1280, expected 1280x720\)/,
      ],
      [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), /must be a PNG, JPEG or WebP image/],
      [pngOf(picture, 720, 1280).subarray(0, 200), /must be a PNG, JPEG or WebP image/],
    ] as const) {
      const error = await client.videos
        .create({
          model: 'sora-2',
          prompt: 'p',
          size: '1280x720',
          input_reference: await toFile(bytes, 'still.png', { type: 'image/png' }),
        })
        .then(
          () => assert.fail('accepted'),
          (e: unknown) => e,
        );
      assert.ok(error instanceof BadRequestError, String(error));
      assert.equal(error.status, 400);
      assert.deepEqual([error.param, error.type], ['input_reference', 'invalid_request_error']);
      assert.match(error.message, message);
    }
  });

  test('Sora 1: the inpaint image at frame 0 starts every generation with its mean colour; a non-image → 400', async () => {
    const colour: Rgb = [200, 30, 160];
    const create = (file: Buffer) => {
      const form = new FormData();
      for (const [k, v] of Object.entries({
        prompt: 'p',
        model: 'sora',
        width: '480',
        height: '480',
        n_seconds: '2',
        n_variants: '2',
      }))
        form.append(k, v);
      form.append('files', new Blob([file], { type: 'image/jpeg' }), 'still.jpg');
      form.append(
        'inpaint_items',
        JSON.stringify([{ frame_index: 0, type: 'image', file_name: 'still.jpg' }]),
      );
      return fetch(`${emulator.url}/openai/v1/video/generations/jobs`, {
        method: 'POST',
        headers: { 'api-key': 'k' },
        body: form,
      });
    };
    const refused = await create(Buffer.from('GIF89a not supported'));
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: { param: string } }).error.param, 'inpaint_items');

    const created = await json<{ id: string }>(create(jpegOf(twoTone(480, 480, colour, colour), 480, 480)));
    const job = await eventually(
      'succeeded',
      () =>
        json<{ status: string; generations: Array<{ id: string }> }>(
          fetch(`${emulator.url}/openai/v1/video/generations/jobs/${created.id}`, {
            headers: { 'api-key': 'k' },
          }),
        ),
      (j) => j.status === 'succeeded',
    );
    assert.equal(job.generations.length, 2);
    for (const generation of job.generations) {
      const video = await fetch(
        `${emulator.url}/openai/v1/video/generations/${generation.id}/content/video`,
        {
          headers: { 'api-key': 'k' },
        },
      );
      const [first] = await framesYuvOf(Buffer.from(await video.arrayBuffer()), 1);
      assert.ok(carries(first, colour), `frame 1 ${first.join(',')} carries ${colour.join(',')}`);
    }
  });
});
