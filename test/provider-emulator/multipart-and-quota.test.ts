// Multipart creates (jobs: files + inpaint_items; videos: input_reference) and the Sora 2
// create quota, over HTTP with the platform's own FormData.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from 'jpeg-js';
import { startProviderEmulator } from '../../emulators/providers/index.js';

const jpeg = (width: number, height: number) =>
  encode({ data: Buffer.alloc(width * height * 4, 128), width, height }, 50).data;

test('jobs multipart: inpaint_items must name uploaded files', async () => {
  const emulator = await startProviderEmulator({ maxRunningJobs: 10 });
  try {
    const create = (fileName: string, items: unknown) => {
      const form = new FormData();
      for (const [k, v] of Object.entries({
        prompt: 'p',
        model: 'sora',
        width: '480',
        height: '480',
        n_seconds: '5',
      }))
        form.append(k, v);
      form.append('files', new Blob([jpeg(480, 480)], { type: 'image/jpeg' }), fileName);
      form.append('inpaint_items', typeof items === 'string' ? items : JSON.stringify(items));
      return fetch(`${emulator.url}/openai/v1/video/generations/jobs`, {
        method: 'POST',
        headers: { 'api-key': 'x' },
        body: form,
      });
    };
    const item = {
      frame_index: 0,
      type: 'image',
      file_name: 'cat.jpg',
      crop_bounds: { left_fraction: 0, top_fraction: 0, right_fraction: 1, bottom_fraction: 1 },
    };
    const ok = await create('cat.jpg', [item]);
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { width: number }).width, 480, 'string fields are read as numbers');
    for (const [name, body] of [
      ['dog.jpg', [item]],
      ['cat.jpg', 'not json'],
      ['cat.jpg', [{ ...item, type: 'audio' }]],
    ] as const) {
      const refused = await create(name, body);
      assert.equal(refused.status, 400);
      assert.equal(((await refused.json()) as { error: { param: string } }).error.param, 'inpaint_items');
    }
  } finally {
    await emulator.stop();
  }
});

test('videos multipart: input_reference must match the requested size', async () => {
  const emulator = await startProviderEmulator({ videosCreatesPerMinute: 100 });
  try {
    const create = (image: Buffer) => {
      const form = new FormData();
      form.append('model', 'sora-2');
      form.append('prompt', 'p');
      form.append('size', '720x1280');
      form.append('input_reference', new Blob([image], { type: 'image/jpeg' }), 'ref.jpg');
      return fetch(`${emulator.url}/openai/v1/videos`, {
        method: 'POST',
        headers: { 'api-key': 'x' },
        body: form,
      });
    };
    assert.equal((await create(jpeg(720, 1280))).status, 200);
    const wrong = await create(jpeg(1280, 720));
    assert.equal(wrong.status, 400);
    const error = ((await wrong.json()) as { error: { param: string; message: string } }).error;
    assert.equal(error.param, 'input_reference');
    assert.match(error.message, /must match the requested width and height/);
    assert.equal((await create(Buffer.from('not an image'))).status, 400);
  } finally {
    await emulator.stop();
  }
});

test('Sora 2 allows 2 creates per minute by default, then 429 with retry-after', async () => {
  const emulator = await startProviderEmulator({ maxRunningJobs: 10 });
  try {
    const create = () =>
      fetch(`${emulator.url}/openai/v1/videos`, {
        method: 'POST',
        headers: { 'api-key': 'x', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'sora-2', prompt: 'p' }),
      });
    assert.equal((await create()).status, 200);
    assert.equal((await create()).status, 200);
    const third = await create();
    assert.equal(third.status, 429);
    const retryAfter = Number(third.headers.get('retry-after'));
    assert.ok(retryAfter >= 55 && retryAfter <= 60, `retry-after ${retryAfter}`);
    const stats = (await (await fetch(`${emulator.url}/_admin/stats`)).json()) as {
      jobsCreated: Record<string, number>;
    };
    assert.deepEqual(stats.jobsCreated, { 'sora-2': 2 });
  } finally {
    await emulator.stop();
  }
});
