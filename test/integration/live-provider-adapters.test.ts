// The fal and Replicate adapters over real HTTP: hand-made servers give the answers no
// emulator gives on purpose (a 429 or a reset on the first create, every documented error,
// malformed answers), and the emulator's dialects give the lifecycle.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import {
  ContentFilteredError,
  CreateOutcomeUnknownError,
  ProviderPermanentError,
  ProviderTransientError,
} from '../../src/errors.js';
import { callbackUrlProblem } from '../../src/callbacks/callback-url.js';
import { createFalProvider, falAppPath } from '../../src/providers/fal/provider.js';
import type { ForeignUrlRule } from '../../src/providers/http/transport.js';
import type { JobSpec, VideoProvider } from '../../src/providers/provider.js';
import { createReplicateProvider } from '../../src/providers/replicate/provider.js';
import { sendJson, tinyServer, type TinyServer } from '../support/tiny-server.js';
import { eventually } from '../support/eventually.js';

const KEY = 'adapter-test-key';
/** The rule the registry passes in local development: the emulator's files are on loopback. */
const localRule: ForeignUrlRule = (url) => callbackUrlProblem(url, { allowLoopback: true });
const falOn = (url: string, requestTimeoutMs = 5000, foreignUrls = localRule) =>
  createFalProvider('fal', { queueUrl: url, apiKey: KEY }, { requestTimeoutMs, foreignUrls });
const replicateOn = (url: string, requestTimeoutMs = 5000, foreignUrls = localRule) =>
  createReplicateProvider('replicate', { baseUrl: url, apiToken: KEY }, { requestTimeoutMs, foreignUrls });
const falSpec: JobSpec = {
  model: 'fal-ai/kling-video/v2/master/text-to-video',
  prompt: 'A heron at dawn.',
  seconds: 5,
  size: '16:9',
  variants: 1,
};
const replicateSpec: JobSpec = {
  model: 'kwaivgi/kling-v2.0',
  prompt: 'A heron at dawn.',
  seconds: 5,
  size: '16:9',
  variants: 1,
};

/** Each kind with a server-side view of its create route. */
const kinds: Array<{
  name: string;
  adapter: (url: string, timeoutMs?: number) => VideoProvider;
  spec: JobSpec;
  createPath: string;
}> = [
  { name: 'fal', adapter: falOn, spec: falSpec, createPath: `/${falSpec.model}` },
  {
    name: 'replicate',
    adapter: replicateOn,
    spec: replicateSpec,
    createPath: `/models/${replicateSpec.model}/predictions`,
  },
];

async function withServer<T>(
  handler: Parameters<typeof tinyServer>[0],
  body: (server: TinyServer) => Promise<T>,
): Promise<T> {
  const server = await tinyServer(handler);
  try {
    return await body(server);
  } finally {
    await server.stop();
  }
}

describe('a create is sent once, whatever its first answer', () => {
  for (const kind of kinds) {
    test(`${kind.name}: a 429 with retry-after is one request and a transient error carrying the wait`, async () => {
      await withServer(
        (_req, res) => {
          res.setHeader('retry-after', '7');
          sendJson(res, 429, { detail: 'Request was throttled. Your rate limit resets in ~7s.' });
        },
        async (server) => {
          const error = await kind
            .adapter(server.url)
            .createJob(kind.spec)
            .then(
              () => undefined,
              (e: unknown) => e,
            );
          assert.ok(error instanceof ProviderTransientError, String(error));
          assert.equal(error.retryAfterSeconds, 7);
          assert.match(error.message, /throttled/, "the provider's message is kept");
          assert.equal(server.requests.length, 1);
          assert.equal(server.requests[0].url.split('?')[0], kind.createPath);
        },
      );
    });
    test(`${kind.name}: a connection reset after sending is one request and "outcome unknown"`, async () => {
      await withServer(
        (req) => req.socket.destroy(),
        async (server) => {
          await assert.rejects(kind.adapter(server.url).createJob(kind.spec), CreateOutcomeUnknownError);
          assert.equal(server.requests.length, 1);
        },
      );
    });
    test(`${kind.name}: an answer that never comes is one request and "outcome unknown"`, async () => {
      await withServer(
        () => undefined,
        async (server) => {
          await assert.rejects(kind.adapter(server.url, 300).createJob(kind.spec), CreateOutcomeUnknownError);
          assert.equal(server.requests.length, 1);
        },
      );
    });
  }
});

