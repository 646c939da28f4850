// Every way a Sora job can end badly, end to end on the real parts: the instance ends
// Failed, GET /api/videos/{id} says why, no video blob is left behind, and the Sora job is
// cleaned up (the emulator no longer knows it). Both API families where the outcome exists.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  EMULATOR_KEY,
  call,
  quickstartBody,
  startPipelineStack,
  startVideo,
  videoBlobs,
  waitForVideo,
  type PipelineStack,
} from './pipeline-stack.js';
import { eventually } from '../support/eventually.js';

const DENIED_WORD = 'forbidden-word';
const TIME_SCALE = 0.05; // the harness default: a 480x480 5 s job takes ~0.3 s

/** Main stack: quick jobs, outcomes switched on per test through PATCH /_admin/config. */
let stack: PipelineStack;
/** Deadline stack: VIDEO_DEADLINE_MINUTES 0.05 (3 s) and jobs that take 30 s or more. */
let slow: PipelineStack;

before(async () => {
  [stack, slow] = await Promise.all([
    startPipelineStack({
      emulator: { denyList: [DENIED_WORD], videosCreatesPerMinute: 100, timeScale: TIME_SCALE },
    }),
    startPipelineStack({
      emulator: { videosCreatesPerMinute: 100, timeScale: 5 },
      settings: { VIDEO_DEADLINE_MINUTES: '0.05' },
    }),
  ]);
});
after(async () => {
  await Promise.all([stack?.stop(), slow?.stop()]);
});

type Family = 'jobs' | 'videos';
const bodies: Record<Family, Record<string, unknown>> = {
  jobs: { ...quickstartBody, n_seconds: 2 },
  videos: { model: 'sora-2', prompt: 'A paper boat on a rainy street.', size: '1280x720', seconds: '4' },
};
const withPrompt = (family: Family, prompt: string) => ({ ...bodies[family], prompt });

/** The job's URL on the emulator, as the app would address it. */
function soraJobUrl(on: PipelineStack, family: Family, jobId: string): string {
  return family === 'jobs'
    ? `${on.emulator.url}/openai/v1/video/generations/jobs/${jobId}?api-version=preview`
    : `${on.emulator.url}/openai/v1/videos/${jobId}?api-version=v1`;
}

async function patchConfig(on: PipelineStack, values: Record<string, unknown>): Promise<void> {
  const answer = await call(`${on.emulator.url}/_admin/config`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(values),
  });
  assert.equal(answer.status, 200, answer.text);
}

/** Runs `body` with the emulator reconfigured, and puts the old values back even if it fails. */
async function withConfig<T>(
  on: PipelineStack,
  values: Record<string, unknown>,
  restore: Record<string, unknown>,
  body: () => Promise<T>,
): Promise<T> {
  await patchConfig(on, values);
  try {
    return await body();
  } finally {
    await patchConfig(on, restore);
  }
}

/** Follows GET /api/videos/{id} until it reports one of `phases` with a Sora job id. */
async function waitForPhase(
  on: PipelineStack,
  id: string,
  phases: string[],
  timeoutMs = 20_000,
): Promise<any> {
  const reached = await eventually(
    `video ${id} in ${phases.join('/')} with a job id`,
    async () => {
      const answer = await call(`${on.host.url}/api/videos/${id}`);
      assert.ok(
        answer.status === 200 && !['completed', 'failed', 'cancelled'].includes(answer.body.phase),
        `finished before reaching ${phases.join('/')}: ${JSON.stringify(answer.body ?? answer.text)}`,
      );
      return answer.body;
    },
    (body) => phases.includes(body.phase) && Boolean(body.upstream?.jobId),
    { timeoutMs, everyMs: 50 },
  );
  return reached;
}

/**
 * The common end of every bad outcome: Failed with the reason in `error`, no blob for the
 * instance, the Sora job gone from the emulator. Returns the final status.
 */
async function expectFailed(on: PipelineStack, id: string, family: Family, reason: RegExp): Promise<any> {
  const status = await waitForVideo(on.host, id);
  const shown = JSON.stringify(status);
  assert.equal(status.phase, 'failed', shown);
  assert.equal(status.runtimeStatus, 'Failed', shown);
  assert.equal(status.videos, undefined, shown);
  assert.equal(typeof status.error, 'string', shown);
  assert.match(status.error, reason);
  assert.doesNotMatch(status.error, /^Orchestrator function/, 'the durable prefix is stripped');
  assert.equal(status.upstream.model, family === 'jobs' ? 'sora' : 'sora-2', shown);

  // The job id: in the status once polling started; a job refused at create only names it in the error.
  const jobId: string | undefined =
    status.upstream.jobId ?? /\b(task_[0-9a-f]+|video_[0-9a-f]+)\b/.exec(status.error)?.[1];
  assert.ok(jobId, `the status or error names the Sora job: ${shown}`);
  assert.match(jobId, family === 'jobs' ? /^task_/ : /^video_/);

  assert.deepEqual(await videoBlobs(on.container, `${id}/`), [], 'no video blob for a failed request');
  const gone = await call(soraJobUrl(on, family, jobId), { headers: { 'api-key': EMULATOR_KEY } });
  assert.equal(gone.status, 404, `the Sora job ${jobId} was cleaned up: ${gone.status} ${gone.text}`);
  return status;
}

