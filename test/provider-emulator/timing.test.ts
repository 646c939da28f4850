// Seeded duration jitter and the exact timing admin endpoint (GET /_admin/jobs/{id}) that the
// polling benchmark reads to know when a job reached its final status.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { startProviderEmulator, type ProviderEmulatorOptions } from '../../emulators/providers/index.js';
import { jobDurationMs } from '../../emulators/providers/jobs-api.js';
import { spawnProviderEmulatorCli } from '../../emulators/providers/spawn-cli.js';
import { eventually } from '../support/eventually.js';

interface Timing {
  id: string;
  createdAtMs: number;
  durationMs: number;
  finishedAtMs: number | null;
  status: string;
  phase?: string;
}

const JOB = {
  prompt: 'A cat playing piano in a jazz bar.',
  width: 480,
  height: 480,
  n_seconds: 5,
  model: 'sora',
};
const headers = { 'api-key': 'x', 'content-type': 'application/json' };

async function create(
  url: string,
  route: '/video/generations/jobs' | '/videos',
  body: unknown,
): Promise<string> {
  const response = await fetch(`${url}/openai/v1${route}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { id: string }).id;
}
const timing = async (url: string, id: string) =>
  (await (await fetch(`${url}/_admin/jobs/${id}`)).json()) as Timing;

/** Durations (ms) of `count` jobs then `count` videos created in that order. */
async function durations(url: string, count: number): Promise<{ jobs: number[]; videos: number[] }> {
  const jobs: number[] = [];
  const videos: number[] = [];
  for (let i = 0; i < count; i++)
    jobs.push((await timing(url, await create(url, '/video/generations/jobs', JOB))).durationMs);
  for (let i = 0; i < count; i++)
    videos.push(
      (await timing(url, await create(url, '/videos', { prompt: 'p', model: 'sora-2' }))).durationMs,
    );
  return { jobs, videos };
}

async function withEmulator<T>(
  options: ProviderEmulatorOptions,
  body: (url: string) => Promise<T>,
): Promise<T> {
  const emulator = await startProviderEmulator({
    maxRunningJobs: 1000,
    videosCreatesPerMinute: 1000,
    ...options,
  });
  try {
    return await body(emulator.url);
  } finally {
    await emulator.stop();
  }
}

// A slow clock: jobs stay running, durations are read from the admin endpoint at once.
const SLOW = 100;

test('durationJitter: the same seed gives the same durations, spread within ±fraction of the nominal', async () => {
  const nominal = jobDurationMs({ width: 480, height: 480, n_seconds: 5, n_variants: 1 }, SLOW);
  const nominalVideo = jobDurationMs({ width: 720, height: 1280, n_seconds: 4, n_variants: 1 }, SLOW);
  const first = await withEmulator({ timeScale: SLOW, durationJitter: 0.3, seed: 42 }, (url) =>
    durations(url, 20),
  );
  const again = await withEmulator({ timeScale: SLOW, durationJitter: 0.3, seed: 42 }, (url) =>
    durations(url, 20),
  );
  assert.deepEqual(again, first, 'same seed, same durations');
  for (const [values, base] of [
    [first.jobs, nominal],
    [first.videos, nominalVideo],
  ] as const) {
    for (const value of values)
      assert.ok(value >= base * 0.7 - 1 && value <= base * 1.3 + 1, `${value} outside ${base} ± 30%`);
    // Spread, not a constant offset: 20 uniform draws reach both outer fifths of the range.
    assert.ok(
      Math.min(...values) < base * 0.88 && Math.max(...values) > base * 1.12,
      `spread too narrow: ${Math.min(...values)}..${Math.max(...values)} around ${base}`,
    );
  }
  const otherSeed = await withEmulator({ timeScale: SLOW, durationJitter: 0.3, seed: 43 }, (url) =>
    durations(url, 20),
  );
  assert.notDeepEqual(otherSeed.jobs, first.jobs, 'another seed, other durations');
});

test('durationJitter defaults to 0: every job takes exactly its nominal duration', async () => {
  const nominal = jobDurationMs({ width: 480, height: 480, n_seconds: 5, n_variants: 1 }, SLOW);
  const { jobs } = await withEmulator({ timeScale: SLOW }, (url) => durations(url, 5));
  assert.deepEqual(jobs, Array(5).fill(nominal));
});

test('durationJitter is validated: option, PATCH /_admin/config and --duration-jitter', async () => {
  await assert.rejects(startProviderEmulator({ durationJitter: 1 }), /durationJitter/);
  await withEmulator({ timeScale: SLOW }, async (url) => {
    const patch = (value: unknown) =>
      fetch(`${url}/_admin/config`, {
        method: 'PATCH',
        headers,
        body: JSON.stringify({ durationJitter: value }),
      });
    assert.equal((await patch(1)).status, 400);
    assert.equal((await patch(-0.1)).status, 400);
    const ok = await patch(0.5);
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { durationJitter: number }).durationJitter, 0.5);
    const nominal = jobDurationMs({ width: 480, height: 480, n_seconds: 5, n_variants: 1 }, SLOW);
    const { jobs } = await durations(url, 10);
    assert.ok(
      jobs.some((d) => d !== nominal) && jobs.every((d) => Math.abs(d - nominal) <= nominal * 0.5 + 1),
      jobs.join(','),
    );
  });
});

test('--duration-jitter and --seed on the CLI give the same durations as the options', async () => {
  const expected = await withEmulator({ timeScale: SLOW, durationJitter: 0.3, seed: 7 }, (url) =>
    durations(url, 3),
  );
  const { url, child } = await spawnProviderEmulatorCli([
    '--port',
    '0',
    '--time-scale',
    String(SLOW),
    '--duration-jitter',
    '0.3',
    '--seed',
    '7',
    '--max-running-jobs',
    '100',
    '--videos-creates-per-minute',
    '100',
  ]);
  try {
    assert.deepEqual(await durations(url, 3), expected);
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});

test('GET /_admin/jobs/{id}: ms-precision creation and finish of a job and a video, no key needed', () =>
  withEmulator({ timeScale: 0.2, durationJitter: 0.3 }, async (url) => {
    const before = Date.now();
    const jobId = await create(url, '/video/generations/jobs', JOB);
    const videoId = await create(url, '/videos', { prompt: 'p', model: 'sora-2' });
    const after = Date.now();
    for (const id of [jobId, videoId]) {
      const early = await timing(url, id);
      assert.equal(early.id, id);
      assert.ok(
        early.createdAtMs >= before && early.createdAtMs <= after,
        'createdAtMs is the creation moment',
      );
      assert.equal(early.finishedAtMs, null);
      assert.ok(['queued', 'preprocessing', 'running', 'in_progress'].includes(early.status), early.status);
    }
    // Follow the public status; the first answer that says succeeded comes at or after finishedAtMs.
    let seenAt = 0;
    const job = await eventually(
      'the job succeeded',
      async () => {
        const polled = (await (
          await fetch(`${url}/openai/v1/video/generations/jobs/${jobId}`, { headers })
        ).json()) as { status: string; finished_at: number | null };
        seenAt = Date.now();
        return polled;
      },
      (polled) => polled.status === 'succeeded',
      { everyMs: 10 },
    );
    const done = await timing(url, jobId);
    assert.equal(done.status, 'succeeded');
    assert.equal(done.finishedAtMs, done.createdAtMs + done.durationMs);
    assert.ok(done.finishedAtMs! <= seenAt, 'not finished later than it was seen');
    assert.equal(
      job.finished_at,
      Math.floor(done.finishedAtMs! / 1000),
      'the public finished_at is the same moment in seconds',
    );

    const video = await eventually(
      'the video completed',
      () => timing(url, videoId),
      (v) => v.status === 'completed',
    );
    assert.equal(video.finishedAtMs, video.createdAtMs + video.durationMs);

    assert.equal((await fetch(`${url}/_admin/jobs/task_unknown`)).status, 404);
  }));

test('GET /_admin/jobs/{id}: a moderated job finished when it was created', () =>
  withEmulator({ timeScale: SLOW, denyList: ['forbidden'] }, async (url) => {
    const id = await create(url, '/video/generations/jobs', { ...JOB, prompt: 'forbidden' });
    const moderated = await timing(url, id);
    assert.equal(moderated.status, 'failed');
    assert.equal(moderated.finishedAtMs, moderated.createdAtMs);
  }));

test('equal input is encoded once: later generations get the same bytes, each in its own file', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'emulator-timing-'));
  await withEmulator({ timeScale: 0.02, dataDir }, async (url) => {
    const ids = [
      await create(url, '/video/generations/jobs', JOB),
      await create(url, '/video/generations/jobs', JOB),
    ];
    const bodies: Buffer[] = [];
    for (const id of ids) {
      const job = await eventually(
        `${id} succeeded`,
        async () =>
          (await (await fetch(`${url}/openai/v1/video/generations/jobs/${id}`, { headers })).json()) as {
            status: string;
            generations: Array<{ id: string }>;
          },
        (polled) => polled.status === 'succeeded',
      );
      const response = await fetch(
        `${url}/openai/v1/video/generations/${job.generations[0].id}/content/video`,
        { headers },
      );
      assert.equal(response.status, 200);
      bodies.push(Buffer.from(await response.arrayBuffer()));
    }
    assert.ok(bodies[0].length > 1000);
    assert.ok(bodies[0].equals(bodies[1]));
    assert.equal(readdirSync(dataDir).filter((f) => f.endsWith('.mp4')).length, 2);
  });
});

test('GET /_admin/jobs/{id}: `phase` tells a cancelled fal request (public status COMPLETED) and Replicate prediction', () =>
  withEmulator({ timeScale: SLOW }, async (url) => {
    const send = async (method: string, route: string, authorization: string, body?: unknown) => {
      const response = await fetch(`${url}${route}`, {
        method,
        headers: { authorization, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      assert.ok(
        response.status < 300,
        `${method} ${route}: ${response.status} ${await response.clone().text()}`,
      );
      return (await response.json()) as Record<string, unknown>;
    };
    const fal = await send('POST', '/fal/fal-ai/veo3', 'Key k', { prompt: 'p', duration: '4s' });
    const prediction = await send('POST', '/replicate/v1/models/kwaivgi/kling-v2.0/predictions', 'Bearer t', {
      input: { prompt: 'p' },
    });
    const falId = String(fal.request_id);
    const predictionId = String(prediction.id);
    for (const id of [falId, predictionId])
      assert.ok(['queued', 'running'].includes(String((await timing(url, id)).phase)), id);
    await send('PUT', `/fal/fal-ai/veo3/requests/${falId}/cancel`, 'Key k');
    await send('POST', `/replicate/v1/predictions/${predictionId}/cancel`, 'Bearer t');
    const cancelledFal = await timing(url, falId);
    assert.deepEqual([cancelledFal.status, cancelledFal.phase], ['COMPLETED', 'cancelled']);
    const cancelledPrediction = await timing(url, predictionId);
    assert.deepEqual([cancelledPrediction.status, cancelledPrediction.phase], ['canceled', 'cancelled']);
  }));