describe("documented errors map to the pipeline's classes, with the provider's message kept", () => {
  const cases: Array<{
    kind: string;
    status: number;
    body: unknown;
    headers?: Record<string, string>;
    expect: new (...args: never[]) => Error;
    code?: string;
    text: RegExp;
  }> = [
    {
      kind: 'fal',
      status: 401,
      body: { detail: 'Invalid key' },
      expect: ProviderPermanentError,
      code: 'unauthorized',
      text: /Invalid key/,
    },
    {
      kind: 'fal',
      status: 403,
      body: { detail: 'User is locked. Reason: Exhausted balance.' },
      expect: ProviderPermanentError,
      text: /Exhausted balance/,
    },
    {
      kind: 'fal',
      status: 404,
      body: { detail: "Application 'x' not found." },
      expect: ProviderPermanentError,
      code: 'not_found',
      text: /not found/,
    },
    {
      kind: 'fal',
      status: 422,
      body: {
        detail: [{ loc: ['body', 'duration'], msg: "Input should be '5' or '10'", type: 'literal_error' }],
      },
      expect: ProviderPermanentError,
      code: 'literal_error',
      text: /duration: Input should be/,
    },
    {
      kind: 'fal',
      status: 422,
      body: {
        detail: [
          {
            loc: ['body', 'prompt'],
            msg: 'The content could not be processed',
            type: 'content_policy_violation',
          },
        ],
      },
      expect: ContentFilteredError,
      code: 'content_policy_violation',
      text: /could not be processed/,
    },
    {
      kind: 'fal',
      status: 503,
      body: { detail: 'Runner scheduling failure', error_type: 'runner_scheduling_failure' },
      expect: ProviderTransientError,
      text: /runner_scheduling_failure/,
    },
    {
      kind: 'fal',
      status: 504,
      body: { detail: 'Request timed out', error_type: 'request_timeout' },
      headers: { 'x-fal-error-type': 'request_timeout' },
      expect: ProviderTransientError,
      text: /timed out/,
    },
    {
      kind: 'replicate',
      status: 401,
      body: {
        title: 'Unauthenticated',
        detail: 'You did not pass a valid authentication token',
        status: 401,
      },
      expect: ProviderPermanentError,
      code: 'unauthorized',
      text: /valid authentication token/,
    },
    {
      kind: 'replicate',
      status: 402,
      body: {
        title: 'Insufficient credit',
        detail: 'You have insufficient credit to run this model.',
        status: 402,
      },
      expect: ProviderPermanentError,
      code: 'insufficient_credit',
      text: /insufficient credit/,
    },
    {
      kind: 'replicate',
      status: 404,
      body: { title: 'Not found', detail: 'The requested resource could not be found.', status: 404 },
      expect: ProviderPermanentError,
      code: 'not_found',
      text: /could not be found/,
    },
    {
      kind: 'replicate',
      status: 422,
      body: {
        title: 'Input validation failed',
        detail: '- input.duration: duration must be one of the following: 5, 10',
        status: 422,
      },
      expect: ProviderPermanentError,
      code: 'invalid_input',
      text: /duration must be one of/,
    },
    {
      kind: 'replicate',
      status: 500,
      body: 'Internal Server Error',
      expect: ProviderTransientError,
      text: /HTTP 500/,
    },
  ];
  for (const { kind, status, body, headers, expect, code, text } of cases) {
    test(`${kind} HTTP ${status}${code ? ` (${code})` : ''}`, async () => {
      const entry = kinds.find((k) => k.name === kind)!;
      await withServer(
        (_req, res) => {
          for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
          sendJson(res, status, body);
        },
        async (server) => {
          const error = await entry
            .adapter(server.url)
            .createJob(entry.spec)
            .then(
              () => undefined,
              (e: unknown) => e,
            );
          assert.ok(error instanceof expect, `${String(error)} is a ${expect.name}`);
          if (code) assert.equal((error as ProviderPermanentError).code, code);
          assert.match((error as Error).message, text);
          assert.ok(!(error as Error).message.includes(KEY), 'the key never appears');
        },
      );
    });
  }
});

