// The emulator's jobs API over real HTTP, driven like Microsoft's quickstart: create, poll,
// download content/video, and check the MP4 with ffprobe; plus auth, validation and limits.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import ffprobe from '@ffprobe-installer/ffprobe';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { eventually } from '../support/eventually.js';

const KEY = 'test-key';
const quickstartBody = {
  prompt: 'A cat playing piano in a jazz bar.',
  width: 480,
  height: 480,
  n_seconds: 5,
  model: 'sora',
};

describe('provider emulator: Sora jobs API', () => {
  let emulator: RunningProviderEmulator;
  let base: string;
  const dir = mkdtempSync(path.join(tmpdir(), 'sora-jobs-'));
  const call = (
    method: string,
    route: string,
    body?: unknown,
    headers: Record<string, string> = { 'api-key': KEY },
  ) =>
    fetch(`${base}${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  before(async () => {
    emulator = await startProviderEmulator({ apiKey: KEY, timeScale: 0.1, dataDir: dir });
    base = `${emulator.url}/openai/v1`;
  });
  after(async () => {
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('quickstart flow: create, poll until succeeded, download a playable MP4', async () => {
    const created = await call('POST', '/video/generations/jobs?api-version=preview', quickstartBody);
    assert.equal(created.status, 200);
    assert.ok(created.headers.get('apim-request-id'));
    const job = (await created.json()) as {
      id: string;
      status: string;
      object: string;
      generations: unknown[];
      expires_at: null;
    };
    assert.equal(job.object, 'video.generation.job');
    assert.equal(job.status, 'queued');
    assert.deepEqual([job.generations, job.expires_at], [[], null]);

    const seen: string[] = [];
    type FinishedJob = {
      status: string;
      generations: Array<{ id: string; object: string }>;
      finished_at: number;
      expires_at: number;
    };
    const done = await eventually(
      'the job succeeded',
      async () => {
        const polled = (await (
          await call('GET', `/video/generations/jobs/${job.id}?api-version=preview`)
        ).json()) as FinishedJob;
        if (seen.at(-1) !== polled.status) seen.push(polled.status);
        return polled;
      },
      (polled) => polled.status === 'succeeded',
    );
    assert.deepEqual(
      seen.filter((s) => ['queued', 'preprocessing', 'running', 'processing', 'succeeded'].includes(s)),
      seen,
      'only documented statuses',
    );
    assert.equal(seen.at(-1), 'succeeded');
    assert.equal(done.expires_at - done.finished_at, 86400);
    assert.equal(done.generations[0].object, 'video.generation');

    const video = await call(
      'GET',
      `/video/generations/${done.generations[0].id}/content/video?api-version=preview`,
    );
    assert.equal(video.status, 200);
    assert.equal(video.headers.get('content-type'), 'video/mp4');
    assert.equal(video.headers.get('accept-ranges'), 'bytes');
    assert.ok(video.headers.get('last-modified'));
    const bytes = Buffer.from(await video.arrayBuffer());
    assert.equal(Number(video.headers.get('content-length')), bytes.length);
    const file = path.join(dir, 'output.mp4');
    writeFileSync(file, bytes);
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
      streams: Array<{ codec_name: string; width: number; height: number }>;
      format: { duration: string };
    };
    assert.deepEqual(
      [info.streams[0].codec_name, info.streams[0].width, info.streams[0].height],
      ['h264', 480, 480],
    );
    assert.ok(Math.abs(Number(info.format.duration) - 5) < 0.2);

    const head = await call('HEAD', `/video/generations/${done.generations[0].id}/content/video`);
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers.get('content-length')), bytes.length);
    const partial = await call(
      'GET',
      `/video/generations/${done.generations[0].id}/content/video`,
      undefined,
      { 'api-key': KEY, range: 'bytes=10-19' },
    );
    assert.equal(partial.status, 206);
    assert.equal(partial.headers.get('content-range'), `bytes 10-19/${bytes.length}`);
    assert.ok(Buffer.from(await partial.arrayBuffer()).equals(bytes.subarray(10, 20)));

    const list = (await (await call('GET', '/video/generations/jobs?limit=1')).json()) as {
      object: string;
      data: Array<{ id: string }>;
      first_id: string;
    };
    assert.equal(list.object, 'list');
    assert.equal(list.first_id, list.data[0].id);

    assert.equal((await call('DELETE', `/video/generations/jobs/${job.id}`)).status, 204);
    assert.equal((await call('GET', `/video/generations/jobs/${job.id}`)).status, 404);
    assert.equal(
      (await call('GET', `/video/generations/${done.generations[0].id}/content/video`)).status,
      404,
    );
  });

  test('wrong or missing key → the documented 401', async () => {
    const attempts: Array<Record<string, string>> = [
      { 'api-key': 'wrong' },
      {},
      { authorization: 'Bearer wrong' },
    ];
    for (const headers of attempts) {
      const response = await call('GET', '/video/generations/jobs', undefined, headers);
      assert.equal(response.status, 401);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, '401');
      assert.match(
        body.error.message,
        /^Access denied due to invalid subscription key or wrong API endpoint/,
      );
    }
    assert.equal(
      (await call('GET', '/video/generations/jobs', undefined, { authorization: `Bearer ${KEY}` })).status,
      200,
    );
  });

  test('a dated api-version is refused', async () => {
    const response = await call('GET', '/video/generations/jobs?api-version=2025-02-15-preview');
    assert.equal(response.status, 400);
    assert.match(
      ((await response.json()) as { error: { message: string } }).error.message,
      /API version not supported/,
    );
  });

  const invalidBodies: Array<[string, unknown, string]> = [
    ['missing prompt', { ...quickstartBody, prompt: undefined }, 'prompt'],
    ['missing model', { ...quickstartBody, model: undefined }, 'model'],
    ['missing width', { ...quickstartBody, width: undefined }, 'width'],
    ['unsupported size', { ...quickstartBody, width: 640 }, 'width'],
    ['n_seconds 0', { ...quickstartBody, n_seconds: 0 }, 'n_seconds'],
    ['n_seconds 21', { ...quickstartBody, n_seconds: 21 }, 'n_seconds'],
    ['1080p over 10 s', { ...quickstartBody, width: 1920, height: 1080, n_seconds: 11 }, 'n_seconds'],
    ['2 variants at 1080p', { ...quickstartBody, width: 1080, height: 1080, n_variants: 2 }, 'n_variants'],
    ['3 variants at 720p', { ...quickstartBody, width: 1280, height: 720, n_variants: 3 }, 'n_variants'],
    ['5 variants at 480p', { ...quickstartBody, n_variants: 5 }, 'n_variants'],
  ];
  for (const [name, body, param] of invalidBodies) {
    test(`create refuses: ${name}`, async () => {
      const response = await call('POST', '/video/generations/jobs', body);
      assert.equal(response.status, 400);
      const error = ((await response.json()) as { error: { param: string; message: string } }).error;
      assert.equal(error.param, param);
      assert.ok(error.message.length > 0);
    });
  }

  test('unknown deployment → 404', async () => {
    const response = await call('POST', '/video/generations/jobs', { ...quickstartBody, model: 'nope' });
    assert.equal(response.status, 404);
    assert.equal(
      ((await response.json()) as { error: { type: string } }).error.type,
      'video_generation_user_error',
    );
  });
});

describe('provider emulator: running-jobs limit and stats', () => {
  test('a third concurrent job gets 429 with retry-after, and stats count it', async () => {
    const emulator = await startProviderEmulator({ timeScale: 10 });
    try {
      const create = () =>
        fetch(`${emulator.url}/openai/v1/video/generations/jobs`, {
          method: 'POST',
          headers: { 'api-key': 'any', 'content-type': 'application/json' },
          body: JSON.stringify(quickstartBody),
        });
      assert.equal((await create()).status, 200);
      assert.equal((await create()).status, 200);
      const third = await create();
      assert.equal(third.status, 429);
      assert.ok(Number(third.headers.get('retry-after')) >= 1);
      assert.equal(
        ((await third.json()) as { error: { message: string } }).error.message,
        'Too many running tasks',
      );
      const stats = (await (await fetch(`${emulator.url}/_admin/stats`)).json()) as {
        jobsCreated: Record<string, number>;
        peakRunningJobs: Record<string, number>;
        runningJobs: Record<string, number>;
        requests: Record<string, Record<string, number>>;
      };
      assert.deepEqual(stats.jobsCreated, { sora: 2 });
      assert.deepEqual(stats.peakRunningJobs, { sora: 2 });
      assert.deepEqual(stats.runningJobs, { sora: 2, 'sora-2': 0 });
      assert.deepEqual(stats.requests['POST /openai/v1/video/generations/jobs'], { 200: 2, 429: 1 });
    } finally {
      await emulator.stop();
    }
  });
});
