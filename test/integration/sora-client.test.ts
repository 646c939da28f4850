// The Sora client over real HTTP: against the provider emulator for both API families (happy
// paths, moderation, listing, deletion, expiry, auth, injected faults), and against tiny
// hand-made servers for what the emulator cannot do on purpose (answers lost after the
// request arrived, silence, malformed JSON, echoed secrets, slow bodies).
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { after, afterEach, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { ContentFilteredError, CreateOutcomeUnknownError, ProviderPermanentError, ProviderTransientError } from '../../src/errors.js';
import { apiKeyAuth, type AuthHeaders } from '../../src/providers/azure-openai/auth.js';
import { createSoraClient, type CreateVideoJobInput, type SoraClient, type SoraFamily, type VideoJobSnapshot } from '../../src/providers/azure-openai/client.js';
import { sendJson, tinyServer, type TinyServer } from '../support/tiny-server.js';

const KEY = 'emulator-key-0123456789abcdef';
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
/** What each raw status must map to (sora-api.md's statuses for both families). */
const EXPECTED_PHASE: Record<string, string> = {
  queued: 'queued', preprocessing: 'running', running: 'running', processing: 'running', succeeded: 'succeeded', failed: 'failed', cancelled: 'cancelled',
  in_progress: 'running', completed: 'succeeded',
};

const jobsInput = (prompt: string, extra: Partial<CreateVideoJobInput> = {}): CreateVideoJobInput =>
  ({ family: 'jobs', model: 'sora', prompt, width: 480, height: 480, seconds: 2, variants: 1, ...extra });
const videosInput = (prompt: string, extra: Partial<CreateVideoJobInput> = {}): CreateVideoJobInput =>
  ({ family: 'videos', model: 'sora-2', prompt, width: 1280, height: 720, seconds: 4, variants: 1, ...extra });
const inputFor = (family: SoraFamily, prompt: string) => (family === 'jobs' ? jobsInput(prompt) : videosInput(prompt));

/** Polls until the job ends, checking the phase mapping of every status seen on the way. */
async function waitUntilDone(client: SoraClient, family: SoraFamily, jobId: string): Promise<{ last: VideoJobSnapshot; seen: string[] }> {
  const seen: string[] = [];
  const deadline = Date.now() + 30_000;
  for (;;) {
    const snapshot = await client.getJob(family, jobId);
    assert.equal(snapshot.phase, EXPECTED_PHASE[snapshot.soraStatus], `phase of status ${snapshot.soraStatus}`);
    if (seen.at(-1) !== snapshot.soraStatus) seen.push(snapshot.soraStatus);
    if (TERMINAL.has(snapshot.phase)) return { last: snapshot, seen };
    if (Date.now() > deadline) throw new Error(`${jobId} is still ${snapshot.soraStatus}`);
    await delay(20);
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Asserts a rejection of exactly `type` (not a subclass unless allowed) and returns the error. */
async function rejection<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${type.name}, but the call succeeded`);
}


const clientFor = (endpoint: string, options: { auth?: AuthHeaders; requestTimeoutMs?: number; idleTimeoutMs?: number } = {}) =>
  createSoraClient({ endpoint, auth: options.auth ?? apiKeyAuth(KEY), requestTimeoutMs: options.requestTimeoutMs ?? 10_000, idleTimeoutMs: options.idleTimeoutMs });

describe('Sora client against the emulator', () => {
  let emulator: RunningProviderEmulator;
  let client: SoraClient;
  before(async () => {
    emulator = await startProviderEmulator({ apiKey: KEY, timeScale: 0.1, maxRunningJobs: 50, videosCreatesPerMinute: 1000, denyList: ['forbidden'] });
    client = clientFor(emulator.url);
  });
  after(() => emulator.stop());

  test('jobs family: create, poll through every phase, download each variant', async () => {
    const created = await client.createJob(jobsInput('A cat playing piano in a jazz bar.', { variants: 2 }));
    assert.match(created.jobId, /^task_/);
    assert.equal(created.family, 'jobs');
    assert.equal(created.phase, 'queued');
    assert.equal(created.prompt, 'A cat playing piano in a jazz bar.');
    assert.ok(Math.abs(created.createdAt - Date.now() / 1000) < 60, `createdAt ${created.createdAt} is unix seconds`);

    const { last, seen } = await waitUntilDone(client, 'jobs', created.jobId);
    assert.equal(last.phase, 'succeeded');
    assert.ok(seen.some((s) => ['preprocessing', 'running', 'processing'].includes(s)), `saw ${seen.join(' → ')}`);
    assert.equal(last.generations.length, 2);
    for (const generation of last.generations) {
      assert.deepEqual({ ...generation, id: undefined }, { id: undefined, width: 480, height: 480, seconds: 2 });
      const content = await client.openVideoContent('jobs', last.jobId, generation.id);
      assert.equal(content.contentType, 'video/mp4');
      const bytes = await readAll(content.body);
      assert.ok(content.contentLength !== undefined && content.contentLength > 1000);
      assert.equal(bytes.length, content.contentLength);
      assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp');
    }
  });

  test('videos family: create, poll with progress, download the video', async () => {
    const created = await client.createJob(videosInput('A paper boat on a river'));
    assert.match(created.jobId, /^video_/);
    assert.equal(created.family, 'videos');
    assert.equal(created.phase, 'queued');
    assert.equal(created.prompt, undefined, 'Azure echoes no prompt on the videos API');
    assert.deepEqual(created.generations, [], 'no generation before the video is completed');

    const { last, seen } = await waitUntilDone(client, 'videos', created.jobId);
    assert.equal(last.phase, 'succeeded');
    assert.equal(last.soraStatus, 'completed');
    assert.equal(last.progress, 100);
    assert.ok(seen.includes('in_progress'), `saw ${seen.join(' → ')}`);
    assert.deepEqual(last.generations, [{ id: created.jobId, width: 1280, height: 720, seconds: 4 }]);

    const content = await client.openVideoContent('videos', last.jobId, last.generations[0].id);
    assert.equal(content.contentType, 'video/mp4');
    const bytes = await readAll(content.body);
    assert.ok(content.contentLength !== undefined && content.contentLength > 1000);
    assert.equal(bytes.length, content.contentLength);
    assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp');
  });

  for (const [family, reason] of [['jobs', 'input_moderation'], ['videos', 'moderation_blocked']] as const) {
    test(`${family} family: a deny-listed prompt ends as a failed snapshot with its reason`, async () => {
      const created = await client.createJob(inputFor(family, 'Something FORBIDDEN here'));
      const { last } = await waitUntilDone(client, family, created.jobId);
      assert.equal(last.phase, 'failed');
      assert.equal(last.failureReason, reason);
      assert.deepEqual(last.generations, []);
    });
  }

  for (const family of ['jobs', 'videos'] as const) {
    test(`${family} family: listRecentJobs finds the newest jobs first`, async () => {
      const first = await client.createJob(inputFor(family, 'list me first'));
      await delay(1100); // created_at has one-second resolution
      const second = await client.createJob(inputFor(family, 'list me second'));
      const recent = await client.listRecentJobs(family, 2);
      assert.deepEqual(recent.jobs.map((j) => j.jobId), [second.jobId, first.jobId]);
      assert.ok(recent.jobs.every((j) => j.family === family));
      assert.equal((await client.listRecentJobs(family, 1)).jobs.length, 1);
      assert.ok(recent.providerNow !== undefined && Math.abs(recent.providerNow - Date.now() / 1000) < 5, 'the provider\'s clock, from its Date header');
    });

    test(`${family} family: deleteJob twice is fine, and the job is gone`, async () => {
      const created = await client.createJob(inputFor(family, 'delete me'));
      await client.deleteJob(family, created.jobId);
      await client.deleteJob(family, created.jobId);
      const error = await rejection(client.getJob(family, created.jobId), ProviderPermanentError);
      assert.equal(error.status, 404);
    });

    test(`${family} family: expired content answers a permanent 404`, async () => {
      const created = await client.createJob(inputFor(family, 'expire me'));
      const { last } = await waitUntilDone(client, family, created.jobId);
      assert.equal((await fetch(`${emulator.url}/_admin/expire/${created.jobId}`, { method: 'POST' })).status, 204);
      const error = await rejection(client.openVideoContent(family, created.jobId, last.generations[0].id), ProviderPermanentError);
      assert.equal(error.status, 404);
    });

    test(`${family} family: a wrong key is a permanent 401 whose message lacks the key`, async () => {
      const wrongKey = 'wrong-key-9876543210fedcba';
      const error = await rejection(clientFor(emulator.url, { auth: apiKeyAuth(wrongKey) }).createJob(inputFor(family, 'who am I')), ProviderPermanentError);
      assert.equal(error.status, 401);
      assert.equal(error.code, '401');
      assert.ok(!error.message.includes(wrongKey) && !String(error.stack).includes(wrongKey), error.message);
      assert.ok(!error.message.includes(KEY));
    });
  }

  test('an unknown deployment is a permanent 404', async () => {
    const error = await rejection(client.createJob(videosInput('no such model', { model: 'sora-9' })), ProviderPermanentError);
    assert.equal(error.status, 404);
    assert.equal(error.code, 'DeploymentNotFound');
  });

  test('the videos family refuses several variants before sending anything', async () => {
    await rejection(client.createJob(videosInput('two please', { variants: 2 })), ProviderPermanentError);
  });
});

describe('Sora client against injected faults', () => {
  let emulator: RunningProviderEmulator;
  let client: SoraClient;
  const setFaults = async (rules: unknown[]) =>
    assert.equal((await fetch(`${emulator.url}/_admin/faults`, { method: 'PUT', body: JSON.stringify({ seed: 1, rules }) })).status, 200);
  before(async () => {
    emulator = await startProviderEmulator({ apiKey: KEY, timeScale: 0.01, maxRunningJobs: 50, videosCreatesPerMinute: 1000 });
    client = clientFor(emulator.url);
  });
  // Cleared after every test, so one failing test cannot leave its faults to the next.
  afterEach(async () => assert.equal((await fetch(`${emulator.url}/_admin/faults`, { method: 'DELETE' })).status, 204));
  after(() => emulator.stop());

  test('429 with retry-after is transient and carries retryAfterSeconds, on get and on create', async () => {
    const created = await client.createJob(videosInput('throttle me'));
    await setFaults([
      { route: 'GET /openai/v1/videos/{video_id}', kind: 'status', status: 429, rate: 1, retryAfterSeconds: 7 },
      { route: 'POST /openai/v1/video/generations/jobs', kind: 'status', status: 429, rate: 1, retryAfterSeconds: 3 },
    ]);
    const onGet = await rejection(client.getJob('videos', created.jobId), ProviderTransientError);
    assert.equal(onGet.status, 429);
    assert.equal(onGet.retryAfterSeconds, 7);
    const onCreate = await rejection(client.createJob(jobsInput('throttle me too')), ProviderTransientError);
    assert.equal(onCreate.status, 429);
    assert.equal(onCreate.retryAfterSeconds, 3);
    await setFaults([]);
    assert.equal((await client.getJob('videos', created.jobId)).jobId, created.jobId);
  });

  test('503 is transient', async () => {
    await setFaults([{ route: 'GET /openai/v1/video/generations/jobs', kind: 'status', status: 503, rate: 1 }]);
    const error = await rejection(client.listRecentJobs('jobs', 5), ProviderTransientError);
    assert.equal(error.status, 503);
  });

  test('a reset connection: outcome unknown on create, transient on get and delete', async () => {
    const created = await client.createJob(jobsInput('reset me'));
    await setFaults([{ kind: 'reset', rate: 1 }]);
    for (const family of ['jobs', 'videos'] as const) {
      const error = await rejection(client.createJob(inputFor(family, 'lost answer')), CreateOutcomeUnknownError);
      assert.match(error.message, /may or may not exist/);
    }
    const onGet = await rejection(client.getJob('jobs', created.jobId), ProviderTransientError);
    assert.equal(onGet.status, undefined);
    await rejection(client.deleteJob('jobs', created.jobId), ProviderTransientError);
  });

  test('a download that breaks off mid-stream fails the stream with a transient error', async () => {
    const created = await client.createJob(videosInput('truncate me'));
    await waitUntilDone(client, 'videos', created.jobId);
    await setFaults([{ route: 'GET /openai/v1/videos/{video_id}/content', kind: 'truncate', rate: 1 }]);
    const content = await client.openVideoContent('videos', created.jobId, created.jobId);
    assert.ok(content.contentLength !== undefined && content.contentLength > 0);
    await rejection(readAll(content.body), ProviderTransientError);
    await setFaults([]);
    const bytes = await readAll((await client.openVideoContent('videos', created.jobId, created.jobId)).body);
    assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp');
  });
});

describe('Sora client against hand-made servers', () => {
  const servers: TinyServer[] = [];
  const serve = async (handler: Parameters<typeof tinyServer>[0]) => {
    const server = await tinyServer(handler);
    servers.push(server);
    return server;
  };
  after(() => Promise.all(servers.map((s) => s.stop())));

  const job = { object: 'video.generation.job', id: 'task_1', status: 'succeeded', created_at: 1748469875, generations: [{ object: 'video.generation', id: 'gen_1', job_id: 'task_1', created_at: 1748469900, width: 480, height: 854, n_seconds: 5, prompt: 'p' }], prompt: 'p', model: 'sora', n_variants: 1, n_seconds: 5, height: 854, width: 480, failure_reason: null };
  const video = { id: 'video_1', object: 'video', status: 'in_progress', progress: 42, created_at: 1748469875, completed_at: null, expires_at: null, model: 'sora-2', size: '720x1280', seconds: '8', prompt: null, remixed_from_video_id: null, error: null };

  test('requests follow sora-api.md: paths, api-version, bodies, auth header', async () => {
    const server = await serve((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path.endsWith('/content/video') || path.endsWith('/content')) {
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': 12 }).end(Buffer.from('\0\0\0\x0cftypmp42', 'latin1'));
      } else if (req.method === 'DELETE') {
        res.writeHead(path.includes('/videos/') ? 200 : 204).end();
      } else if (path === '/openai/v1/video/generations/jobs' && req.method === 'GET') sendJson(res, 200, { object: 'list', data: [job], has_more: false });
      else if (path === '/openai/v1/videos' && req.method === 'GET') sendJson(res, 200, { object: 'list', data: [video], has_more: false });
      else sendJson(res, 200, path.includes('/videos') ? video : job);
    });
    const client = clientFor(`${server.url}/`);
    const jobSnapshot = await client.createJob(jobsInput('jobs wire', { width: 480, height: 854, seconds: 5, variants: 3 }));
    assert.deepEqual(jobSnapshot, {
      jobId: 'task_1', family: 'jobs', phase: 'succeeded', soraStatus: 'succeeded', failureReason: undefined,
      generations: [{ id: 'gen_1', width: 480, height: 854, seconds: 5 }], createdAt: 1748469875, prompt: 'p',
      model: 'sora', width: 480, height: 854, seconds: 5, variants: 1,
    });
    const videoSnapshot = await client.createJob(videosInput('videos wire', { width: 720, height: 1280, seconds: 8 }));
    assert.equal(videoSnapshot.phase, 'running');
    assert.equal(videoSnapshot.progress, 42);
    await client.getJob('jobs', 'task_1');
    await client.getJob('videos', 'video_1');
    await client.listRecentJobs('jobs', 7);
    await client.listRecentJobs('videos', 3);
    await readAll((await client.openVideoContent('jobs', 'task_1', 'gen_1')).body);
    await readAll((await client.openVideoContent('videos', 'video_1', 'video_1')).body);
    await client.deleteJob('jobs', 'task_1');
    await client.deleteJob('videos', 'video_1');

    assert.deepEqual(server.requests.map((r) => `${r.method} ${r.url}`), [
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
    ]);
    assert.deepEqual(JSON.parse(server.requests[0].body), { model: 'sora', prompt: 'jobs wire', width: 480, height: 854, n_seconds: 5, n_variants: 3 });
    assert.deepEqual(JSON.parse(server.requests[1].body), { model: 'sora-2', prompt: 'videos wire', size: '720x1280', seconds: '8' });
    assert.ok(server.requests.every((r) => r.headers['api-key'] === KEY));
    assert.equal(server.requests[0].headers['content-type'], 'application/json');
  });

  test('ids are URL-encoded into paths', async () => {
    const server = await serve((_req, res) => sendJson(res, 200, job));
    await clientFor(server.url).getJob('jobs', '../x?y');
    assert.equal(server.requests[0].url, '/openai/v1/video/generations/jobs/..%2Fx%3Fy?api-version=preview');
  });

  test('a connection dropped after the whole create arrived: outcome unknown, for both families', async () => {
    const server = await serve((req) => req.socket.destroy());
    const client = clientFor(server.url);
    for (const family of ['jobs', 'videos'] as const) {
      await rejection(client.createJob(inputFor(family, `dropped ${family}`)), CreateOutcomeUnknownError);
    }
    assert.deepEqual(server.requests.map((r) => JSON.parse(r.body).prompt), ['dropped jobs', 'dropped videos'], 'each create reached the server exactly once (no retry)');
    const onGet = await rejection(client.getJob('jobs', 'task_1'), ProviderTransientError);
    assert.equal(onGet.status, undefined);
  });

  test('silence: a create times out as outcome unknown, a get as transient', async () => {
    const server = await serve(() => undefined); // never answers
    const client = clientFor(server.url, { requestTimeoutMs: 200 });
    const onCreate = await rejection(client.createJob(jobsInput('silence')), CreateOutcomeUnknownError);
    assert.match(onCreate.message, /no answer within 200 ms/);
    const onGet = await rejection(client.getJob('videos', 'video_1'), ProviderTransientError);
    assert.match(onGet.message, /no answer within 200 ms/);
    await rejection(client.openVideoContent('videos', 'video_1', 'video_1'), ProviderTransientError);
  });

  test('a refused connection proves nothing was sent: even a create is transient', async () => {
    const server = await tinyServer(() => undefined);
    await server.stop();
    const error = await rejection(clientFor(server.url).createJob(jobsInput('nobody home')), ProviderTransientError);
    assert.ok(!(error instanceof CreateOutcomeUnknownError));
    assert.match(error.message, /ECONNREFUSED/);
  });

  test('failing credentials are transient, even for a create (nothing was sent)', async () => {
    const auth: AuthHeaders = { headers: () => Promise.reject(new Error('IMDS unavailable')) };
    const error = await rejection(clientFor('http://127.0.0.1:9', { auth }).createJob(jobsInput('no token')), ProviderTransientError);
    assert.match(error.message, /credentials/);
  });

  test('malformed answers give named errors, never a TypeError', async () => {
    const server = await serve((req, res) => {
      if (req.url?.includes('task_text')) return sendJson(res, 200, '<html>proxy says hi</html>');
      if (req.method === 'POST') return sendJson(res, 200, { object: 'video', status: 'queued' }); // no id
      return sendJson(res, 200, { id: 5, status: 'queued' });
    });
    const client = clientFor(server.url);
    const wrongShape = await rejection(client.getJob('jobs', 'task_shape'), ProviderPermanentError);
    assert.equal(wrongShape.code, 'invalid_response');
    assert.match(wrongShape.message, /id/);
    const notJson = await rejection(client.getJob('jobs', 'task_text'), ProviderTransientError);
    assert.equal(notJson.status, 200);
    await rejection(client.listRecentJobs('videos', 5), ProviderPermanentError);
    // A 2xx create most likely made a job, but without its id we cannot know which.
    await rejection(client.createJob(videosInput('no id back')), CreateOutcomeUnknownError);
  });

  test('content filter refusals keep their own class', async () => {
    const server = await serve((_req, res) => sendJson(res, 400, { error: { code: 'content_policy_violation', message: 'Prompt refused.' } }));
    const error = await rejection(clientFor(server.url).createJob(videosInput('refused')), ContentFilteredError);
    assert.equal(error.status, 400);
  });

  test('a key or token echoed by the service is redacted from errors', async () => {
    const server = await serve((req, res) =>
      sendJson(res, 400, { error: { code: 'bad', message: `Rejected credential ${String(req.headers['api-key'] ?? req.headers.authorization)}` } }));
    const withKey = await rejection(clientFor(server.url).getJob('jobs', 'task_1'), ProviderPermanentError);
    assert.ok(!withKey.message.includes(KEY) && !String(withKey.stack).includes(KEY), withKey.message);
    assert.match(withKey.message, /\[redacted\]/);
    const token = 'eyJhbGciOiJSUzI1NiJ9.secret-token-part';
    const bearer: AuthHeaders = { headers: async () => ({ authorization: `Bearer ${token}` }) };
    const withToken = await rejection(clientFor(server.url, { auth: bearer }).getJob('videos', 'video_1'), ProviderPermanentError);
    assert.ok(!withToken.message.includes(token), withToken.message);
    assert.equal(server.requests[1].headers.authorization, `Bearer ${token}`);
  });

  test('the content timeout covers only the wait for headers, not a slow body', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': 8 });
      res.write(Buffer.from([0, 0, 0, 8]));
      setTimeout(() => res.end(Buffer.from('ftyp', 'latin1')), 600);
    });
    const content = await clientFor(server.url, { requestTimeoutMs: 200, idleTimeoutMs: 2000 }).openVideoContent('jobs', 'task_1', 'gen_1');
    const bytes = await readAll(content.body);
    assert.equal(bytes.length, 8);
    assert.equal(content.contentLength, 8);
    assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp');
  });

  test('issue 16 item 5: a body that stalls after its headers is broken off as a transient error, not held for minutes', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': 8 });
      res.write(Buffer.from([0, 0, 0, 8]));
      // …and nothing more, ever.
    });
    const started = Date.now();
    const content = await clientFor(server.url, { requestTimeoutMs: 5000, idleTimeoutMs: 300 }).openVideoContent('jobs', 'task_1', 'gen_1');
    await assert.rejects(readAll(content.body), (error: Error) => error instanceof ProviderTransientError && /stalled \(no data for 300 ms\)/.test(error.message));
    assert.ok(Date.now() - started < 3000, 'broken off by the idle timeout, not by the request timeout or a socket timeout');
  });
});
