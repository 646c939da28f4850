// The OpenAI-compatible videos surface at /v1 (as api.openai.com serves it): the official
// openai package, pointed at ${url}/v1 with a key, runs create → retrieve → downloadContent
// unchanged; auth is Bearer only and any api-version is ignored.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { decodeImage, probeVideo } from './ffprobe.js';
import { eventually } from '../support/eventually.js';

describe('provider emulator: OpenAI /v1/videos surface', () => {
  let emulator: RunningProviderEmulator;
  const dir = mkdtempSync(path.join(tmpdir(), 'openai-v1-'));
  before(async () => {
    emulator = await startProviderEmulator({
      apiKey: 'sk-test',
      timeScale: 0.05,
      dataDir: dir,
      videosCreatesPerMinute: 100,
      maxRunningJobs: 10,
    });
  });
  after(async () => {
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the openai package runs create, retrieve and downloadContent (video and WebP thumbnail)', async () => {
    const client = new OpenAI({ baseURL: `${emulator.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    const created = await client.videos.create({
      model: 'sora-2',
      prompt: 'A lighthouse at dusk',
      size: '720x1280',
      seconds: '4',
    });
    assert.equal(created.status, 'queued');
    await eventually(
      'the video completed',
      () => client.videos.retrieve(created.id),
      (video) => video.status === 'completed',
    );

    const content = await client.videos.downloadContent(created.id);
    const file = path.join(dir, 'v1.mp4');
    writeFileSync(file, Buffer.from(await content.arrayBuffer()));
    const probed = await probeVideo(file);
    assert.deepEqual([probed.codec, probed.width, probed.height], ['h264', 720, 1280]);
    assert.ok(Math.abs(probed.seconds - 4) < 0.2, `duration ${probed.seconds}`);

    const thumbnail = await client.videos.downloadContent(created.id, { variant: 'thumbnail' });
    assert.equal(thumbnail.headers.get('content-type'), 'image/webp');
    const decoded = await decodeImage(Buffer.from(await thumbnail.arrayBuffer()), 'webp');
    assert.deepEqual([decoded.codec, decoded.width, decoded.height], ['webp', 720, 1280]);
  });

  test('one job core: a video made on /v1 is visible on /openai/v1 and counted once', async () => {
    const before = (await (await fetch(`${emulator.url}/_admin/stats`)).json()) as {
      creates: { videos: number };
    };
    const created = await fetch(`${emulator.url}/v1/videos?api-version=2099-01-01`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sora-2', prompt: 'p' }),
    });
    assert.equal(created.status, 200, 'any api-version is ignored on /v1');
    const { id } = (await created.json()) as { id: string };
    const azure = await fetch(`${emulator.url}/openai/v1/videos/${id}`, {
      headers: { 'api-key': 'sk-test' },
    });
    assert.equal(azure.status, 200);
    const after = (await (await fetch(`${emulator.url}/_admin/stats`)).json()) as {
      creates: { videos: number };
    };
    assert.equal(after.creates.videos, before.creates.videos + 1);
  });

  test('/v1 takes only a bearer token with the right key', async () => {
    const get = (headers: Record<string, string>) => fetch(`${emulator.url}/v1/videos`, { headers });
    assert.equal((await get({ authorization: 'Bearer sk-test' })).status, 200);
    const wrong = await get({ authorization: 'Bearer sk-other' });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, 'invalid_api_key');
    assert.equal(
      (await get({ 'api-key': 'sk-test' })).status,
      401,
      'the Azure api-key header is not OpenAI auth',
    );
    assert.equal(
      (
        await fetch(`${emulator.url}/openai/v1/videos?api-version=2099-01-01`, {
          headers: { 'api-key': 'sk-test' },
        })
      ).status,
      400,
      'Azure still checks api-version',
    );
  });
});
