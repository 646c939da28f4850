// The Azure OpenAI Sora APIs over real HTTP: against the Sora emulator for both APIs (happy
// paths, moderation, listing, deletion, expiry, auth, injected faults), and against tiny
// hand-made servers for what the emulator cannot do on purpose (answers lost after the
// request arrived, silence, malformed JSON, unknown statuses, echoed secrets, slow bodies).
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { after, afterEach, before, describe, test } from 'node:test';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import {
  ContentFilteredError,
  CreateOutcomeUnknownError,
  ProviderPermanentError,
  ProviderTransientError,
} from '../../src/errors.js';
import { apiKeyAuth } from '../../src/providers/azure-openai/auth.js';
import { createSoraApis, type SoraApi } from '../../src/providers/azure-openai/sora-apis.js';
import type { AuthHeaders } from '../../src/providers/http/transport.js';
import type { JobsApiCalls } from '../../src/providers/openai-videos/videos-api.js';
import type { JobAddress, JobSpec, ProviderJob } from '../../src/providers/provider.js';
import { sendJson, tinyServer, type TinyServer } from '../support/tiny-server.js';
import { eventually } from '../support/eventually.js';

const KEY = 'emulator-key-0123456789abcdef';
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
/** What each raw status of both families must map to
 * (docs/providers/azure-openai-sora.md#sora-1-jobs-api,
 * docs/providers/openai-videos.md#video-object). */
const EXPECTED_PHASE: Record<string, string> = {
  queued: 'queued',
  preprocessing: 'running',
  running: 'running',
  processing: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  in_progress: 'running',
  completed: 'succeeded',
};

type SoraApis = Record<SoraApi, JobsApiCalls>;
const MODEL: Record<SoraApi, string> = { jobs: 'sora', videos: 'sora-2' };
const jobsInput = (prompt: string, extra: Partial<JobSpec> = {}): JobSpec => ({
  model: 'sora',
  prompt,
  size: '480x480',
  seconds: 2,
  variants: 1,
  ...extra,
});
const videosInput = (prompt: string, extra: Partial<JobSpec> = {}): JobSpec => ({
  model: 'sora-2',
  prompt,
  size: '1280x720',
  seconds: 4,
  variants: 1,
  ...extra,
});
const inputFor = (api: SoraApi, prompt: string) => (api === 'jobs' ? jobsInput(prompt) : videosInput(prompt));
/** A job's address: the deployment (model) and the id. */
const at = (api: SoraApi, jobId: string): JobAddress => ({ model: MODEL[api], jobId });