describe('malformed answers are named errors, never crashes', () => {
  const recorded: Array<{
    kind: string;
    call: 'create' | 'get';
    answer: string | object;
    status?: number;
    expect: new (...args: never[]) => Error;
  }> = [
    { kind: 'fal', call: 'create', answer: '<html>Bad gateway</html>', expect: CreateOutcomeUnknownError },
    { kind: 'fal', call: 'create', answer: { status: 'IN_QUEUE' }, expect: CreateOutcomeUnknownError },
    { kind: 'fal', call: 'get', answer: { status: 'EXPLODED' }, expect: ProviderPermanentError },
    { kind: 'fal', call: 'get', answer: { queue_position: 1 }, expect: ProviderPermanentError },
    { kind: 'fal', call: 'get', answer: 'not json', expect: ProviderTransientError },
    {
      kind: 'replicate',
      call: 'create',
      answer: '{"id": "abc", "status":',
      expect: CreateOutcomeUnknownError,
    },
    { kind: 'replicate', call: 'create', answer: { status: 'starting' }, expect: CreateOutcomeUnknownError },
    {
      kind: 'replicate',
      call: 'get',
      answer: { id: 'abc', status: 'teleporting' },
      expect: ProviderPermanentError,
    },
    {
      kind: 'replicate',
      call: 'get',
      answer: { id: 'abc', status: 'succeeded', output: 42 },
      expect: ProviderPermanentError,
    },
    { kind: 'replicate', call: 'get', answer: [], expect: ProviderPermanentError },
  ];
  for (const { kind, call, answer, status, expect } of recorded) {
    test(`${kind} ${call}: ${JSON.stringify(answer).slice(0, 60)}`, async () => {
      const entry = kinds.find((k) => k.name === kind)!;
      await withServer(
        (_req, res) => sendJson(res, status ?? 200, answer),
        async (server) => {
          const adapter = entry.adapter(server.url);
          const run =
            call === 'create'
              ? adapter.createJob(entry.spec)
              : adapter.getJob({ model: entry.spec.model, jobId: 'abc' });
          const error = await run.then(
            () => undefined,
            (e: unknown) => e,
          );
          assert.ok(error instanceof expect, `${String(error)} is a ${expect.name}`);
        },
      );
    });
  }
});

test('fal status, result and cancel use owner/app; workflows keep three segments', () => {
  assert.equal(falAppPath('fal-ai/kling-video/v2/master/text-to-video'), 'fal-ai/kling-video');
  assert.equal(falAppPath('fal-ai/veo3'), 'fal-ai/veo3');
  assert.equal(falAppPath('workflows/acme/clip/run'), 'workflows/acme/clip');
});

