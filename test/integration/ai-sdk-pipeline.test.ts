// Kind ai-sdk end to end on the real parts: the official AI SDK provider packages, unchanged,
// against the emulator's Gemini API dialect (@ai-sdk/google, its baseURL), Replicate dialect
// against the emulator's Gemini API dialect (@ai-sdk/google, its baseURL), Replicate dialect
// (@ai-sdk/replicate, its baseURL), xAI dialect (@ai-sdk/xai, its baseURL), AI Gateway dialect
// (@ai-sdk/gateway, its baseURL) and fal dialect (@ai-sdk/fal, which has no base URL for video:
// the host's fetch maps fal's queue to the emulator, in this test only, test/support/fal-loopback.ts),
// through Azurite and the Node host running the app. Faults, cancels (sent where the vendor
// documents one) and refused prompts, per package.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { probeVideo } from '../e2e/helpers.js';
import { eventually } from '../support/eventually.js';
import { falLoopbackSettings } from '../support/fal-loopback.js';
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

interface Case {
  instance: string;
  /** The dialect's create and status routes: where a fault could make a second job. */
  routes: [string, string];
  dialect: 'gemini' | 'replicate' | 'fal' | 'xai' | 'gateway';
  model: string;
  seconds: number;
  refusal: RegExp;
}
const CASES: Case[] = [
  {
    instance: 'google',
    routes: [
      'POST /v1beta/models/{model}:predictLongRunning',
      'GET /v1beta/models/{model}/operations/{operation_id}',
    ],
    dialect: 'gemini',
    model: 'veo-3.1-generate-preview',
    seconds: 4,
    refusal: /violates Google's Responsible AI practices/,
  },
  {
    instance: 'replicate-sdk',
    routes: ['POST /replicate/v1/models/{owner}/{name}/predictions', 'GET /replicate/v1/predictions/{id}'],
    dialect: 'replicate',
    model: 'kwaivgi/kling-v2.0',
    seconds: 5,
    refusal: /flagged as sensitive/,
  },
  {
    instance: 'fal-sdk',
    // The package asks for the result (response_url) until it is there, never for the status.
    routes: ['POST /fal/{model_id}', 'GET /fal/{owner}/{app}/requests/{request_id}'],
    dialect: 'fal',
    model: 'fal-ai/veo3',
    seconds: 4,
    refusal: /flagged by the content checker/,
  },
  {
    instance: 'xai',
    routes: ['POST /xai/v1/videos/generations', 'GET /xai/v1/videos/{request_id}'],
    dialect: 'xai',
    model: 'grok-imagine-video',
    seconds: 2,
    refusal: /Video generation failed: .*rejected by content moderation/,
  },
  {
    instance: 'gateway',
    routes: ['POST /gateway/v4/ai/video-model/start', 'POST /gateway/v4/ai/video-model/status'],
    dialect: 'gateway',
    model: 'klingai/kling-v2.6-t2v',
    seconds: 5,
    refusal: /content policy/,
  },
];

/** Whether the dialect's vendor documents a cancel that the ai-sdk kind sends (src/providers/ai-sdk/cancel.ts;
 * Google documents none for Veo operations: docs/providers/gemini.md; xAI and the AI Gateway none
 * either: docs/providers/xai.md, docs/providers/ai-gateway.md). */
const VENDOR_CANCELS: Record<Case['dialect'], boolean> = {
  replicate: true,
  fal: true,
  gemini: false,
  xai: false,
  gateway: false,
};

const body = (c: Case, prompt: string) => ({
  provider: c.instance,
  model: c.model,
  prompt,
  seconds: c.seconds,
  size: '16:9',
});

const admin = emulatorAdmin;
const creates = async (stack: PipelineStack, c: Case): Promise<number> =>
  (await admin(stack, 'GET', 'stats')).creates[c.dialect];