/** Polls until the job ends, checking the phase mapping of every status seen on the way. */
async function waitUntilDone(
  apis: SoraApis,
  api: SoraApi,
  jobId: string,
): Promise<{ last: ProviderJob; seen: string[] }> {
  const seen: string[] = [];
  const last = await eventually(
    `${jobId} ended`,
    async () => {
      const job = await apis[api].getJob(at(api, jobId));
      assert.equal(job.phase, EXPECTED_PHASE[job.status], `phase of status ${job.status}`);
      if (seen.at(-1) !== job.status) seen.push(job.status);
      return job;
    },
    (job) => TERMINAL.has(job.phase),
    { timeoutMs: 30_000 },
  );
  return { last, seen };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Asserts a rejection of exactly `type` (not a subclass unless allowed) and returns the error. */
async function rejection<T extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${type.name}, but the call succeeded`);
}

const clientFor = (
  endpoint: string,
  options: { auth?: AuthHeaders; requestTimeoutMs?: number; idleTimeoutMs?: number } = {},
): SoraApis =>
  createSoraApis({
    endpoint,
    auth: options.auth ?? apiKeyAuth(KEY),
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    idleTimeoutMs: options.idleTimeoutMs,
  });

describe('Sora APIs against the emulator', () => {
  let emulator: RunningProviderEmulator;
  let client: SoraApis;
  before(async () => {
    emulator = await startProviderEmulator({
      apiKey: KEY,
      timeScale: 0.1,
      maxRunningJobs: 50,
      videosCreatesPerMinute: 1000,
      denyList: ['forbidden'],
    });
    client = clientFor(emulator.url);
  });
  after(() => emulator.stop());

  test('jobs API: create, poll through every phase, download each variant', async () => {
    const created = await client.jobs.createJob(
      jobsInput('A cat playing piano in a jazz bar.', { variants: 2 }),
    );
    assert.match(created.jobId, /^task_/);
    assert.equal(created.phase, 'queued');
    assert.equal(created.stage, 'waiting');
    assert.deepEqual(created.outputs, []);
    assert.equal(created.echo?.prompt, 'A cat playing piano in a jazz bar.');
    assert.ok(
      Math.abs(created.createdAt! - Date.now() / 1000) < 60,
      `createdAt ${created.createdAt} is unix seconds`,
    );

    const { last, seen } = await waitUntilDone(client, 'jobs', created.jobId);
    assert.equal(last.phase, 'succeeded');
    assert.ok(
      seen.some((s) => ['preprocessing', 'running', 'processing'].includes(s)),
      `saw ${seen.join(' → ')}`,
    );
    assert.deepEqual(last.echo, {
      model: 'sora',
      prompt: 'A cat playing piano in a jazz bar.',
      size: '480x480',
      seconds: 2,
      variants: 2,
    });
    assert.equal(last.outputs.length, 2);
    for (const output of last.outputs) {
      assert.match(output.id, /^gen_/);
      const content = await client.jobs.openOutput(at('jobs', last.jobId), output.id);
      assert.equal(content.contentType, 'video/mp4');
      const bytes = await readAll(content.body);
      assert.ok(content.contentLength !== undefined && content.contentLength > 1000);
      assert.equal(bytes.length, content.contentLength);
      assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp');
    }
  });

  test('videos API: create, poll with progress, download the video', async () => {
    const created = await client.videos.createJob(videosInput('A paper boat on a river'));
    assert.match(created.jobId, /^video_/);
    assert.equal(created.phase, 'queued');
    assert.equal(created.echo?.prompt, undefined, 'Azure echoes no prompt on the videos API');
    assert.deepEqual(created.outputs, [], 'no output before the video is completed');

    const { last, seen } = await waitUntilDone(client, 'videos', created.jobId);
    assert.equal(last.phase, 'succeeded');
    assert.equal(last.status, 'completed');
    assert.equal(last.progress, 100);
    assert.ok(seen.includes('in_progress'), `saw ${seen.join(' → ')}`);
    assert.deepEqual(last.outputs, [{ id: created.jobId }], 'the video is its own single output');
    assert.deepEqual(last.echo, {
      model: 'sora-2',
      prompt: undefined,
      size: '1280x720',
      seconds: 4,
      variants: 1,
    });

    const content = await client.videos.openOutput(at('videos', last.jobId), last.outputs[0].id);
    assert.equal(content.contentType, 'video/mp4');
    const bytes = await readAll(content.body);
    assert.ok(content.contentLength !== undefined && content.contentLength > 1000);
    assert.equal(bytes.length, content.contentLength);
    assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp');
  });

  for (const [api, reason] of [
    ['jobs', 'input_moderation'],
    ['videos', 'moderation_blocked'],
  ] as const) {
    test(`${api} API: a deny-listed prompt ends as a failed job with its reason`, async () => {
      const created = await client[api].createJob(inputFor(api, 'Something FORBIDDEN here'));
      const { last } = await waitUntilDone(client, api, created.jobId);
      assert.equal(last.phase, 'failed');
      assert.match(last.failure ?? '', new RegExp(`^${reason}\\b`));
      assert.deepEqual(last.outputs, []);
    });
  }

  for (const api of ['jobs', 'videos'] as const) {
    test(`${api} API: listRecentJobs finds the newest jobs first`, async () => {
      const first = await client[api].createJob(inputFor(api, 'list me first'));
      // No second apart: created_at counts seconds, but the list comes newest first and an equal
      // created_at keeps that order (the jobs client's sort is stable).
      const second = await client[api].createJob(inputFor(api, 'list me second'));
      const recent = await client[api].listRecentJobs(MODEL[api], 2);
      assert.deepEqual(
        recent.jobs.map((j) => j.jobId),
        [second.jobId, first.jobId],
      );
      assert.deepEqual(
        recent.jobs.map((j) => j.echo?.model),
        [MODEL[api], MODEL[api]],
      );
      assert.equal((await client[api].listRecentJobs(MODEL[api], 1)).jobs.length, 1);
      assert.ok(
        recent.providerNow !== undefined && Math.abs(recent.providerNow - Date.now() / 1000) < 5,
        "the provider's clock, from its Date header",
      );
    });

    test(`${api} API: cancelJob twice is fine, and the job is gone`, async () => {
      const created = await client[api].createJob(inputFor(api, 'delete me'));
      await client[api].cancelJob(at(api, created.jobId));
      await client[api].cancelJob(at(api, created.jobId));
      const error = await rejection(client[api].getJob(at(api, created.jobId)), ProviderPermanentError);
      assert.equal(error.status, 404);
    });

    test(`${api} API: expired content answers a permanent 404`, async () => {
      const created = await client[api].createJob(inputFor(api, 'expire me'));
      const { last } = await waitUntilDone(client, api, created.jobId);
      assert.equal(
        (await fetch(`${emulator.url}/_admin/expire/${created.jobId}`, { method: 'POST' })).status,
        204,
      );
      const error = await rejection(
        client[api].openOutput(at(api, created.jobId), last.outputs[0].id),
        ProviderPermanentError,
      );
      assert.equal(error.status, 404);
    });

    test(`${api} API: a wrong key is a permanent 401 whose message lacks the key`, async () => {
      const wrongKey = 'wrong-key-9876543210fedcba';
      const error = await rejection(
        clientFor(emulator.url, { auth: apiKeyAuth(wrongKey) })[api].createJob(inputFor(api, 'who am I')),
        ProviderPermanentError,
      );
      assert.equal(error.status, 401);
      assert.equal(error.code, '401');
      assert.ok(!error.message.includes(wrongKey) && !String(error.stack).includes(wrongKey), error.message);
      assert.ok(!error.message.includes(KEY));
    });
  }

  test('an unknown deployment is a permanent 404', async () => {
    const error = await rejection(
      client.videos.createJob(videosInput('no such model', { model: 'sora-9' })),
      ProviderPermanentError,
    );
    assert.equal(error.status, 404);
    assert.equal(error.code, 'DeploymentNotFound');
  });

  test('the videos API refuses several variants before sending anything', async () => {
    await rejection(
      client.videos.createJob(videosInput('two please', { variants: 2 })),
      ProviderPermanentError,
    );
  });
});

describe('Sora APIs against injected faults', () => {
  let emulator: RunningProviderEmulator;
  let client: SoraApis;
  const setFaults = async (rules: unknown[]) =>
    assert.equal(
      (
        await fetch(`${emulator.url}/_admin/faults`, {
          method: 'PUT',
          body: JSON.stringify({ seed: 1, rules }),
        })
      ).status,
      200,
    );
  before(async () => {
    emulator = await startProviderEmulator({
      apiKey: KEY,
      timeScale: 0.01,
      maxRunningJobs: 50,
      videosCreatesPerMinute: 1000,
    });
    client = clientFor(emulator.url);
  });
  // Cleared after every test, so one failing test cannot leave its faults to the next.
  afterEach(async () =>
    assert.equal((await fetch(`${emulator.url}/_admin/faults`, { method: 'DELETE' })).status, 204),
  );
  after(() => emulator.stop());

  test('429 with retry-after is transient and carries retryAfterSeconds, on get and on create', async () => {
    const created = await client.videos.createJob(videosInput('throttle me'));
    await setFaults([
      {
        route: 'GET /openai/v1/videos/{video_id}',
        kind: 'status',
        status: 429,
        rate: 1,
        retryAfterSeconds: 7,
      },
      {
        route: 'POST /openai/v1/video/generations/jobs',
        kind: 'status',
        status: 429,
        rate: 1,
        retryAfterSeconds: 3,
      },
    ]);
    const onGet = await rejection(client.videos.getJob(at('videos', created.jobId)), ProviderTransientError);
    assert.equal(onGet.status, 429);
    assert.equal(onGet.retryAfterSeconds, 7);
    const onCreate = await rejection(
      client.jobs.createJob(jobsInput('throttle me too')),
      ProviderTransientError,
    );
    assert.equal(onCreate.status, 429);
    assert.equal(onCreate.retryAfterSeconds, 3);
    await setFaults([]);
    assert.equal((await client.videos.getJob(at('videos', created.jobId))).jobId, created.jobId);
  });

  test('503 is transient', async () => {
    await setFaults([
      { route: 'GET /openai/v1/video/generations/jobs', kind: 'status', status: 503, rate: 1 },
    ]);
    const error = await rejection(client.jobs.listRecentJobs('sora', 5), ProviderTransientError);
    assert.equal(error.status, 503);
  });

  test('a reset connection: outcome unknown on create, transient on get and delete', async () => {
    const created = await client.jobs.createJob(jobsInput('reset me'));
    await setFaults([{ kind: 'reset', rate: 1 }]);
    for (const api of ['jobs', 'videos'] as const) {
      const error = await rejection(
        client[api].createJob(inputFor(api, 'lost answer')),
        CreateOutcomeUnknownError,
      );
      assert.match(error.message, /may or may not exist/);
    }
    const onGet = await rejection(client.jobs.getJob(at('jobs', created.jobId)), ProviderTransientError);
    assert.equal(onGet.status, undefined);
    await rejection(client.jobs.cancelJob(at('jobs', created.jobId)), ProviderTransientError);
  });

  test('a download that breaks off mid-stream fails the stream with a transient error', async () => {
    const created = await client.videos.createJob(videosInput('truncate me'));
    await waitUntilDone(client, 'videos', created.jobId);
    await setFaults([{ route: 'GET /openai/v1/videos/{video_id}/content', kind: 'truncate', rate: 1 }]);
    const content = await client.videos.openOutput(at('videos', created.jobId), created.jobId);
    assert.ok(content.contentLength !== undefined && content.contentLength > 0);
    await rejection(readAll(content.body), ProviderTransientError);
    await setFaults([]);
    const bytes = await readAll(
      (await client.videos.openOutput(at('videos', created.jobId), created.jobId)).body,
    );
    assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp');
  });
});

describe('Sora APIs against hand-made servers', () => {
  const servers: TinyServer[] = [];
  const serve = async (handler: Parameters<typeof tinyServer>[0]) => {
    const server = await tinyServer(handler);
    servers.push(server);
    return server;
  };
  after(() => Promise.all(servers.map((s) => s.stop())));

  const job = {
    object: 'video.generation.job',
    id: 'task_1',
    status: 'succeeded',
    created_at: 1748469875,
    generations: [
      {
        object: 'video.generation',
        id: 'gen_1',
        job_id: 'task_1',
        created_at: 1748469900,
        width: 480,
        height: 854,
        n_seconds: 5,
        prompt: 'p',
      },
    ],
    prompt: 'p',
    model: 'sora',
    n_variants: 1,
    n_seconds: 5,
    height: 854,
    width: 480,
    failure_reason: null,
  };
  const video = {
    id: 'video_1',
    object: 'video',
    status: 'in_progress',
    progress: 42,
    created_at: 1748469875,
    completed_at: null,
    expires_at: null,
    model: 'sora-2',
    size: '720x1280',
    seconds: '8',
    prompt: null,
    remixed_from_video_id: null,
    error: null,
  };

  test('requests follow the Azure OpenAI wire contract: paths, api-version, bodies, auth header', async () => {
    const server = await serve((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path.endsWith('/content/video') || path.endsWith('/content')) {
        res
          .writeHead(200, { 'content-type': 'video/mp4', 'content-length': 12 })
          .end(Buffer.from('\0\0\0\x0cftypmp42', 'latin1'));
      } else if (req.method === 'DELETE') {
        res.writeHead(path.includes('/videos/') ? 200 : 204).end();
      } else if (path === '/openai/v1/video/generations/jobs' && req.method === 'GET')
        sendJson(res, 200, { object: 'list', data: [job], has_more: false });
      else if (path === '/openai/v1/videos' && req.method === 'GET')
        sendJson(res, 200, { object: 'list', data: [video], has_more: false });
      else sendJson(res, 200, path.includes('/videos') ? video : job);
    });
    const client = clientFor(`${server.url}/`);
    const jobsJob = await client.jobs.createJob(
      jobsInput('jobs wire', { size: '480x854', seconds: 5, variants: 3 }),
    );
    assert.deepEqual(jobsJob, {
      jobId: 'task_1',
      phase: 'succeeded',
      stage: undefined,
      status: 'succeeded',
      outputs: [{ id: 'gen_1' }],
      failure: undefined,
      createdAt: 1748469875,
      finishedAt: undefined,
      echo: { model: 'sora', prompt: 'p', size: '480x854', seconds: 5, variants: 1 },
    });
    const videosJob = await client.videos.createJob(
      videosInput('videos wire', { size: '720x1280', seconds: 8 }),
    );
    assert.deepEqual(videosJob, {
      jobId: 'video_1',
      phase: 'running',
      stage: 'working',
      status: 'in_progress',
      progress: 42,
      outputs: [],
      failure: undefined,
      createdAt: 1748469875,
      finishedAt: undefined,
      echo: { model: 'sora-2', prompt: undefined, size: '720x1280', seconds: 8, variants: 1 },
    });
    await client.jobs.getJob(at('jobs', 'task_1'));
    await client.videos.getJob(at('videos', 'video_1'));
    await client.jobs.listRecentJobs('sora', 7);
    await client.videos.listRecentJobs('sora-2', 3);
    await readAll((await client.jobs.openOutput(at('jobs', 'task_1'), 'gen_1')).body);
    await readAll((await client.videos.openOutput(at('videos', 'video_1'), 'video_1')).body);
    await client.jobs.cancelJob(at('jobs', 'task_1'));
    await client.videos.cancelJob(at('videos', 'video_1'));

    assert.deepEqual(
      server.requests.map((r) => `${r.method} ${r.url}`),
      [
        'POST /openai/v1/video/generations/jobs?api-version=preview',
        'POST /openai/v1/videos?api-version=v1',
        'GET /openai/v1/video/generations/jobs/task_1?api-version=preview',
        'GET /openai/v1/videos/video_1?api-version=v1',
        'GET /openai/v1/video/generations/jobs?api-version=preview&limit=7',
        'GET /openai/v1/videos?api-version=v1&limit=3&order=desc',
        'GET /openai/v1/video/generations/gen_1/content/video?api-version=preview',
        'GET /openai/v1/videos/video_1/content?api-version=v1&variant=video',
        'DELETE /openai/v1/video/generations/jobs/task_1?api-version=preview',
        'DELETE /openai/v1/videos/video_1?api-version=v1',
      ],
    );
    assert.deepEqual(JSON.parse(server.requests[0].body), {
      model: 'sora',
      prompt: 'jobs wire',
      width: 480,
      height: 854,
      n_seconds: 5,
      n_variants: 3,
    });
    assert.deepEqual(JSON.parse(server.requests[1].body), {
      model: 'sora-2',
      prompt: 'videos wire',
      size: '720x1280',
      seconds: '8',
    });
    assert.ok(server.requests.every((r) => r.headers['api-key'] === KEY));
    assert.equal(server.requests[0].headers['content-type'], 'application/json');
  });

  test('ids are URL-encoded into paths', async () => {
    const server = await serve((_req, res) => sendJson(res, 200, job));
    await clientFor(server.url).jobs.getJob(at('jobs', '../x?y'));
    assert.equal(server.requests[0].url, '/openai/v1/video/generations/jobs/..%2Fx%3Fy?api-version=preview');
  });

  test('a connection dropped after the whole create arrived: outcome unknown, for both APIs', async () => {
    const server = await serve((req) => req.socket.destroy());
    const client = clientFor(server.url);
    for (const api of ['jobs', 'videos'] as const) {
      await rejection(client[api].createJob(inputFor(api, `dropped ${api}`)), CreateOutcomeUnknownError);
    }
    assert.deepEqual(
      server.requests.map((r) => JSON.parse(r.body).prompt),
      ['dropped jobs', 'dropped videos'],
      'each create reached the server exactly once (no retry)',
    );
    const onGet = await rejection(client.jobs.getJob(at('jobs', 'task_1')), ProviderTransientError);
    assert.equal(onGet.status, undefined);
  });

  test('silence: a create times out as outcome unknown, a get as transient', async () => {
    const server = await serve(() => undefined); // never answers
    const client = clientFor(server.url, { requestTimeoutMs: 200 });
    const onCreate = await rejection(client.jobs.createJob(jobsInput('silence')), CreateOutcomeUnknownError);
    assert.match(onCreate.message, /no answer within 200 ms/);
    const onGet = await rejection(client.videos.getJob(at('videos', 'video_1')), ProviderTransientError);
    assert.match(onGet.message, /no answer within 200 ms/);
    await rejection(client.videos.openOutput(at('videos', 'video_1'), 'video_1'), ProviderTransientError);
  });

  test('a refused connection proves nothing was sent: even a create is transient', async () => {
    const server = await tinyServer(() => undefined);
    await server.stop();
    const error = await rejection(
      clientFor(server.url).jobs.createJob(jobsInput('nobody home')),
      ProviderTransientError,
    );
    assert.ok(!(error instanceof CreateOutcomeUnknownError));
    assert.match(error.message, /ECONNREFUSED/);
  });

  test('failing credentials are transient, even for a create (nothing was sent)', async () => {
    const auth: AuthHeaders = { headers: () => Promise.reject(new Error('IMDS unavailable')) };
    const error = await rejection(
      clientFor('http://127.0.0.1:9', { auth }).jobs.createJob(jobsInput('no token')),
      ProviderTransientError,
    );
    assert.match(error.message, /credentials/);
  });

  test('malformed answers give named errors, never a TypeError', async () => {
    const server = await serve((req, res) => {
      if (req.url?.includes('task_text')) return sendJson(res, 200, '<html>proxy says hi</html>');
      if (req.method === 'POST') return sendJson(res, 200, { object: 'video', status: 'queued' }); // no id
      return sendJson(res, 200, { id: 5, status: 'queued' });
    });
    const client = clientFor(server.url);
    const wrongShape = await rejection(client.jobs.getJob(at('jobs', 'task_shape')), ProviderPermanentError);
    assert.equal(wrongShape.code, 'invalid_response');
    assert.match(wrongShape.message, /id/);
    const notJson = await rejection(client.jobs.getJob(at('jobs', 'task_text')), ProviderTransientError);
    assert.equal(notJson.status, 200);
    await rejection(client.videos.listRecentJobs('sora-2', 5), ProviderPermanentError);
    // A 2xx create most likely made a job, but without its id we cannot know which.
    await rejection(client.videos.createJob(videosInput('no id back')), CreateOutcomeUnknownError);
  });

  test('a status neither API documents is a permanent error naming it, and such a job is never listed for adoption', async () => {
    const server = await serve((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/openai/v1/video/generations/jobs')
        return sendJson(res, 200, {
          object: 'list',
          data: [
            { ...job, status: 'teleporting' },
            { ...job, id: 'task_2' },
          ],
        });
      if (path === '/openai/v1/videos')
        return sendJson(res, 200, {
          object: 'list',
          data: [
            { ...video, status: 'teleporting' },
            { ...video, id: 'video_2' },
          ],
        });
      sendJson(
        res,
        200,
        path.includes('/videos/') ? { ...video, status: 'teleporting' } : { ...job, status: 'teleporting' },
      );
    });
    const client = clientFor(server.url);
    for (const api of ['jobs', 'videos'] as const) {
      const error = await rejection(client[api].getJob(at(api, 'x')), ProviderPermanentError);
      assert.equal(error.code, 'invalid_response');
      assert.match(error.message, /unknown status "teleporting"/);
      assert.deepEqual(
        (await client[api].listRecentJobs(MODEL[api], 5)).jobs.map((j) => j.jobId),
        [api === 'jobs' ? 'task_2' : 'video_2'],
      );
    }
  });

  test('content filter refusals keep their own class', async () => {
    const server = await serve((_req, res) =>
      sendJson(res, 400, { error: { code: 'content_policy_violation', message: 'Prompt refused.' } }),
    );
    const error = await rejection(
      clientFor(server.url).videos.createJob(videosInput('refused')),
      ContentFilteredError,
    );
    assert.equal(error.status, 400);
  });

  test('a key or token echoed by the service is redacted from errors', async () => {
    const server = await serve((req, res) =>
      sendJson(res, 400, {
        error: {
          code: 'bad',
          message: `Rejected credential ${String(req.headers['api-key'] ?? req.headers.authorization)}`,
        },
      }),
    );
    const withKey = await rejection(
      clientFor(server.url).jobs.getJob(at('jobs', 'task_1')),
      ProviderPermanentError,
    );
    assert.ok(!withKey.message.includes(KEY) && !String(withKey.stack).includes(KEY), withKey.message);
    assert.match(withKey.message, /\[redacted\]/);
    const token = 'eyJhbGciOiJSUzI1NiJ9.secret-token-part';
    const bearer: AuthHeaders = { headers: async () => ({ authorization: `Bearer ${token}` }) };
    const withToken = await rejection(
      clientFor(server.url, { auth: bearer }).videos.getJob(at('videos', 'video_1')),
      ProviderPermanentError,
    );
    assert.ok(!withToken.message.includes(token), withToken.message);
    assert.equal(server.requests[1].headers.authorization, `Bearer ${token}`);
  });

  test('the content timeout covers only the wait for headers, not a slow body', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': 8 });
      res.write(Buffer.from([0, 0, 0, 8]));
      setTimeout(() => res.end(Buffer.from('ftyp', 'latin1')), 600);
    });
    const content = await clientFor(server.url, {
      requestTimeoutMs: 200,
      idleTimeoutMs: 2000,
    }).jobs.openOutput(at('jobs', 'task_1'), 'gen_1');
    const bytes = await readAll(content.body);
    assert.equal(bytes.length, 8);
    assert.equal(content.contentLength, 8);
    assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp');
  });

  test('a body that stalls after its headers is broken off as a transient error, not held for minutes', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': 8 });
      res.write(Buffer.from([0, 0, 0, 8]));
      // …and nothing more, ever.
    });
    const content = await clientFor(server.url, {
      requestTimeoutMs: 5000,
      idleTimeoutMs: 300,
    }).jobs.openOutput(at('jobs', 'task_1'), 'gen_1');
    await assert.rejects(
      readAll(content.body),
      (error: Error) =>
        // The idle timeout's own message: the request timeout (5 s) or a socket timeout says otherwise.
        error instanceof ProviderTransientError && /stalled \(no data for 300 ms\)/.test(error.message),
    );
  });
});
