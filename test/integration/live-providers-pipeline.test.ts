// The pipeline on fal's queue API and Replicate's predictions API, end to end on the real
// parts (the emulator's dialects over HTTP, Azurite, the Node host running the app): faults,
// lost creates, cancels, expired outputs and refused prompts, per provider.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  call,
  startPipelineStack,
  startVideo,
  videoBlobs,
  waitForVideo,
  emulatorAdmin,
  injectedErrorAnswers,
  videosUnderFaults,
  EMULATOR_KEY,
  type PipelineStack,
} from './pipeline-stack.js';
import { eventually } from '../support/eventually.js';

type Kind = 'fal' | 'replicate';
const MODELS: Record<Kind, string> = {
  fal: 'fal-ai/kling-video/v2/master/text-to-video',
  replicate: 'kwaivgi/kling-v2.0',
};
const CREATE_ROUTES: Record<Kind, string> = {
  fal: 'POST /fal/{model_id}',
  replicate: 'POST /replicate/v1/models/{owner}/{name}/predictions',
};
const body = (kind: Kind, prompt: string) => ({ provider: kind, model: MODELS[kind], prompt, size: '16:9' });

const admin = emulatorAdmin;
const creates = async (stack: PipelineStack, kind: Kind): Promise<number> =>
  (await admin(stack, 'GET', 'stats')).creates[kind];

/** The provider's own view of a job, straight from its API. */
async function upstream(
  stack: PipelineStack,
  kind: Kind,
  jobId: string,
): Promise<{ status: number; body: any }> {
  const url =
    kind === 'fal'
      ? `${stack.emulator.url}/fal/fal-ai/kling-video/requests/${jobId}/status`
      : `${stack.emulator.url}/replicate/v1/predictions/${jobId}`;
  const answer = await call(url, {
    headers: { authorization: kind === 'fal' ? `Key ${EMULATOR_KEY}` : `Bearer ${EMULATOR_KEY}` },
  });
  return { status: answer.status, body: answer.body };
}

/** The output's bytes as the provider serves them (faults off). */
async function outputBytes(stack: PipelineStack, kind: Kind, jobId: string): Promise<Buffer> {
  const auth = { authorization: kind === 'fal' ? `Key ${EMULATOR_KEY}` : `Bearer ${EMULATOR_KEY}` };
  const answer =
    kind === 'fal'
      ? await call(`${stack.emulator.url}/fal/fal-ai/kling-video/requests/${jobId}`, { headers: auth })
      : await call(`${stack.emulator.url}/replicate/v1/predictions/${jobId}`, { headers: auth });
  const url: string = kind === 'fal' ? answer.body.video.url : answer.body.output;
  return Buffer.from(await (await fetch(url)).arrayBuffer());
}

async function waitForUpstream(
  stack: PipelineStack,
  id: string,
  statuses: string[],
  timeoutMs = 20_000,
): Promise<any> {
  const answer = await eventually(
    `${id} showing ${statuses.join('/')} with a job id`,
    () => call(`${stack.host.url}/api/videos/${id}`),
    (last) =>
      last.status === 200 &&
      statuses.includes(last.body.upstream?.status) &&
      Boolean(last.body.upstream?.jobId),
    { timeoutMs, everyMs: 50 },
  );
  return answer.body;
}

