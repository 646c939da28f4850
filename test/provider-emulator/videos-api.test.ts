// The emulator's videos API (Sora 2) driven by the official openai package, unchanged:
// a client nobody here wrote. Plus the documented validation over plain HTTP.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import ffprobe from '@ffprobe-installer/ffprobe';
import OpenAI from 'openai';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { eventually } from '../support/eventually.js';

describe('provider emulator: Sora videos API with the openai package', () => {
  let emulator: RunningProviderEmulator;
  let client: OpenAI;
  const dir = mkdtempSync(path.join(tmpdir(), 'sora-videos-'));
  before(async () => {
    emulator = await startProviderEmulator({ apiKey: 'k', timeScale: 0.05, dataDir: dir });
    client = new OpenAI({ baseURL: `${emulator.url}/openai/v1/`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('create, retrieve until completed, list, downloadContent, remix, delete', async () => {
    const created = await client.videos.create({
      model: 'sora-2',
      prompt: 'A paper boat on a river',
      size: '1280x720',
      seconds: '4',
    });
    assert.match(created.id, /^video_/);
    assert.equal(created.object, 'video');
    assert.equal(created.status, 'queued');

    const progress: number[] = [];
    const video = await eventually(
      'the video completed',
      async () => {
        const polled = await client.videos.retrieve(created.id);
        progress.push(polled.progress);
        return polled;
      },
      (polled) => polled.status === 'completed',
    );
    assert.deepEqual(
      progress,
      [...progress].sort((a, b) => a - b),
      'progress only rises',
    );
    assert.equal(video.progress, 100);
    assert.equal(video.expires_at! - video.completed_at!, 86400);

    const listed = [];
    for await (const item of client.videos.list()) listed.push(item.id);
    assert.deepEqual(listed, [created.id]);

    const content = await client.videos.downloadContent(created.id);
    const file = path.join(dir, 'sora2.mp4');
    writeFileSync(file, Buffer.from(await content.arrayBuffer()));
    const { stdout } = await promisify(execFile)(ffprobe.path, [
      '-v',
      'error',
      '-print_format',
      'json',
      '-show_streams',
      '-show_format',
      file,
    ]);
    const info = JSON.parse(stdout) as {
      streams: Array<{ width: number; height: number }>;
      format: { duration: string };
    };
    assert.deepEqual([info.streams[0].width, info.streams[0].height], [1280, 720]);
    assert.ok(Math.abs(Number(info.format.duration) - 4) < 0.2);

    const remix = await client.videos.remix(created.id, { prompt: 'The same boat at night' });
    assert.equal(remix.remixed_from_video_id, created.id);
    assert.notEqual(remix.id, created.id);

    const deleted = await client.videos.delete(created.id);
    assert.deepEqual(deleted, { id: created.id, object: 'video.deleted', deleted: true });
    await assert.rejects(
      client.videos.retrieve(created.id),
      (error: { status?: number }) => error.status === 404,
    );
  });
});

describe('provider emulator: Sora videos API validation', () => {
  const cases: Array<[string, Record<string, unknown>, number, string]> = [
    ['missing model', { prompt: 'p' }, 400, "Missing required parameter: 'model'."],
    ['unknown deployment', { model: 'sora-9', prompt: 'p' }, 404, 'does not exist'],
    ['unsupported size', { model: 'sora-2', prompt: 'p', size: '480x480' }, 400, 'Invalid value'],
    ['unsupported seconds', { model: 'sora-2', prompt: 'p', seconds: '5' }, 400, 'Invalid value'],
    ['missing prompt', { model: 'sora-2' }, 400, "Missing required parameter: 'prompt'."],
  ];
  test('each invalid create gets the documented status and message', async () => {
    const emulator = await startProviderEmulator();
    try {
      for (const [name, body, status, message] of cases) {
        const response = await fetch(`${emulator.url}/openai/v1/videos`, {
          method: 'POST',
          headers: { 'api-key': 'x', 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        assert.equal(response.status, status, name);
        const error = ((await response.json()) as { error: { message: string } }).error;
        assert.ok(error.message.includes(message), `${name}: ${error.message}`);
      }
    } finally {
      await emulator.stop();
    }
  });
});
