// Provider webhooks on the real parts: the emulator's fal and Replicate dialects sign and send
// them as the vendors do, the app verifies them at POST /api/callbacks/{provider} and wakes the
// orchestration at once (no status call); polling stays the fallback when every webhook is
// lost; anything forged, unsigned, stale or tampered with is refused with 401 and changes
// nothing.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import {
  call,
  startPipelineStack,
  startVideo,
  waitForVideo,
  EMULATOR_KEY,
  type PipelineStack,
} from './pipeline-stack.js';
import { sendJson, tinyServer, type TinyServer } from '../support/tiny-server.js';
import { eventually } from '../support/eventually.js';

type Kind = 'fal' | 'replicate';
const MODELS: Record<Kind, string> = {
  fal: 'fal-ai/kling-video/v2/master/text-to-video',
  replicate: 'kwaivgi/kling-v2.0',
};
const body = (kind: Kind, prompt: string) => ({ provider: kind, model: MODELS[kind], prompt });

/** fal's JWKS as the app sees it: the emulator's keys plus one this test signs with, as if fal
 * had a second key. The emulator's own webhooks still verify; the test can sign any message. */
async function jwksWithTestKey(emulatorUrl: () => string, testKey: KeyObject): Promise<TinyServer> {
  return tinyServer((_req, res) => {
    void fetch(`${emulatorUrl()}/fal/.well-known/jwks.json`)
      .then((answer) => answer.json() as Promise<{ keys: unknown[] }>)
      .then(
        (theirs) =>
          sendJson(res, 200, {
            keys: [...theirs.keys, { ...testKey.export({ format: 'jwk' }), kid: 'test-key' }],
          }),
        (error: Error) => sendJson(res, 502, { error: error.message }),
      );
  });
}

function falHeaders(
  privateKey: KeyObject,
  requestId: string,
  rawBody: string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const message = [
    requestId,
    'user_test',
    String(timestamp),
    createHash('sha256').update(rawBody).digest('hex'),
  ].join('\n');
  return {
    'x-fal-webhook-request-id': requestId,
    'x-fal-webhook-user-id': 'user_test',
    'x-fal-webhook-timestamp': String(timestamp),
    'x-fal-webhook-signature': sign(null, Buffer.from(message), privateKey).toString('hex'),
  };
}