for (const kind of ['fal', 'replicate'] as const) {
  describe(`${kind}: the pipeline on the emulator`, () => {
    let stack: PipelineStack;
    before(async () => {
      stack = await startPipelineStack({
        emulator: { falConcurrency: 20 },
        // A request timeout shorter than a loaded 2-core machine's worst answer turns a create
        // that did reach fal into a "lost" one, which fal's settle policy sends again (a second
        // job): 8 s keeps the fault test about injected faults, not about the machine's load.
        settings: { PROVIDER_REQUEST_TIMEOUT_SECONDS: '8', DEFAULT_PROVIDER: kind },
      });
    });
    after(async () => stack?.stop());

    test(`20 videos under 30 % injected 429/5xx/resets all complete byte-identical, with exactly 20 ${kind} jobs`, async () => {
      const before = await creates(stack, kind);
      const statuses = await videosUnderFaults(
        stack,
        {
          seed: 7,
          rules: [
            { kind: 'status', status: 429, rate: 0.08, retryAfterSeconds: 1 },
            { kind: 'status', status: 500, rate: 0.08 },
            { kind: 'status', status: 503, rate: 0.08 },
            { kind: 'reset', rate: 0.08 },
          ],
        },
        Array.from({ length: 20 }, (_, i) => body(kind, `A kite over the dunes, take ${i}.`)),
        240_000,
      );
      const injected = await injectedErrorAnswers(stack);
      // With webhooks there are no status calls, so fewer calls to fault: a few error answers prove it.
      assert.ok(injected >= 4, `faults were really injected (${injected} error answers)`);
      for (const status of statuses) {
        assert.equal(status.phase, 'completed', JSON.stringify(status));
        const stored = await stack.container.getBlockBlobClient(status.videos[0].blobName).downloadToBuffer();
        assert.ok(
          stored.equals(await outputBytes(stack, kind, status.upstream.jobId)),
          `${status.id}: the stored bytes are the provider's`,
        );
      }
      assert.equal((await creates(stack, kind)) - before, 20, 'one upstream job per video');
    });

    test(
      kind === 'replicate'
        ? 'a create whose answer is lost is adopted from the predictions list: one prediction billed'
        : 'a create whose answer is lost is sent again only after the settle time (fal lists no jobs)',
      async () => {
        const before = await creates(stack, kind);
        await admin(stack, 'PUT', 'faults', {
          seed: 1,
          rules: [{ route: CREATE_ROUTES[kind], kind: 'drop-response', rate: 1 }],
        });
        const started = Date.now();
        const id = await startVideo(stack.host, body(kind, `A lost answer ${Date.now()}.`));
        try {
          await eventually(
            'the create whose answer is lost',
            () => creates(stack, kind),
            (n) => n > before,
            {
              everyMs: 25,
            },
          ).catch(() => undefined); // the outcome below is checked either way
        } finally {
          await admin(stack, 'DELETE', 'faults');
        }
        const status = await waitForVideo(stack.host, id, 90_000);
        assert.equal(status.phase, 'completed', JSON.stringify(status));
        if (kind === 'replicate') {
          assert.equal((await creates(stack, kind)) - before, 1, 'adopted, not sent again');
        } else {
          assert.equal(
            (await creates(stack, kind)) - before,
            2,
            'fal cannot list jobs: the lost one is re-sent once',
          );
          // Settle time = max(5, 2 × the 8 s request timeout) = 16 s (src/app-context.ts).
          assert.ok(Date.now() - started >= 16_000, 'never within the settle time');
        }
      },
    );

    for (const stage of kind === 'fal' ? ['IN_QUEUE', 'IN_PROGRESS'] : ['starting', 'processing']) {
      test(`cancel while ${stage}: no job left running, no blob`, async () => {
        await admin(stack, 'PATCH', 'config', { timeScale: 3 });
        try {
          const id = await startVideo(stack.host, body(kind, `Cancel me while ${stage} ${Date.now()}.`));
          const seen = await waitForUpstream(stack, id, [stage]);
          const cancelled = await call(`${stack.host.url}/api/videos/${id}`, { method: 'DELETE' });
          assert.equal(cancelled.status, 202, cancelled.text);
          assert.equal(cancelled.body.upstreamJobCancelled, true);
          const job = await upstream(stack, kind, seen.upstream.jobId);
          if (kind === 'replicate') assert.equal(job.body.status, 'canceled', JSON.stringify(job.body));
          else
            assert.ok(job.status === 404 || job.body.error_type === 'client_cancelled', JSON.stringify(job));
          const final = await waitForVideo(stack.host, id);
          assert.equal(final.phase, 'cancelled');
          assert.deepEqual(await videoBlobs(stack.container, `${id}/`), []);
        } finally {
          await admin(stack, 'PATCH', 'config', { timeScale: 0.05 });
        }
      });
    }

    test('an output that expires before the download ends the request failed, with the reason, and no blob', async () => {
      await admin(stack, 'PATCH', 'config', { timeScale: 2 });
      try {
        const id = await startVideo(stack.host, body(kind, `Expire me ${Date.now()}.`));
        const seen = await waitForUpstream(
          stack,
          id,
          kind === 'fal' ? ['IN_QUEUE', 'IN_PROGRESS'] : ['starting', 'processing'],
        );
        await admin(stack, 'POST', `expire/${seen.upstream.jobId}`);
        await admin(stack, 'PATCH', 'config', { timeScale: 0.05 });
        const final = await waitForVideo(stack.host, id, 60_000);
        assert.equal(final.phase, 'failed', JSON.stringify(final));
        assert.match(
          final.error,
          kind === 'fal' ? /Download.*HTTP 404/ : /expired: the outputs were removed/,
        );
        assert.deepEqual(await videoBlobs(stack.container, `${id}/`), []);
      } finally {
        await admin(stack, 'PATCH', 'config', { timeScale: 0.05 });
      }
    });

    if (kind === 'fal') {
      test("input the model refuses is queued by fal; the request ends failed with the model's message", async () => {
        const before = await creates(stack, kind);
        const id = await startVideo(stack.host, {
          ...body(kind, `Refused input ${Date.now()}.`),
          options: { cfg_scale: 'high' },
        });
        const final = await waitForVideo(stack.host, id, 30_000);
        assert.equal(final.phase, 'failed', JSON.stringify(final));
        assert.match(final.error, /cfg_scale: Input should be a valid number/);
        assert.equal(
          (await creates(stack, kind)) - before,
          1,
          'fal accepted the submit: the 422 came at the end',
        );
        const job = await upstream(stack, kind, final.upstream.jobId);
        assert.equal(job.body.error, 'Invalid status code: 422', JSON.stringify(job.body));
        assert.deepEqual(await videoBlobs(stack.container, `${id}/`), []);
      });

      test('a cancel of a running job that does not take: cancelled for the caller, nothing downloaded, the view says the provider finished it', async () => {
        await admin(stack, 'PATCH', 'config', { timeScale: 0.5, falIgnoreRunningCancel: true });
        try {
          const id = await startVideo(stack.host, body(kind, `Cancel that does not take ${Date.now()}.`));
          const seen = await waitForUpstream(stack, id, ['IN_PROGRESS']);
          const cancelled = await call(`${stack.host.url}/api/videos/${id}`, { method: 'DELETE' });
          assert.equal(cancelled.status, 202, cancelled.text);
          const jobId = seen.upstream.jobId;
          // The provider runs on and finishes the video (so it may bill it).
          const job = await eventually(
            'the provider finished the job',
            () => upstream(stack, kind, jobId),
            (answer) => answer.body.status === 'COMPLETED',
            { timeoutMs: 30_000, everyMs: 100 },
          );
          assert.equal(job.body.status, 'COMPLETED', JSON.stringify(job.body));
          assert.equal(job.body.error, undefined, 'the video was made');
          const final = await call(`${stack.host.url}/api/videos/${id}`);
          assert.equal(final.status, 200, final.text);
          assert.equal(final.body.phase, 'cancelled', JSON.stringify(final.body));
          assert.equal(final.body.upstream.finishedAfterCancel, true, JSON.stringify(final.body));
          assert.equal(final.body.upstream.status, 'COMPLETED');
          assert.equal(final.body.videos, undefined);
          assert.deepEqual(await videoBlobs(stack.container, `${id}/`), []);
        } finally {
          await admin(stack, 'PATCH', 'config', { timeScale: 0.05, falIgnoreRunningCancel: false });
        }
      });
    }

    test("a refused prompt ends the request failed with the provider's message", async () => {
      await admin(stack, 'PATCH', 'config', { denyList: ['forbidden'] });
      try {
        const id = await startVideo(stack.host, body(kind, 'A forbidden scene.'));
        const final = await waitForVideo(stack.host, id, 30_000);
        assert.equal(final.phase, 'failed', JSON.stringify(final));
        assert.match(
          final.error,
          kind === 'fal' ? /content_policy_violation/ : /sensitive|flagged|NSFW|moderation|content/i,
        );
        assert.deepEqual(await videoBlobs(stack.container, `${id}/`), []);
      } finally {
        await admin(stack, 'PATCH', 'config', { denyList: [] });
      }
    });
  });
}