describe("against the emulator's dialects", () => {
  let emulator: RunningProviderEmulator;
  before(async () => {
    emulator = await startProviderEmulator({ port: 0, apiKey: KEY, timeScale: 0.05 });
  });
  after(async () => emulator?.stop());

  async function untilDone(adapter: VideoProvider, model: string, jobId: string) {
    return eventually(
      `${jobId} finished`,
      () => adapter.getJob({ model, jobId }),
      (job) => !['queued', 'running'].includes(job.phase),
      { everyMs: 50 },
    );
  }

  for (const kind of kinds) {
    test(`${kind.name}: create → queued, then succeeded with one output that streams as an MP4`, async () => {
      const adapter = kind.adapter(
        kind.name === 'fal' ? `${emulator.url}/fal` : `${emulator.url}/replicate/v1`,
      );
      const created = await adapter.createJob(kind.spec);
      assert.equal(created.phase, 'queued');
      const done = await untilDone(adapter, kind.spec.model, created.jobId);
      assert.equal(done.phase, 'succeeded', JSON.stringify(done));
      assert.equal(done.outputs.length, 1);
      const content = await adapter.openOutput(
        { model: kind.spec.model, jobId: created.jobId },
        done.outputs[0].id,
      );
      const chunks: Buffer[] = [];
      for await (const chunk of content.body) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp', 'an MP4');
      assert.match(content.contentType, /^video\/mp4/);
    });

    test(`${kind.name}: a cancelled job ends cancelled (or is gone), and cancelling twice is fine`, async () => {
      const adapter = kind.adapter(
        kind.name === 'fal' ? `${emulator.url}/fal` : `${emulator.url}/replicate/v1`,
      );
      const created = await adapter.createJob({ ...kind.spec, prompt: `Cancel me ${Date.now()}` });
      await adapter.cancelJob({ model: kind.spec.model, jobId: created.jobId });
      await adapter.cancelJob({ model: kind.spec.model, jobId: created.jobId });
      const after = await adapter
        .getJob({ model: kind.spec.model, jobId: created.jobId })
        .catch((error: Error) => error);
      if (after instanceof Error) assert.ok(after instanceof ProviderPermanentError, String(after));
      else assert.ok(['cancelled', 'failed'].includes(after.phase), JSON.stringify(after));
    });
  }

  test('replicate: the recent-jobs list finds a prediction by model and prompt (adoption of a lost create)', async () => {
    const adapter = replicateOn(`${emulator.url}/replicate/v1`);
    const prompt = `Find me ${Date.now()}`;
    const created = await adapter.createJob({ ...replicateSpec, prompt });
    const recent = await adapter.listRecentJobs!(replicateSpec.model, 50);
    const found = recent.jobs.find((job) => job.jobId === created.jobId);
    assert.ok(found, 'listed');
    assert.deepEqual(found.echo, {
      model: replicateSpec.model,
      prompt,
      seconds: 5,
      size: '16:9',
      variants: 1,
      // kling-v2.0 takes a start_image; this create sent none, and the echo says so.
      image: null,
    });
    assert.ok(
      found.createdAt && Math.abs(found.createdAt - Date.now() / 1000) < 60,
      "created_at on the provider's clock",
    );
  });

  test("fal: input the model refuses is accepted, then the polled job fails with the model's validation message", async () => {
    const adapter = falOn(`${emulator.url}/fal`);
    const created = await adapter.createJob({ ...falSpec, options: { cfg_scale: 'high' } });
    assert.equal(created.phase, 'queued');
    const done = await untilDone(adapter, falSpec.model, created.jobId);
    assert.equal(done.phase, 'failed', JSON.stringify(done));
    assert.match(done.failure ?? '', /HTTP 422 \(float_type\): cfg_scale: Input should be a valid number/);
  });

  test('fal: no job list, so a lost create waits out the settle time (lostCreate: settle)', () => {
    const adapter = falOn(`${emulator.url}/fal`);
    assert.equal(adapter.lostCreate, 'settle');
    assert.equal(adapter.listRecentJobs, undefined);
  });
});

