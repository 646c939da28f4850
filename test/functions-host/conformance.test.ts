// Conformance of the Node Functions host's Durable side: small orchestrations (fixture app
// test/fixtures/durable-apps/conformance) run through the real durable-functions replay and
// are followed over the public HTTP management API only.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningHost } from '../../emulators/functions-host/index.js';
import { call, eventsOf, instanceUrl, run, start, startFixtureHost, waitForInstance } from './helpers.js';
import { eventually } from '../support/eventually.js';

let host: RunningHost;
before(async () => {
  host = await startFixtureHost();
});
after(async () => {
  await host?.stop();
});

const ms = (iso: string) => Date.parse(iso);

describe('orchestration patterns', () => {
  test('chaining: three activities in order, status URL goes 202 then 200', async () => {
    const { id, statusQueryGetUri, answer } = await start(host, 'chaining');
    assert.equal(answer.headers.get('location'), statusQueryGetUri);
    assert.equal(answer.headers.get('retry-after'), '10');
    const first = await call(statusQueryGetUri);
    assert.ok([200, 202].includes(first.status));
    await waitForInstance(statusQueryGetUri);
    const done = await call(instanceUrl(host, id));
    assert.equal(done.status, 200);
    assert.deepEqual(
      done.body.output,
      ['Hello Tokyo!', 'Hello Seattle!', 'Hello London!'],
      'activity inputs, env from local.settings.json and outputs all travel',
    );
    assert.equal(done.body.runtimeStatus, 'Completed');
    assert.equal(done.body.name, 'chaining');
  });

  test('fan-out/fan-in of 100 activities', async () => {
    const status = await run(host, 'fanOut', 100);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.equal(
      status.output,
      Array.from({ length: 100 }, (_, i) => i * i).reduce((a, b) => a + b, 0),
    );
    assert.equal(eventsOf(status, 'TaskScheduled').length, 100);
    assert.equal(eventsOf(status, 'TaskCompleted').length, 100);
    const ids = new Set(eventsOf(status, 'TaskScheduled').map((e) => e.EventId));
    assert.equal(ids.size, 100, 'every task has its own sequence number');
  });

  test('monitor loop on durable timers: fires at fireAt, custom status visible while it runs', async () => {
    const intervalMs = 300;
    const { id } = await start(host, 'monitor', { polls: 3, intervalMs });
    const running = await waitForInstance(instanceUrl(host, id), (b) => b.customStatus?.poll >= 1);
    assert.ok(['Running', 'Completed'].includes(running.runtimeStatus));
    await waitForInstance(instanceUrl(host, id));
    const status = (await call(instanceUrl(host, id, '?showHistory=true&showHistoryOutput=true'))).body;
    assert.equal(status.runtimeStatus, 'Completed');
    assert.deepEqual(status.customStatus, { poll: 3 });
    const created = eventsOf(status, 'TimerCreated');
    const fired = eventsOf(status, 'TimerFired');
    assert.equal(created.length, 3);
    assert.equal(fired.length, 3);
    for (const timer of fired) {
      assert.ok(
        ms(timer.Timestamp) >= ms(timer.FireAt),
        `timer ${timer.TimerId} fired at ${timer.Timestamp}, before its fireAt ${timer.FireAt}`,
      );
      assert.ok(ms(timer.Timestamp) - ms(timer.FireAt) < 1000, 'and not long after it');
    }
    // The history's own timestamps: when the execution started and each timer fired.
    const started = ms(eventsOf(status, 'ExecutionStarted')[0].Timestamp);
    const lastFired = Math.max(...fired.map((timer) => ms(timer.Timestamp)));
    assert.ok(
      lastFired - started >= 3 * intervalMs,
      `three ${intervalMs} ms timers one after another took ${lastFired - started} ms`,
    );
  });

  test('callActivityWithRetry: retry timers spaced first × backoff^n, success on the third attempt', async () => {
    const status = await run(host, 'retry', {
      key: `ok-${Date.now()}`,
      failTimes: 2,
      maxAttempts: 3,
      firstMs: 200,
      backoff: 2,
    });
    assert.equal(status.runtimeStatus, 'Completed');
    assert.equal(status.output, 'succeeded on attempt 3');
    const timers = eventsOf(status, 'TimerCreated');
    assert.equal(timers.length, 2);
    const delays = timers.map((t) => ms(t.FireAt) - ms(t.Timestamp));
    assert.deepEqual(delays, [200, 400]);
    const failed = eventsOf(status, 'TaskFailed');
    assert.equal(failed.length, 2);
    assert.match(failed[1].Reason, /flaky attempt 2 failed/);
  });

  test('callActivityWithRetry: after the last attempt the failure reaches the orchestrator', async () => {
    const caught = await run(host, 'retryThenCatch', {
      key: `catch-${Date.now()}`,
      failTimes: 10,
      maxAttempts: 3,
      firstMs: 100,
    });
    assert.equal(caught.runtimeStatus, 'Completed');
    assert.match(caught.output, /^caught: Activity function 'flaky' failed: flaky attempt 3 failed/);
    assert.equal(eventsOf(caught, 'TaskScheduled').length, 3);
    const delays = eventsOf(caught, 'TimerCreated').map((t) => ms(t.FireAt) - ms(t.Timestamp));
    assert.deepEqual(
      delays,
      [100, 100, 0],
      'fixed interval, then the zero-delay timer before the failure is reported',
    );

    const uncaught = await run(host, 'retry', {
      key: `fail-${Date.now()}`,
      failTimes: 10,
      maxAttempts: 2,
      firstMs: 50,
      backoff: 1,
    });
    assert.equal(uncaught.runtimeStatus, 'Failed');
    assert.match(uncaught.output, /flaky attempt 2 failed/);
  });

  test('external event raced against a timer: the event wins and the timer is cancelled', async () => {
    const { id } = await start(host, 'eventRace', { timeoutMs: 60_000 });
    await waitForInstance(instanceUrl(host, id), (b) => b.runtimeStatus === 'Running');
    const raised = await call(instanceUrl(host, id, '/raiseEvent/Approval'), {
      method: 'POST',
      body: JSON.stringify({ user: 'ana' }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(raised.status, 202);
    const status = await waitForInstance(instanceUrl(host, id));
    assert.deepEqual(status.output, { outcome: 'approved', by: { user: 'ana' } });
  });

  test('external event raced against a timer: the timer wins', async () => {
    const status = await run(host, 'eventRace', { timeoutMs: 200 });
    assert.deepEqual(status.output, { outcome: 'timed out' });
    assert.equal(eventsOf(status, 'TimerFired').length, 1);
  });

  test('external events are buffered until the orchestrator waits for them', async () => {
    const { id } = await start(host, 'waiter');
    // Raised at once: possibly before the first episode has even run.
    const raised = await call(instanceUrl(host, id, '/raiseEvent/Go'), {
      method: 'POST',
      body: '"early bird"',
    });
    assert.equal(raised.status, 202);
    const status = await waitForInstance(instanceUrl(host, id));
    assert.equal(status.output, 'early bird');
  });

  test('continueAsNew restarts with the new input and keeps the instance id', async () => {
    const status = await run(host, 'counter', 0, `counter-${Date.now()}`);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.equal(status.output, 'counted to 3');
    assert.equal(status.input, 3, "the status shows the latest execution's input");
    assert.equal(eventsOf(status, 'TaskScheduled').length, 0, 'the history holds only the last execution');
  });

  test('sub-orchestrations: named and generated child ids, outputs returned to the parent', async () => {
    const parentId = `parent-${Date.now()}`;
    const status = await run(host, 'parent', undefined, parentId);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.deepEqual(status.output, {
      child: ['Hello Tokyo!', 'Hello Seattle!', 'Hello London!'],
      squares: 14,
    });
    const child = await call(instanceUrl(host, `${parentId}-child`));
    assert.equal(child.status, 200);
    assert.equal(child.body.name, 'chaining');
    assert.equal(eventsOf(status, 'SubOrchestrationInstanceCompleted').length, 2);
  });

  test('an orchestrator that throws ends Failed with its message kept', async () => {
    const { id } = await start(host, 'thrower');
    await waitForInstance(instanceUrl(host, id));
    const status = await call(instanceUrl(host, id));
    assert.equal(status.status, 200);
    assert.equal(status.body.runtimeStatus, 'Failed');
    assert.match(status.body.output, /the orchestrator broke on purpose/);
    const strict = await call(instanceUrl(host, id, '?returnInternalServerErrorOnFailure=true'));
    assert.equal(strict.status, 500);
  });

  test('Task.all mixing activities and a timer, then another activity', async () => {
    const status = await run(host, 'parallelMixed');
    assert.deepEqual(status.output, ['Hello A!', 'Hello B!', 'Hello C!']);
  });

  test('an entity registered beside the orchestrations answers callEntity (entities.test.ts covers them in depth)', async () => {
    const status = await run(host, 'entityCaller');
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.equal(status.output, 1);
  });

  test('inputs keep their JSON type: string, number, object, null', async () => {
    for (const [input, type] of [
      ['Tokyo', 'string'],
      [42, 'number'],
      [{ a: [1, 2] }, 'object'],
      [null, 'object'],
    ] as const) {
      const status = await run(host, 'echo', input);
      assert.deepEqual(status.output, { input, type }, JSON.stringify(input));
      assert.deepEqual(status.input, input);
    }
  });
});

describe('instance control', () => {
  test('terminate while waiting: Terminated with the reason, then 410 for further operations', async () => {
    const { id } = await start(host, 'waiter');
    await waitForInstance(instanceUrl(host, id), (b) => b.runtimeStatus === 'Running');
    const terminated = await call(instanceUrl(host, id, '/terminate?reason=no%20longer%20needed'), {
      method: 'POST',
    });
    assert.equal(terminated.status, 202);
    const status = await waitForInstance(instanceUrl(host, id));
    assert.equal(status.runtimeStatus, 'Terminated');
    assert.equal(status.output, 'no longer needed');
    assert.equal(
      (await call(instanceUrl(host, id, '/raiseEvent/Go'), { method: 'POST', body: '1' })).status,
      410,
    );
    assert.equal((await call(instanceUrl(host, id, '/terminate'), { method: 'POST' })).status, 410);
  });

  test('suspend holds events until resume', async () => {
    const { id } = await start(host, 'waiter');
    await waitForInstance(instanceUrl(host, id), (b) => b.runtimeStatus === 'Running');
    assert.equal(
      (await call(instanceUrl(host, id, '/suspend?reason=pause'), { method: 'POST' })).status,
      202,
    );
    await waitForInstance(instanceUrl(host, id), (b) => b.runtimeStatus === 'Suspended');
    assert.equal(
      (await call(instanceUrl(host, id, '/raiseEvent/Go'), { method: 'POST', body: '"later"' })).status,
      202,
    );
    // The event is stored (202) and the instance woken: once the host is idle, the episode that
    // saw the event has run, and left the instance suspended.
    await eventually(
      'the host idle',
      async () => (await call(`${host.url}/admin/host/status`)).body.durableIdle,
      (idle) => idle === true,
    );
    assert.equal(
      (await call(instanceUrl(host, id))).body.runtimeStatus,
      'Suspended',
      'a suspended instance does not run',
    );
    assert.equal((await call(instanceUrl(host, id, '/resume?reason=go'), { method: 'POST' })).status, 202);
    const status = await waitForInstance(instanceUrl(host, id));
    assert.equal(status.output, 'later');
  });

  test('purge one instance: 200 then 404; a running instance is not purged', async () => {
    const status = await run(host, 'echo', 'bye');
    const purged = await call(instanceUrl(host, status.instanceId), { method: 'DELETE' });
    assert.equal(purged.status, 200);
    assert.deepEqual(purged.body, { instancesDeleted: 1 });
    assert.equal((await call(instanceUrl(host, status.instanceId))).status, 404);
    assert.equal((await call(instanceUrl(host, status.instanceId), { method: 'DELETE' })).status, 404);

    const { id } = await start(host, 'waiter');
    assert.equal((await call(instanceUrl(host, id), { method: 'DELETE' })).status, 404);
    assert.equal((await call(instanceUrl(host, id))).status, 202, 'still there');
    await call(instanceUrl(host, id, '/terminate'), { method: 'POST' });
  });

  test('purge by filter removes only finished instances created in the window', async () => {
    const from = new Date(Date.now() - 1000).toISOString();
    const a = await run(host, 'echo', 'a');
    const b = await run(host, 'echo', 'b');
    const { id: running } = await start(host, 'waiter');
    const purged = await call(
      `${host.url}/runtime/webhooks/durabletask/instances/?createdTimeFrom=${from}&runtimeStatus=Completed`,
      { method: 'DELETE' },
    );
    assert.equal(purged.status, 200);
    assert.ok(purged.body.instancesDeleted >= 2);
    assert.equal((await call(instanceUrl(host, a.instanceId))).status, 404);
    assert.equal((await call(instanceUrl(host, b.instanceId))).status, 404);
    assert.equal((await call(instanceUrl(host, running))).status, 202);
    await call(instanceUrl(host, running, '/terminate'), { method: 'POST' });
  });
});

describe('the durable client binding (df.getClient through the rpc endpoint)', () => {
  test('an HTTP starter answers with createCheckStatusResponse pointing at this host', async () => {
    const answer = await call(`${host.url}/api/orchestrators/echo/client-${Date.now()}`, {
      method: 'POST',
      body: '"via client"',
    });
    assert.equal(answer.status, 202);
    assert.ok(
      answer.body.statusQueryGetUri.startsWith(`${host.url}/runtime/webhooks/durabletask/instances/client-`),
      answer.body.statusQueryGetUri,
    );
    assert.equal(answer.headers.get('location'), answer.body.statusQueryGetUri);
    const status = await waitForInstance(answer.body.statusQueryGetUri);
    assert.deepEqual(status.output, { input: 'via client', type: 'string' });
  });

  test('getStatus, raiseEvent, terminate, getStatusBy and purgeInstanceHistory from inside functions', async () => {
    const id = `client-ops-${Date.now()}`;
    await call(`${host.url}/api/orchestrators/waiter/${id}`, { method: 'POST' });
    const seen = await call(`${host.url}/api/client/${id}`);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.instanceId, id);
    const listed = await call(`${host.url}/api/client/any/list?status=Running`, { method: 'POST' });
    assert.equal(listed.status, 200);
    assert.ok(
      listed.body.some((s: { instanceId: string }) => s.instanceId === id),
      'getStatusBy finds the running instance',
    );
    assert.equal(
      (await call(`${host.url}/api/client/${id}/raise?name=Go`, { method: 'POST', body: '{"n":1}' })).status,
      202,
    );
    const status = await waitForInstance(instanceUrl(host, id));
    assert.deepEqual(status.output, { n: 1 });
    const purged = await call(`${host.url}/api/client/${id}/purge`, { method: 'POST' });
    assert.deepEqual(purged.body, { instancesDeleted: 1 });
    assert.equal(
      (await call(`${host.url}/api/client/${id}`)).status,
      404,
      'getStatus of a purged instance throws',
    );
  });
});