/** The codec of a stored video, as ffprobe reads it. */
async function codecOf(stack: PipelineStack, blobName: string): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-sdk-pipeline-'));
  try {
    const file = path.join(dir, 'video.mp4');
    writeFileSync(file, await stack.container.getBlockBlobClient(blobName).downloadToBuffer());
    return (await probeVideo(file)).codec;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitForUpstream(stack: PipelineStack, id: string): Promise<any> {
  const answer = await eventually(
    `${id} shows a pending job`,
    () => call(`${stack.host.url}/api/videos/${id}`),
    (seen) =>
      seen.status === 200 && Boolean(seen.body.upstream?.jobId) && seen.body.upstream.status === 'pending',
  );
  return answer.body;
}

describe('kind ai-sdk on the emulator', () => {
  let stack: PipelineStack;
  before(async () => {
    stack = await startPipelineStack({
      // 20 creates in a minute for one key and model: over the Gemini dialect's default quota.
      emulator: { geminiCreatesPerMinute: 1000 },
      // A shorter timeout makes load look like lost creates (each then waits out the settle time).
      settings: { PROVIDER_REQUEST_TIMEOUT_SECONDS: '8' },
      settingsFor: (url) => ({
        GOOGLE_GENERATIVE_AI_API_KEY: EMULATOR_KEY,
        VIDEO_PROVIDERS__google__BASE_URL: `${url}/v1beta`,
        'VIDEO_PROVIDERS__replicate-sdk__KIND': 'ai-sdk',
        'VIDEO_PROVIDERS__replicate-sdk__PACKAGE': '@ai-sdk/replicate',
        'VIDEO_PROVIDERS__replicate-sdk__API_KEY': EMULATOR_KEY,
        'VIDEO_PROVIDERS__replicate-sdk__BASE_URL': `${url}/replicate/v1`,
        // No BASE_URL: the package calls https://queue.fal.run, which the host's fetch maps here.
        'VIDEO_PROVIDERS__fal-sdk__KIND': 'ai-sdk',
        'VIDEO_PROVIDERS__fal-sdk__PACKAGE': '@ai-sdk/fal',
        'VIDEO_PROVIDERS__fal-sdk__API_KEY': EMULATOR_KEY,
        ...falLoopbackSettings(url),
        XAI_API_KEY: EMULATOR_KEY,
        VIDEO_PROVIDERS__xai__BASE_URL: `${url}/xai/v1`,
        AI_GATEWAY_API_KEY: EMULATOR_KEY,
        VIDEO_PROVIDERS__gateway__BASE_URL: `${url}/gateway/v4/ai`,
      }),
    });
  });
  after(async () => stack?.stop());

  for (const c of CASES) {
    describe(`${c.instance} (${c.dialect} dialect)`, () => {
      test(`20 videos under 30 % injected 429/5xx/resets all complete, with exactly 20 ${c.dialect} jobs`, async () => {
        const before = await creates(stack, c);
        // On the create and status calls (the downloads of the files are left clean: this test is
        // about creates, and a download has its own retries).
        const statuses = await videosUnderFaults(
          stack,
          {
            seed: 11,
            rules: c.routes.flatMap((route) => [
              { route, kind: 'status', status: 429, rate: 0.08, retryAfterSeconds: 1 },
              { route, kind: 'status', status: 500, rate: 0.08 },
              { route, kind: 'status', status: 503, rate: 0.08 },
              { route, kind: 'reset', rate: 0.06 },
            ]),
          },
          Array.from({ length: 20 }, (_, i) => body(c, `A kite over the dunes, take ${i}.`)),
          300_000,
        );
        const injected = await injectedErrorAnswers(stack);
        assert.ok(injected >= 4, `faults were really injected (${injected} error answers)`);
        for (const status of statuses) {
          assert.equal(status.phase, 'completed', JSON.stringify(status));
          assert.equal(status.upstream.kind, 'ai-sdk');
          const stored = await stack.container
            .getBlockBlobClient(status.videos[0].blobName)
            .downloadToBuffer();
          assert.equal(stored.subarray(4, 8).toString('latin1'), 'ftyp', 'an MP4 was stored');
        }
        assert.equal(await codecOf(stack, statuses[0].videos[0].blobName), 'h264');
        assert.equal((await creates(stack, c)) - before, 20, 'one upstream job per video');
        // The operation (which may carry a signed link) is kept beside the claims, not in history.
        const history = JSON.stringify(statuses);
        assert.ok(!history.includes(EMULATOR_KEY), 'no key in what callers see');
      });

      test('a first create answered 429 is sent again and makes one job; a lost one is re-sent only after the settle time', async () => {
        const requests = async () =>
          ((await admin(stack, 'GET', 'stats')).requests[c.routes[0]] ?? {}) as Record<string, number>;
        const waitFor = (what: string, check: () => Promise<boolean>) => eventually(what, check);
        // 429 first: the provider answered, no job was made; the retry makes the one job.
        let before = await creates(stack, c);
        const refused = (await requests())['429'] ?? 0;
        await admin(stack, 'PUT', 'faults', {
          seed: 1,
          rules: [{ route: c.routes[0], kind: 'status', status: 429, rate: 1, retryAfterSeconds: 1 }],
        });
        let id = await startVideo(stack.host, body(c, `Refused first ${Date.now()}.`));
        try {
          await waitFor(
            'the create was answered 429',
            async () => ((await requests())['429'] ?? 0) > refused,
          );
        } finally {
          await admin(stack, 'DELETE', 'faults');
        }
        let final = await waitForVideo(stack.host, id, 60_000);
        assert.equal(final.phase, 'completed', JSON.stringify(final));
        assert.equal((await creates(stack, c)) - before, 1, 'one job after a 429');
        // Lost: the job was made, its answer never came. No job list to adopt from (lostCreate
        // settle): sent again once the settle time (max(5, 2 x 8 s) = 16 s) has passed.
        before = await creates(stack, c);
        await admin(stack, 'PUT', 'faults', {
          seed: 1,
          rules: [{ route: c.routes[0], kind: 'drop-response', rate: 1 }],
        });
        const started = Date.now();
        id = await startVideo(stack.host, body(c, `Lost answer ${Date.now()}.`));
        try {
          await waitFor('the lost create made its job', async () => (await creates(stack, c)) > before);
        } finally {
          await admin(stack, 'DELETE', 'faults');
        }
        final = await waitForVideo(stack.host, id, 90_000);
        assert.equal(final.phase, 'completed', JSON.stringify(final));
        assert.equal((await creates(stack, c)) - before, 2, 'the lost one is re-sent once');
        assert.ok(Date.now() - started >= 16_000, 'never within the settle time');
      });

      const cancels = VENDOR_CANCELS[c.dialect];
      test(
        cancels
          ? `cancel while running: the ${c.dialect} job is cancelled upstream, and no blob is left`
          : `cancel while running: the request ends cancelled with no blob; the ${c.dialect} job, which has no cancel, is named as left running`,
        async () => {
          assert.equal(
            typeof cancels,
            'boolean',
            `VENDOR_CANCELS says whether ${c.dialect} documents a cancel`,
          );
          await admin(stack, 'PATCH', 'config', { timeScale: 3 });
          try {
            const id = await startVideo(stack.host, body(c, `Cancel me ${Date.now()}.`));
            const seen = await waitForUpstream(stack, id);
            const jobId: string = seen.upstream.jobId;
            const cancelled = await call(`${stack.host.url}/api/videos/${id}`, { method: 'DELETE' });
            assert.equal(cancelled.status, 202, cancelled.text);
            assert.equal(cancelled.body.upstreamJobId, jobId, 'the upstream job is named');
            assert.equal(cancelled.body.upstreamJobCancelled, cancels);
            // At the emulator, in its own words whatever the dialect says (fal: COMPLETED).
            const upstream = await admin(stack, 'GET', `jobs/${encodeURIComponent(jobId)}`);
            if (cancels) assert.equal(upstream.phase, 'cancelled', JSON.stringify(upstream));
            else assert.ok(['queued', 'running'].includes(upstream.phase), JSON.stringify(upstream));
            const final = await waitForVideo(stack.host, id);
            assert.equal(final.phase, 'cancelled');
            assert.deepEqual(await videoBlobs(stack.container, `${id}/`), []);
          } finally {
            await admin(stack, 'PATCH', 'config', { timeScale: 0.05 });
          }
        },
      );

      test("a refused prompt ends the request failed with the vendor's message", async () => {
        await admin(stack, 'PATCH', 'config', { denyList: ['forbidden'] });
        try {
          const id = await startVideo(stack.host, body(c, 'A forbidden scene.'));
          const final = await waitForVideo(stack.host, id, 30_000);
          assert.equal(final.phase, 'failed', JSON.stringify(final));
          assert.match(final.error, c.refusal);
          assert.ok(!final.error.includes(EMULATOR_KEY), 'the key is redacted');
          assert.deepEqual(await videoBlobs(stack.container, `${id}/`), []);
        } finally {
          await admin(stack, 'PATCH', 'config', { denyList: [] });
        }
      });
    });
  }
});
