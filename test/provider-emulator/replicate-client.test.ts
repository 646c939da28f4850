// The official replicate client, unchanged, against the emulator's predictions dialect
// (baseUrl ${url}/replicate/v1): create → wait → the output fetched and probed, create by
// version with Prefer: wait, list with cursor pagination, cancel.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Replicate, { type Prediction } from 'replicate';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { downloadAndProbe } from './helpers.js';

describe('provider emulator: Replicate predictions with the official replicate client', () => {
  let emulator: RunningProviderEmulator;
  let replicate: Replicate;
  before(async () => {
    emulator = await startProviderEmulator({ timeScale: 0.05, replicateToken: 'r8_test' });
    replicate = new Replicate({ auth: 'r8_test', baseUrl: `${emulator.url}/replicate/v1` });
  });
  after(() => emulator.stop());

  test('create, wait, then the output is an H.264 MP4 of the requested duration and aspect', async () => {
    const created = await replicate.predictions.create({
      model: 'kwaivgi/kling-v2.0',
      input: { prompt: 'A heron taking off', duration: 5, aspect_ratio: '1:1' },
    });
    assert.equal(created.status, 'starting');
    assert.equal(created.urls.get, `${emulator.url}/replicate/v1/predictions/${created.id}`);
    assert.match(created.id, /^[a-z2-7]{26}$/);
    const done = await replicate.wait(created, { interval: 50 });
    assert.equal(done.status, 'succeeded');
    assert.match(done.completed_at!, /Z$/);
    assert.ok((done.metrics?.predict_time ?? 0) > 0);
    assert.match(done.logs ?? '', /Video generated/);
    const output = done.output as string;
    assert.ok(output.startsWith(`${emulator.url}/replicate/delivery/`));
    const probed = await downloadAndProbe(output);
    assert.deepEqual(
      [probed.contentType, probed.codec, probed.width === probed.height],
      ['video/mp4', 'h264', true],
    );
    assert.ok(Math.abs(probed.seconds - 5) < 0.2, `duration ${probed.seconds}`);
    const withAuth = await downloadAndProbe(output, { authorization: 'Bearer r8_test' });
    assert.equal(withAuth.codec, 'h264', 'an Authorization header is accepted too');
  });

  test('run() with polling returns the output URL, whose bytes (fetched without auth) are the MP4', async () => {
    // replicate@1.4.0 wraps only https: outputs in FileOutput; the emulator's http: URL comes back as the string.
    const output = await replicate.run('google/veo-3.1', {
      input: { prompt: 'Waves', duration: 4, aspect_ratio: '9:16' },
      wait: { mode: 'poll', interval: 50 },
    });
    assert.equal(typeof output, 'string');
    const probed = await downloadAndProbe(output as unknown as string);
    assert.deepEqual([probed.codec, probed.width < probed.height], ['h264', true]);
    assert.ok(Math.abs(probed.seconds - 4) < 0.2);
  });

  test('create by version with Prefer: wait answers with the finished prediction', async () => {
    const done = await replicate.predictions.create({
      version: 'ed5b1767b711dd15d954b162af1e890d27882680f463a85e94f02d604012b972',
      input: { prompt: 'Rain on a window', duration: 4, resolution: '720p' },
      wait: 30,
    });
    assert.equal(done.model, 'google/veo-3.1');
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(
      done.input,
      { prompt: 'Rain on a window', duration: 4, resolution: '720p' },
      'input as sent',
    );
  });

  test('cancel ends a running prediction as canceled', async () => {
    const created = await replicate.predictions.create({
      model: 'google/veo-3.1',
      input: { prompt: 'to cancel' },
    });
    const canceled = await replicate.predictions.cancel(created.id);
    assert.equal(canceled.status, 'canceled');
    assert.equal((await replicate.predictions.get(created.id)).status, 'canceled');
    assert.equal((await replicate.wait(created)).output, null);
  });

  test('list pages newest first, 100 per page, following the full next URL', async () => {
    const slow = await startProviderEmulator({ timeScale: 100 });
    try {
      const client = new Replicate({ auth: 'r8_list', baseUrl: `${slow.url}/replicate/v1` });
      const ids: string[] = [];
      for (let i = 0; i < 103; i++)
        ids.push(
          (await client.predictions.create({ model: 'kwaivgi/kling-v2.0', input: { prompt: `p${i}` } })).id,
        );
      const pages: Prediction[][] = [];
      for await (const page of client.paginate(client.predictions.list)) pages.push(page);
      assert.deepEqual(
        pages.map((p) => p.length),
        [100, 3],
      );
      assert.deepEqual(
        pages.flat().map((p) => p.id),
        ids.reverse(),
      );
      const first = await client.predictions.list();
      assert.ok(
        first.next?.startsWith(`${slow.url}/replicate/v1/predictions?`),
        `next is a full URL: ${first.next}`,
      );
      const other = new Replicate({ auth: 'r8_other', baseUrl: `${slow.url}/replicate/v1` });
      assert.deepEqual((await other.predictions.list()).results, [], 'a token sees only its own predictions');
    } finally {
      await slow.stop();
    }
  });
});