describe('provider webhooks', () => {
  let stack: PipelineStack;
  let jwks: TinyServer;
  const { privateKey: falTestKey, publicKey: falTestPublic } = generateKeyPairSync('ed25519');
  const { privateKey: strangerKey } = generateKeyPairSync('ed25519');
  let replicateSecret: string;

  before(async () => {
    // A slow-ish clock so a request is still running while the forged webhooks arrive.
    jwks = await jwksWithTestKey(() => stack.emulator.url, falTestPublic);
    stack = await startPipelineStack({
      emulator: { timeScale: 0.05 },
      settings: { FAL_JWKS_URL: `${jwks.url}/jwks.json` },
    });
    replicateSecret = (
      await call(`${stack.emulator.url}/replicate/v1/webhooks/default/secret`, {
        headers: { authorization: `Bearer ${EMULATOR_KEY}` },
      })
    ).body.key;
  });
  after(async () => {
    await stack?.stop();
    await jwks?.stop();
  });

  const patch = (values: Record<string, unknown>) =>
    call(`${stack.emulator.url}/_admin/config`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(values),
    });
  const post = (kind: string, headers: Record<string, string>, raw: string) =>
    call(`${stack.host.url}/api/callbacks/${kind}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: raw,
    });

  for (const kind of ['fal', 'replicate'] as const) {
    test(`${kind}: the webhook ends the wait at once: completed after one confirming status read`, async () => {
      const id = await startVideo(stack.host, body(kind, `A webhook-driven heron ${Date.now()}.`));
      const status = await waitForVideo(stack.host, id, 60_000);
      assert.equal(status.phase, 'completed', JSON.stringify(status));
      assert.equal(status.events, 1, 'woken by the webhook');
      assert.ok(status.polls <= 1, `${status.polls} status calls`);
    });

    test(`${kind}: with every webhook dropped, the request still completes by polling`, async () => {
      await patch({ webhookDropRate: 1 });
      try {
        const id = await startVideo(stack.host, body(kind, `A lost webhook ${Date.now()}.`));
        const status = await waitForVideo(stack.host, id, 60_000);
        assert.equal(status.phase, 'completed', JSON.stringify(status));
        assert.equal(status.events, 0);
        assert.ok(status.polls >= 1);
      } finally {
        await patch({ webhookDropRate: 0 });
      }
    });
  }

  describe('refused with 401, changing nothing', () => {
    /** A running request and its job id, on a slow clock so it stays running. */
    async function runningRequest(kind: Kind): Promise<{ id: string; jobId: string }> {
      await patch({ timeScale: 20 });
      const id = await startVideo(stack.host, body(kind, `Still running ${kind} ${Date.now()}.`));
      const status = await eventually(
        'the request with a job',
        async () => (await call(`${stack.host.url}/api/videos/${id}`)).body,
        (s) => Boolean(s.upstream?.jobId),
        { everyMs: 25 },
      );
      return { id, jobId: status.upstream.jobId };
    }
    async function unchanged(id: string) {
      const status = (await call(`${stack.host.url}/api/videos/${id}`)).body;
      assert.ok(['queued', 'running'].includes(status.phase), JSON.stringify(status));
      assert.equal(status.events, 0, 'no event reached the orchestration');
      await call(`${stack.host.url}/api/videos/${id}`, { method: 'DELETE' });
      await patch({ timeScale: 0.05 });
    }

    /** A body claiming the job succeeded, in each provider's shape. */
    const fakeDone = (kind: Kind, jobId: string) =>
      JSON.stringify(
        kind === 'fal'
          ? {
              request_id: jobId,
              gateway_request_id: jobId,
              status: 'OK',
              payload: { video: { url: 'https://attacker.example/x.mp4' } },
            }
          : {
              id: jobId,
              model: MODELS.replicate,
              status: 'succeeded',
              input: {},
              output: 'https://attacker.example/x.mp4',
              created_at: new Date().toISOString(),
            },
      );
    const signedBy = (kind: Kind, jobId: string, raw: string, at = new Date()) =>
      kind === 'fal'
        ? falHeaders(falTestKey, jobId, raw, Math.floor(at.getTime() / 1000))
        : (() => {
            const msgId = `msg_${Date.now()}`;
            return {
              'webhook-id': msgId,
              'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
              'webhook-signature': new Webhook(replicateSecret).sign(msgId, at, raw),
            };
          })();

    for (const kind of ['fal', 'replicate'] as const) {
      test(`${kind}: unsigned`, async () => {
        const { id, jobId } = await runningRequest(kind);
        const answer = await post(kind, {}, fakeDone(kind, jobId));
        assert.equal(answer.status, 401, answer.text);
        assert.equal(answer.headers.get('content-type'), 'application/problem+json');
        await unchanged(id);
      });

      test(`${kind}: forged (signed with a key or secret that is not the provider's)`, async () => {
        const { id, jobId } = await runningRequest(kind);
        const raw = fakeDone(kind, jobId);
        const headers =
          kind === 'fal'
            ? falHeaders(strangerKey, jobId, raw)
            : {
                'webhook-id': 'msg_forged',
                'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
                'webhook-signature': new Webhook(
                  'whsec_' + Buffer.from('not the real secret at all').toString('base64'),
                ).sign('msg_forged', new Date(), raw),
              };
        assert.equal((await post(kind, headers, raw)).status, 401);
        await unchanged(id);
      });

      test(`${kind}: stale (correctly signed, timestamp 10 minutes old)`, async () => {
        const { id, jobId } = await runningRequest(kind);
        const raw = fakeDone(kind, jobId);
        assert.equal(
          (await post(kind, signedBy(kind, jobId, raw, new Date(Date.now() - 10 * 60_000)), raw)).status,
          401,
        );
        await unchanged(id);
      });

      test(`${kind}: replayed with a changed body`, async () => {
        const { id, jobId } = await runningRequest(kind);
        const original = JSON.stringify(
          kind === 'fal'
            ? {
                request_id: jobId,
                gateway_request_id: jobId,
                status: 'ERROR',
                payload: { detail: 'x' },
                error: 'Invalid status code: 500',
              }
            : {
                id: jobId,
                model: MODELS.replicate,
                status: 'processing',
                input: {},
                output: null,
                created_at: new Date().toISOString(),
              },
        );
        const headers = signedBy(kind, jobId, original);
        assert.equal((await post(kind, headers, fakeDone(kind, jobId))).status, 401);
        await unchanged(id);
      });
    }

    test('an unknown provider, and a provider without webhooks', async () => {
      assert.equal((await post('sora', {}, '{}')).status, 401);
      assert.equal((await post('azure-openai', {}, '{}')).status, 401);
    });

    test('a body over 1 MiB is 413, read no further', async () => {
      const answer = await post('replicate', {}, 'x'.repeat(1024 * 1024 + 1));
      assert.equal(answer.status, 413);
    });
  });

  // Events belong to their run (a security review's item 5): a genuine, signed delivery for a
  // job an earlier run of this instance id claimed must not reach the current run.
  test("a late delivery for an earlier run's job is ignored by the current run", async () => {
    await patch({ timeScale: 20 });
    try {
      const id = await startVideo(stack.host, body('replicate', `The current run ${Date.now()}.`));
      const current = await eventually(
        'a job was created',
        async () => (await call(`${stack.host.url}/api/videos/${id}`)).body,
        (view) => Boolean(view.upstream?.jobId),
        { timeoutMs: 30_000, everyMs: 100 },
      );
      // The claim an earlier run of this id left behind (written as claims are: owner and run).
      const oldJob = `earlier-run-job-${Date.now()}`;
      await stack.container
        .getBlockBlobClient(`.claims/jobs/replicate/${oldJob}`)
        .upload(id, Buffer.byteLength(id), { metadata: { run: 'an-earlier-run' } });
      const prediction = (
        await call(`${stack.emulator.url}/replicate/v1/predictions/${current.upstream.jobId}`, {
          headers: { authorization: `Bearer ${EMULATOR_KEY}` },
        })
      ).body;
      const late = JSON.stringify({
        ...prediction,
        id: oldJob,
        status: 'failed',
        error: 'the old job failed',
      });
      const at = new Date();
      const answer = await post(
        'replicate',
        {
          'webhook-id': 'msg_late',
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': new Webhook(replicateSecret).sign('msg_late', at, late),
        },
        late,
      );
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.body.ignored, true, answer.text);
      // The current run goes on untouched: it polls on (a positive sign its episodes ran since),
      // still waiting for its job, with no event counted. Then it is cancelled (its job is slow on purpose).
      const polled = (await call(`${stack.host.url}/api/videos/${id}`)).body.polls as number;
      const view = await eventually(
        'two more polls of the current run',
        async () => (await call(`${stack.host.url}/api/videos/${id}`)).body,
        (now) => now.polls >= polled + 2,
        { timeoutMs: 30_000, everyMs: 100 },
      );
      assert.ok(['queued', 'running'].includes(view.phase), JSON.stringify(view));
      assert.equal(view.events, 0, JSON.stringify(view));
      assert.equal((await call(`${stack.host.url}/api/videos/${id}`, { method: 'DELETE' })).status, 202);
    } finally {
      await patch({ timeScale: 0.05 });
    }
  });

  test('a duplicate delivery, and one for a request that already ended, are harmless', async () => {
    const id = await startVideo(stack.host, body('replicate', `Deliver me twice ${Date.now()}.`));
    const done = await waitForVideo(stack.host, id, 60_000);
    assert.equal(done.phase, 'completed');
    const prediction = (
      await call(`${stack.emulator.url}/replicate/v1/predictions/${done.upstream.jobId}`, {
        headers: { authorization: `Bearer ${EMULATOR_KEY}` },
      })
    ).text;
    const at = new Date();
    const headers = {
      'webhook-id': 'msg_dup',
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(replicateSecret).sign('msg_dup', at, prediction),
    };
    for (let i = 0; i < 2; i++) {
      const answer = await post('replicate', headers, prediction);
      assert.equal(answer.status, 200, answer.text);
    }
    const after = (await call(`${stack.host.url}/api/videos/${id}`)).body;
    assert.deepEqual(
      [after.phase, after.events, after.videos.length],
      [done.phase, done.events, 1],
      'nothing changed',
    );
  });
});
