// The host on its durable store (Azure Tables on Azurite): the history it writes is one the
// durable-functions SDK accepts (replaying it yields no new actions), it is laid out in
// <hub>Instances / <hub>History like the Durable Task Azure Storage provider, and a SIGKILL
// mid-flight loses nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TableClient } from '@azure/data-tables';
import { startAzurite, type RunningAzurite } from '../../emulators/azurite/index.js';
import type { RunningHost } from '../../emulators/functions-host/index.js';
import { call, instanceUrl, start, startFixtureHost, waitForInstance } from './helpers.js';
import { assertReplaysCleanly } from './replay.js';
import { eventually } from '../support/eventually.js';

const { orchestrators } = require('../fixtures/durable-apps/conformance/lib/orchestrators.js') as {
  orchestrators: Record<string, unknown>;
};

const HUB = 'Conformance';
let azurite: RunningAzurite;
before(async () => {
  azurite = await startAzurite();
});
after(async () => {
  await azurite?.stop();
});

describe('history written to Azure Tables', () => {
  let host: RunningHost;
  before(async () => {
    host = await startFixtureHost({ store: 'azure', env: { AzureWebJobsStorage: azurite.connectionString } });
  });
  after(async () => {
    await host?.stop();
  });

  const cases: [string, unknown][] = [
    ['chaining', undefined],
    ['fanOut', 20],
    ['monitor', { polls: 2, intervalMs: 100 }],
    ['retry', { key: 'replay-ok', failTimes: 2, maxAttempts: 3, firstMs: 50, backoff: 2 }],
    ['retryThenCatch', { key: 'replay-fail', failTimes: 9, maxAttempts: 2, firstMs: 50 }],
    ['eventRace', { timeoutMs: 100 }],
    ['counter', 0],
    ['parent', undefined],
    ['thrower', undefined],
    ['echo', 'Tokyo'],
    ['parallelMixed', undefined],
    ['lineSeparators', 'a\u2028b\u2029c'],
  ];

  for (const [name, input] of cases) {
    test(`${name}: replaying the stored history through the SDK yields no new actions and the same result`, async () => {
      const { id } = await start(host, name, input, `replay-${name}`);
      const status = await waitForInstance(instanceUrl(host, id));
      await assertReplaysCleanly({
        connectionString: azurite.connectionString,
        hub: HUB,
        orchestrator: orchestrators[name],
        instanceId: id,
        status,
      });
    });
  }

  test('CreatedTime and LastUpdatedTime are stored and answered with milliseconds', async () => {
    const before = Date.now();
    const { id } = await start(host, 'echo', 'Oslo', 'times-in-ms');
    const after = Date.now();
    const status = await waitForInstance(instanceUrl(host, id));
    const row = await TableClient.fromConnectionString(azurite.connectionString, `${HUB}Instances`, {
      allowInsecureConnection: true,
    }).getEntity<Record<string, unknown>>(id, '');
    assert.equal(row.CreatedTime, status.createdTime, 'the API answers what is stored');
    assert.equal(row.LastUpdatedTime, status.lastUpdatedTime);
    for (const value of [status.createdTime, status.lastUpdatedTime]) assert.match(value, /\.\d{3}Z$/);
    const created = Date.parse(status.createdTime);
    assert.ok(
      created >= before && created <= after,
      `createdTime ${status.createdTime} lies between the POST and its answer`,
    );
  });
});

describe('a timer cancelled by Task.any, on Azure Tables', () => {
  let host: RunningHost;
  before(async () => {
    host = await startFixtureHost({ store: 'azure', env: { AzureWebJobsStorage: azurite.connectionString } });
  });
  after(async () => {
    await host?.stop();
  });

  test('an event that wins the race, then more work: the instance completes (the cancelled timer ids are stored as JSON) and replays cleanly', async () => {
    // The episode's OrchestratorCompleted lists the cancelled timer ids: an array, which Azure
    // Tables cannot hold as such (it failed the instance: "Unknown EDM type object").
    const { id } = await start(host, 'eventRaceThenWork', { timeoutMs: 60_000 }, 'race-event-wins');
    await waitForInstance(instanceUrl(host, id), (body) => body?.runtimeStatus === 'Running');
    const raised = await call(instanceUrl(host, id, '/raiseEvent/Approval'), {
      method: 'POST',
      body: JSON.stringify({ user: 'ana' }),
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(raised.status, 202, raised.text);
    const status = await waitForInstance(instanceUrl(host, id));
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.deepEqual(status.output, { outcome: 'approved', by: { user: 'ana' }, squared: 49 });
    await assertReplaysCleanly({
      connectionString: azurite.connectionString,
      hub: HUB,
      orchestrator: orchestrators.eventRaceThenWork,
      instanceId: id,
      status,
    });
  });
});

describe('SIGKILL and restart on the same storage', () => {
  test('every in-flight orchestration completes with the right output after a crash', async () => {
    const env = { AzureWebJobsStorage: azurite.connectionString };
    let host = await startFixtureHost({ store: 'azure', env });
    const expected = new Map<string, number>();
    const ids: string[] = [];
    try {
      for (let n = 1; n <= 6; n++) {
        const { id } = await start(host, 'restartable', { n, waitMs: 3000 }, `crash-${n}`);
        ids.push(id);
        expected.set(id, n * n + (n + 1) ** 2 + (n + 2) ** 2 + (n + 3) ** 2);
      }
      const fan = await start(host, 'fanOut', 30, 'crash-fanout');
      ids.push(fan.id);
      expected.set(
        fan.id,
        Array.from({ length: 30 }, (_, i) => i * i).reduce((a, b) => a + b, 0),
      );
      const monitor = await start(host, 'monitor', { polls: 3, intervalMs: 1500 }, 'crash-monitor');
      ids.push(monitor.id);

      // Mid-way: every instance has started; slow activities (400 ms each) and 3 s timers are
      // pending, so most cannot have finished.
      const before = await eventually(
        'every instance started',
        () =>
          Promise.all(
            ids.map(async (id) => (await call(instanceUrl(host, id))).body.runtimeStatus as string),
          ),
        (statuses) => statuses.every((s) => s !== 'Pending'),
      );
      assert.ok(
        before.filter((s) => s === 'Running' || s === 'Pending').length >= 7,
        `instances still in flight when killed: ${before.join(',')}`,
      );
      await host.kill('SIGKILL');

      host = await startFixtureHost({ store: 'azure', env, quiet: false });
      assert.match(host.output(), /Resumed \d+ unfinished orchestration instance/);
      for (const id of ids) {
        const status = await waitForInstance(instanceUrl(host, id), undefined, 30_000);
        assert.equal(status.runtimeStatus, 'Completed', `${id}: ${JSON.stringify(status)}`);
        if (expected.has(id)) assert.equal(status.output, expected.get(id), id);
      }
      const monitorStatus = await waitForInstance(instanceUrl(host, monitor.id));
      assert.equal(monitorStatus.output.polls, 3);
    } finally {
      await host.stop();
    }
  });
});