describe('Sora outcomes end the request Failed, with the reason, no blob, and the job cleaned up', () => {
  test('input moderation: a prompt with a denied word', async () => {
    const ids = {
      jobs: await startVideo(
        stack.host,
        withPrompt('jobs', `A cat holding a ${DENIED_WORD.toUpperCase()} sign.`),
      ),
      videos: await startVideo(stack.host, withPrompt('videos', `A boat with a ${DENIED_WORD} flag.`)),
    };
    await Promise.all([
      expectFailed(stack, ids.jobs, 'jobs', /The azure-openai job task_\w+ failed: input_moderation/),
      expectFailed(stack, ids.videos, 'videos', /The azure-openai job video_\w+ failed: moderation_blocked/),
    ]);
  });

  test('output moderation: the finished video is blocked', async () => {
    await withConfig(stack, { outputModerationRate: 1 }, { outputModerationRate: 0 }, async () => {
      const ids = {
        jobs: await startVideo(stack.host, bodies.jobs),
        videos: await startVideo(stack.host, bodies.videos),
      };
      const [jobs, videos] = await Promise.all([
        expectFailed(stack, ids.jobs, 'jobs', /The azure-openai job task_\w+ failed: output_moderation/),
        expectFailed(stack, ids.videos, 'videos', /The azure-openai job video_\w+ failed: content_filter/),
      ]);
      // These failed at the end, after polling: the status shows the job and Sora's last word.
      assert.ok(jobs.polls >= 1 && videos.polls >= 1, JSON.stringify([jobs, videos]));
      assert.equal(jobs.upstream.status, 'failed');
      assert.equal(videos.upstream.status, 'failed');
    });
  });

  test('internal error at Sora', async () => {
    await withConfig(stack, { internalErrorRate: 1 }, { internalErrorRate: 0 }, async () => {
      const ids = {
        jobs: await startVideo(stack.host, bodies.jobs),
        videos: await startVideo(stack.host, bodies.videos),
      };
      await Promise.all([
        expectFailed(stack, ids.jobs, 'jobs', /The azure-openai job task_\w+ failed: internal_error/),
        expectFailed(stack, ids.videos, 'videos', /The azure-openai job video_\w+ failed: internal_error/),
      ]);
    });
  });

  test('the job is deleted on the Sora side while we poll it', async () => {
    // Slow jobs (12 s and 30 s) so they are surely still queued/running when deleted.
    await withConfig(stack, { timeScale: 2 }, { timeScale: TIME_SCALE }, async () => {
      const ids = {
        jobs: await startVideo(stack.host, bodies.jobs),
        videos: await startVideo(stack.host, bodies.videos),
      };
      await Promise.all(
        (['jobs', 'videos'] as const).map(async (family) => {
          const waiting = await waitForPhase(stack, ids[family], ['queued', 'running']);
          const jobId: string = waiting.upstream.jobId;
          const deleted = await call(soraJobUrl(stack, family, jobId), {
            method: 'DELETE',
            headers: { 'api-key': EMULATOR_KEY },
          });
          assert.ok(
            [200, 204].includes(deleted.status),
            `delete on the emulator: ${deleted.status} ${deleted.text}`,
          );
          const status = await expectFailed(
            stack,
            ids[family],
            family,
            new RegExp(`Reading the azure-openai job ${jobId} failed: .*HTTP 404`),
          );
          assert.equal(status.upstream.jobId, jobId);
        }),
      );
    });
  });

  test('expired content: the job succeeded but its video is gone before the download', async () => {
    // A TTL of 0: content answers 404 from the first millisecond after the job finished.
    await withConfig(stack, { contentTtlSeconds: 0 }, { contentTtlSeconds: 86400 }, async () => {
      const ids = {
        jobs: await startVideo(stack.host, bodies.jobs),
        videos: await startVideo(stack.host, bodies.videos),
      };
      const [jobs, videos] = await Promise.all([
        expectFailed(
          stack,
          ids.jobs,
          'jobs',
          /Downloading the video failed: Download Sora generation gen_\w+ failed with HTTP 404/,
        ),
        expectFailed(
          stack,
          ids.videos,
          'videos',
          /Downloading the video failed: Download Sora video video_\w+ failed with HTTP 404/,
        ),
      ]);
      // Sora had said "succeeded": the failure is the download's, not the job's.
      assert.equal(jobs.upstream.status, 'succeeded');
      assert.equal(videos.upstream.status, 'completed');
    });
  });

  test('deadline reached: the job is cancelled and the request fails with "Timed out"', async () => {
    const started = Date.now();
    const ids = {
      jobs: await startVideo(slow.host, bodies.jobs),
      videos: await startVideo(slow.host, bodies.videos),
    };
    const [jobs, videos] = await Promise.all([
      expectFailed(
        slow,
        ids.jobs,
        'jobs',
        /^Timed out after 0\.05 minutes: the azure-openai job task_\w+ was still \w+; it was cancelled/,
      ),
      expectFailed(
        slow,
        ids.videos,
        'videos',
        /^Timed out after 0\.05 minutes: the azure-openai job video_\w+ was still \w+; it was cancelled/,
      ),
    ]);
    const elapsed = Date.now() - started;
    // 3 s of deadline, not the 30+ s the jobs would have taken: the messages above name the
    // deadline as the cause; only the lower bound is a time check (a loaded machine only delays).
    assert.ok(elapsed >= 3000, `failed after ${elapsed} ms`);
    // "was still <status>" above: it gave up while polling a live job, which it then deleted.
    assert.ok(
      ['queued', 'preprocessing', 'running', 'processing'].includes(jobs.upstream.status),
      JSON.stringify(jobs.upstream),
    );
    assert.ok(['queued', 'in_progress'].includes(videos.upstream.status), JSON.stringify(videos.upstream));
    const stats = (await call(`${slow.emulator.url}/_admin/stats`)).body;
    assert.equal(
      stats.requests['DELETE /openai/v1/video/generations/jobs/{job_id}']?.['204'],
      1,
      JSON.stringify(stats.requests),
    );
    assert.equal(
      stats.requests['DELETE /openai/v1/videos/{video_id}']?.['200'],
      1,
      JSON.stringify(stats.requests),
    );
  });
});