// Output URLs a provider reports (a security review's item 12): https to global unicast only,
// redirects checked hop by hop; loopback only where the rule allows it. Every refused URL here
// names an address no test may reach: the assertion is that no request ever left for it.
describe('output URLs a provider reports are fetched only where the callback rule allows', () => {
  const strictRule: ForeignUrlRule = (url) => callbackUrlProblem(url, { allowLoopback: false });
  let server: TinyServer;
  /** The output URL the fake provider reports, by job id (tests run concurrently). */
  const outputUrls = new Map<string, string>();
  before(async () => {
    server = await tinyServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const jobId = decodeURIComponent(/\/(?:requests|predictions)\/([^/]+)$/.exec(url.pathname)?.[1] ?? '');
      if (url.pathname === '/files/video.mp4') {
        res.writeHead(200, { 'content-type': 'video/mp4' }).end(Buffer.from('....ftypisom'));
      } else if (url.pathname === '/files/redirect') {
        res.writeHead(302, { location: url.searchParams.get('to')! }).end();
      } else if (url.pathname.includes('/requests/')) {
        sendJson(res, 200, { video: { url: outputUrls.get(jobId) } });
      } else if (url.pathname.startsWith('/predictions/')) {
        sendJson(res, 200, { id: jobId, status: 'succeeded', output: outputUrls.get(jobId) });
      } else sendJson(res, 404, { detail: 'not found' });
    });
  });
  after(async () => server?.stop());

  /** Every request the fetch made, by URL: a refused URL must never appear. */
  const fetched: string[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    fetched.push(String(input instanceof Request ? input.url : input));
    return fetch(input, init);
  };
  let jobs = 0;
  /** Opens the one output of a job whose output URL is `outputUrl`. */
  const open = (kind: 'fal' | 'replicate', rule: ForeignUrlRule, outputUrl: string) => {
    const jobId = `job-${++jobs}`;
    outputUrls.set(jobId, outputUrl);
    const http = { requestTimeoutMs: 5000, foreignUrls: rule, fetch: recordingFetch };
    return kind === 'fal'
      ? createFalProvider('fal', { queueUrl: server.url, apiKey: KEY }, http).openOutput(
          { model: falSpec.model, jobId },
          'video',
        )
      : createReplicateProvider('replicate', { baseUrl: server.url, apiToken: KEY }, http).openOutput(
          { model: replicateSpec.model, jobId },
          'output-0',
        );
  };
  const refused = async (promise: Promise<unknown>, reason: RegExp) => {
    const error = await promise.then(
      () => assert.fail('the output was opened'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ProviderPermanentError, String(error));
    assert.equal(error.code, 'unsafe_output_url');
    assert.match(error.message, reason);
  };

  for (const kind of ['fal', 'replicate'] as const) {
    test(`${kind}: plain http to a public address is refused, nothing is fetched from it`, async () => {
      const outputUrl = 'http://93.184.216.34/video.mp4';
      await refused(open(kind, localRule, outputUrl), /http/);
      await refused(open(kind, strictRule, outputUrl), /https/);
      assert.ok(
        fetched.every((url) => url.startsWith(server.url)),
        fetched.join('\n'),
      );
    });

    test(`${kind}: https to private, link-local and platform addresses is refused`, async () => {
      for (const host of ['10.0.0.1', '169.254.169.254', '168.63.129.16', '[fd00::1]', '[::ffff:7f00:1]']) {
        await refused(open(kind, strictRule, `https://${host}/video.mp4`), /private|loopback|platform/);
      }
      assert.ok(
        fetched.every((url) => url.startsWith(server.url)),
        fetched.join('\n'),
      );
    });

    test(`${kind}: loopback is refused unless the rule allows it (local development)`, async () => {
      const outputUrl = `${server.url}/files/video.mp4`;
      await refused(open(kind, strictRule, outputUrl), /https/);
      const content = await open(kind, localRule, outputUrl);
      const chunks: Buffer[] = [];
      for await (const chunk of content.body) chunks.push(chunk as Buffer);
      assert.equal(Buffer.concat(chunks).subarray(4, 8).toString('latin1'), 'ftyp');
    });

    test(`${kind}: a redirect is followed only to where the rule allows`, async () => {
      const away = `${server.url}/files/redirect?to=${encodeURIComponent('http://10.0.0.1/video.mp4')}`;
      await refused(open(kind, localRule, away), /10\.0\.0\.1/);
      assert.ok(
        fetched.every((url) => url.startsWith(server.url)),
        fetched.join('\n'),
      );
      const before = fetched.length;
      const home = `${server.url}/files/redirect?to=${encodeURIComponent(`${server.url}/files/video.mp4`)}`;
      const content = await open(kind, localRule, home);
      content.body.destroy();
      assert.ok(
        fetched.slice(before).some((url) => url === `${server.url}/files/video.mp4`),
        fetched.join('\n'),
      );
    });
  }
});
