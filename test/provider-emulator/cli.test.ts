// The emulator's command line: it prints the documented ready line, applies each of its flags
// (Azure OpenAI, fal, Replicate and webhook settings) and stops cleanly on SIGTERM; the npm
// script runs it under its name and, for one release, its old name.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { test } from 'node:test';
import { readyUrl, spawnProviderEmulatorCli } from '../../emulators/providers/spawn-cli.js';
import { eventually } from '../support/eventually.js';
import { json } from './helpers.js';
import { pngOf, startImageServer, twoTone, type Rgb } from './input-images.js';

/** Runs the CLI with `args` (it resolves once the ready line appears), then SIGTERM: exit 0. */
async function withCli(args: string[], body: (url: string) => Promise<void>) {
  const { url, child } = await spawnProviderEmulatorCli(['--port', '0', ...args]);
  try {
    await body(url);
  } finally {
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  }
}

test('CLI: ready line, --api-key, --videos-creates-per-minute, --deny and --faults are applied, clean stop', async () => {
  await withCli(
    [
      '--api-key',
      'cli-key',
      '--videos-creates-per-minute',
      '3',
      '--max-running-jobs',
      '10',
      '--deny',
      'secret plan',
      '--faults',
      JSON.stringify({
        rules: [{ route: 'GET /openai/v1/videos/{video_id}', kind: 'status', status: 503, rate: 1 }],
      }),
    ],
    async (url) => {
      const create = (prompt: string, key = 'cli-key') =>
        fetch(`${url}/openai/v1/videos`, {
          method: 'POST',
          headers: { 'api-key': key, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'sora-2', prompt }),
        });
      assert.equal((await create('a', 'other-key')).status, 401, '--api-key is enforced');
      const statuses = [];
      for (const prompt of ['a', 'b', 'A SECRET PLAN', 'd']) statuses.push((await create(prompt)).status);
      assert.deepEqual(statuses, [200, 200, 200, 429], '--videos-creates-per-minute 3');
      const list = (await (
        await fetch(`${url}/openai/v1/videos?order=asc`, { headers: { 'api-key': 'cli-key' } })
      ).json()) as { data: Array<{ status: string }> };
      assert.equal(list.data[2].status, 'failed', '--deny moderates the prompt');
      const faulted = await fetch(`${url}/openai/v1/videos/${(list.data[0] as { id?: string }).id}`, {
        headers: { 'api-key': 'cli-key' },
      });
      assert.equal(faulted.status, 503, '--faults is applied');
    },
  );
});

test('CLI: --fal-key, --replicate-token and the fal, Replicate and webhook settings are applied', async () => {
  await withCli(
    [
      '--fal-key',
      'fk',
      '--replicate-token',
      'rt',
      '--fal-concurrency',
      '3',
      '--fal-file-ttl-seconds',
      '60',
      '--replicate-creates-per-minute',
      '7',
      '--replicate-data-ttl-seconds',
      '120',
      '--webhook-drop-rate',
      '1',
      '--webhook-delay-ms',
      '5',
    ],
    async (url) => {
      const fal = (key: string) =>
        fetch(`${url}/fal/fal-ai/veo3`, {
          method: 'POST',
          headers: { authorization: `Key ${key}` },
          body: JSON.stringify({ prompt: 'p' }),
        });
      assert.deepEqual([(await fal('other')).status, (await fal('fk')).status], [401, 200]);
      const replicate = (token: string) =>
        fetch(`${url}/replicate/v1/models/google/veo-3.1/predictions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          body: JSON.stringify({ input: { prompt: 'p' } }),
        });
      assert.deepEqual([(await replicate('other')).status, (await replicate('rt')).status], [401, 201]);
      const settings = await json<Record<string, unknown>>(
        fetch(`${url}/_admin/config`, { method: 'PATCH', body: '{}' }),
      );
      assert.deepEqual(
        [
          settings.falConcurrency,
          settings.falFileTtlSeconds,
          settings.replicateCreatesPerMinute,
          settings.replicateDataTtlSeconds,
          settings.webhookDropRate,
          settings.webhookDelayMs,
        ],
        [3, 60, 7, 120, 1, 5],
      );
    },
  );
});

// `npm run sora-emulator` is the old name of `npm run provider-emulator`, kept for one release.
for (const script of ['provider-emulator', 'sora-emulator']) {
  test(`npm run ${script} -- --port 0 starts the emulator`, async (t) => {
    // Its own process group, so npm, its shell and the emulator are stopped together.
    const npm = spawn('npm', ['run', script, '--', '--port', '0', '--api-key', 'script-key'], {
      cwd: path.resolve(__dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stderr = '';
    npm.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const closed = once(npm, 'close');
    t.after(async () => {
      try {
        process.kill(-npm.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      await closed;
    });
    const url = await readyUrl(npm);
    const create = (key: string) =>
      fetch(`${url}/openai/v1/videos`, {
        method: 'POST',
        headers: { 'api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'sora-2', prompt: 'p' }),
      });
    assert.deepEqual(
      [(await create('other-key')).status, (await create('script-key')).status],
      [401, 200],
      'the flags after -- reach the emulator',
    );
    const notice = /`npm run sora-emulator` is the old name of `npm run provider-emulator`/;
    if (script === 'sora-emulator') assert.match(stderr, notice);
    else assert.doesNotMatch(stderr, notice);
  });
}

test('CLI: --image-ca-file trusts a test CA for image fetches (a Replicate image over loopback https)', async () => {
  const images = await startImageServer();
  const colour: Rgb = [30, 160, 90];
  images.serve('/still.png', pngOf(twoTone(16, 16, colour, colour), 16, 16), 'image/png');
  try {
    await withCli(['--time-scale', '0.02', '--image-ca-file', images.caFile], async (url) => {
      const created = await json<{ id: string; urls: { get: string } }>(
        fetch(`${url}/replicate/v1/models/kwaivgi/kling-v2.1/predictions`, {
          method: 'POST',
          headers: { authorization: 'Bearer r8', 'content-type': 'application/json' },
          body: JSON.stringify({ input: { prompt: 'p', start_image: `${images.url}/still.png` } }),
        }),
      );
      const done = await eventually(
        'a final status',
        () =>
          json<{ status: string; error: string | null }>(
            fetch(created.urls.get, { headers: { authorization: 'Bearer r8' } }),
          ),
        (p) => ['succeeded', 'failed'].includes(p.status),
      );
      assert.equal(done.status, 'succeeded', String(done.error));
      const job = await json<{ image: { average: number[] } }>(fetch(`${url}/_admin/jobs/${created.id}`));
      assert.deepEqual(job.image.average, colour);
    });
  } finally {
    await images.stop();
  }
});
