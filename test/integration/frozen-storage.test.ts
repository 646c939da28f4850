// Storage that stops answering: Azurite stopped with SIGSTOP holds every table and blob call open,
// as a frozen or unreachable account does. The HTTP API must answer 503 with Retry-After instead of
// hanging, and a start it answered 503 must not run later.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import {
  call,
  EMULATOR_KEY,
  quickstartBody,
  emulatorStats,
  startPipelineStack,
  startVideo,
  totalJobsCreated,
  waitForVideo,
  type Answer,
  type PipelineStack,
} from './pipeline-stack.js';
import { eventually } from '../support/eventually.js';
import { solidPng } from '../support/test-images.js';

const small = { ...quickstartBody, n_seconds: 1 };
/** The app gives each storage call 10 s; a caller that heard nothing in 30 s saw a hang. */
const CLIENT_PATIENCE_MS = 30_000;

let stack: PipelineStack;
before(async () => {
  stack = await startPipelineStack({
    settings: { IDEMPOTENCY_KEY_SECRET: 'integration-idempotency-secret-of-32-bytes' },
  });
});
after(async () => {
  // Never leave a stopped Azurite behind, whatever the test did.
  if (stack?.azurite.process.exitCode === null) stack.azurite.process.kill('SIGCONT');
  await stack?.stop();
});

async function patiently(url: string, init: RequestInit = {}): Promise<Answer | string> {
  return call(url, { ...init, signal: AbortSignal.timeout(CLIENT_PATIENCE_MS) }).catch(
    (error: Error) => `no answer within ${CLIENT_PATIENCE_MS} ms (${error.name})`,
  );
}

interface InstanceRow {
  instanceId: string;
  runtimeStatus: string;
}

async function instances(): Promise<InstanceRow[]> {
  const answer = await call(`${stack.host.url}/runtime/webhooks/durabletask/instances/?top=1000`);
  assert.equal(answer.status, 200, answer.text);
  return answer.body as InstanceRow[];
}

describe('storage that stops answering', () => {
  test('POST, GET, DELETE, a signed webhook and an upload answer 503 with Retry-After instead of hanging, and the start answered 503 does not run once storage is back', async () => {
    const known = await startVideo(stack.host, small);
    assert.equal((await waitForVideo(stack.host, known)).phase, 'completed');
    const jobsBefore = totalJobsCreated(await emulatorStats(stack.emulator));
    // A genuine Replicate delivery (signed with the account's secret) for a job nobody owns: finding
    // its owner reads storage. Issue item: this route had no bound and hung while storage was frozen.
    const secret = (
      await call(`${stack.emulator.url}/replicate/v1/webhooks/default/secret`, {
        headers: { authorization: `Bearer ${EMULATOR_KEY}` },
      })
    ).body.key as string;
    const delivery = JSON.stringify({ id: 'job-frozen', status: 'processing', input: {}, output: null });
    const sentAt = new Date();
    const webhookHeaders = {
      'content-type': 'application/json',
      'webhook-id': 'msg_frozen',
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign('msg_frozen', sentAt, delivery),
    };
    const pid = stack.azurite.process.pid!;
    process.kill(pid, 'SIGSTOP');
    let answers: (Answer | string)[];
    try {
      answers = await Promise.all([
        patiently(`${stack.host.url}/api/videos`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(small),
        }),
        patiently(`${stack.host.url}/api/videos/${known}`),
        patiently(`${stack.host.url}/api/videos/${known}`, { method: 'DELETE' }),
        patiently(`${stack.host.url}/api/callbacks/replicate`, {
          method: 'POST',
          headers: webhookHeaders,
          body: delivery,
        }),
        patiently(`${stack.host.url}/api/uploads`, {
          method: 'POST',
          headers: { 'content-type': 'image/png' },
          body: solidPng(8, 8, [1, 2, 3]),
        }),
      ]);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    for (const [what, answer] of ['POST', 'GET', 'DELETE', 'webhook', 'upload'].map(
      (name, i) => [name, answers[i]] as const,
    )) {
      assert.ok(typeof answer !== 'string', `${what}: ${answer as string}`);
      assert.equal(answer.status, 503, `${what}: ${answer.status} ${answer.text}`);
      assert.match(answer.headers.get('retry-after') ?? '', /^\d+$/, `${what}: Retry-After`);
      assert.equal(answer.headers.get('content-type'), 'application/problem+json', what);
      assert.equal(answer.body.status, 503, what);
    }
    // Each was a 503 (not patiently's "no answer"): the app answered on its own storage timeout,
    // before the caller's patience ran out, without a wall-clock bound a loaded machine can break.

    // Storage is back: the start that was answered 503 may go through now. Nobody knows its id,
    // so it must end cancelled, with any job it made cancelled too, and never complete.
    let others: InstanceRow[] = [];
    await eventually(
      'the late start terminated',
      async () => (others = (await instances()).filter((row) => row.instanceId !== known)),
      (rows) => rows.length > 0 && rows.every((row) => row.runtimeStatus === 'Terminated'),
      { everyMs: 200 },
    ).catch(() => undefined); // the assertions below say what was found instead
    // (The Node host carries out the start it was sent once Azurite answers: one instance.)
    assert.equal(others.length, 1, `the start went through late: ${JSON.stringify(others)}`);
    assert.equal(
      others[0].runtimeStatus,
      'Terminated',
      `a start answered 503 does not run: ${JSON.stringify(others)}`,
    );
    // A create in flight lands and sees the cancel mark before the host has no activity left.
    await eventually(
      'no episode or activity pending on the host',
      async () => (await call(`${stack.host.url}/admin/host/status`)).body?.durableIdle,
      (idle) => idle === true,
    );
    const stats = await emulatorStats(stack.emulator);
    const made = totalJobsCreated(stats) - jobsBefore;
    const deleted = Object.values(
      stats.requests['DELETE /openai/v1/video/generations/jobs/{job_id}'] ?? {},
    ).reduce((a, b) => a + b, 0);
    assert.ok(
      made <= deleted,
      `every job such a start made was cancelled (made ${made}, deleted ${deleted})`,
    );
    assert.equal((await call(`${stack.host.url}/api/videos/${known}`)).status, 200, 'the app answers again');
    // The DELETE answered 503 deleted nothing: sent again, it deletes the completed request.
    assert.equal((await call(`${stack.host.url}/api/videos/${known}`, { method: 'DELETE' })).status, 204);
    assert.equal((await call(`${stack.host.url}/api/videos/${known}`)).status, 404);
  });
});
