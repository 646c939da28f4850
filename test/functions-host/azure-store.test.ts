// The host on its durable store (Azure Tables on Azurite): the history it writes is one the
// durable-functions SDK accepts (replaying it yields no new actions), it is laid out in
// <hub>Instances / <hub>History like the Durable Task Azure Storage provider, and a SIGKILL
// mid-flight loses nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TableClient } from '@azure/data-tables';
import { startAzurite, type RunningAzurite } from '../../emulators/azurite/index.js';
import type { RunningHost } from '../../emulators/functions-host/index.js';
import { flattenActions, type OrchestratorState } from '../../emulators/functions-host/durable/actions.js';
import { EventType, type HistoryEvent } from '../../emulators/functions-host/durable/model.js';
import { call, instanceUrl, start, startFixtureHost, waitFor } from './helpers.js';

// The SDK's own replay engine, used here as the oracle for the host's history.
const { Orchestrator } = require('durable-functions/lib/src/orchestrations/Orchestrator') as {
  Orchestrator: new (fn: unknown) => { listen(): (trigger: unknown, context: unknown) => Promise<OrchestratorState> };
};
const { orchestrators } = require('../fixtures/durable-apps/conformance/lib/orchestrators.js') as { orchestrators: Record<string, unknown> };

const HUB = 'Conformance';
let azurite: RunningAzurite;
before(async () => {
  azurite = await startAzurite();
});
after(async () => {
  await azurite?.stop();
});

function table(name: string): TableClient {
  return TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });
}

/** Reads an instance's committed history straight from <hub>History, as a storage tool would. */
async function storedHistory(instanceId: string): Promise<{ events: HistoryEvent[]; row: Record<string, unknown> }> {
  const row = await table(`${HUB}Instances`).getEntity<Record<string, unknown>>(instanceId, '');
  const prefix = `${String(row.ExecutionId)}~`;
  const events: HistoryEvent[] = [];
  const filter = `PartitionKey eq '${instanceId}' and RowKey ge '${prefix}' and RowKey lt '${prefix}~'`;
  for await (const entity of table(`${HUB}History`).listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
    const event: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(entity)) {
      if (['partitionKey', 'rowKey', 'etag', 'timestamp', 'ExecutionId'].includes(key)) continue;
      if (key === '_Timestamp') {
        event.Timestamp = value;
        continue;
      }
      event[key] = key === 'EventType' ? EventType[value as keyof typeof EventType] : ['FailureDetails', 'OrchestrationInstance', 'ParentInstance', 'RetryOptions'].includes(key) ? JSON.parse(String(value)) : value;
    }
    events.push(event as unknown as HistoryEvent);
  }
  return { events: events.slice(0, Number(row.HistoryLength)), row };
}

async function replay(name: string, events: HistoryEvent[], instanceId: string): Promise<OrchestratorState> {
  const started = events.find((e) => e.EventType === EventType.ExecutionStarted);
  const handle = new Orchestrator(orchestrators[name]).listen();
  const trigger = {
    history: events.map((e) => ({ ...e, IsPlayed: true })),
    input: started?.Input === undefined ? undefined : JSON.parse(started.Input),
    instanceId, isReplaying: true, parentInstanceId: null, upperSchemaVersion: 1, upperSchemaVersionNew: 2,
    longRunningTimerIntervalDuration: '3.00:00:00', maximumShortTimerDuration: '3650.00:00:00', defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };
  try {
    return await handle(trigger, {});
  } catch (error) {
    const text = (error as Error).message;
    return JSON.parse(text.slice(text.indexOf('$OutOfProcData$:') + '$OutOfProcData$:'.length)) as OrchestratorState;
  }
}

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
  ];

  for (const [name, input] of cases) {
    test(`${name}: replaying the stored history through the SDK yields no new actions and the same result`, async () => {
      const { id } = await start(host, name, input, `replay-${name}`);
      const status = await waitFor(instanceUrl(host, id));
      const { events, row } = await storedHistory(id);
      assert.equal(row.RuntimeStatus, status.runtimeStatus, '<hub>Instances row matches the API');
      assert.equal(events[0].EventType, EventType.OrchestratorStarted);
      const state = await replay(name, events, id);

      // Every task the replay asks for was already scheduled by the host, under the same
      // function name, at the same position: nothing new to do.
      const scheduled = new Map<number, HistoryEvent>();
      for (const e of events) if (e.LeafIndex !== undefined) scheduled.set(e.LeafIndex, e);
      const leaves = flattenActions(state);
      leaves.forEach((leaf, index) => {
        if (leaf.actionType === 6 || leaf.actionType === 4) return; // event waits and continueAsNew have no scheduling event
        const event = scheduled.get(index);
        assert.ok(event, `action #${index} (type ${leaf.actionType}) was never scheduled by the host`);
        if (leaf.functionName) assert.equal(event.Name, leaf.functionName);
      });
      assert.equal(scheduled.size, leaves.filter((l) => l.actionType !== 6 && l.actionType !== 4).length, 'the host scheduled nothing the SDK does not ask for');

      if (status.runtimeStatus === 'Completed') {
        assert.equal(state.isDone, true, 'the replay reaches the end');
        assert.deepEqual(state.output, status.output);
      } else {
        assert.equal(status.runtimeStatus, 'Failed');
        assert.ok(state.error && status.output.includes(state.error), `${state.error} vs ${status.output}`);
      }
    });
  }
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
      expected.set(fan.id, Array.from({ length: 30 }, (_, i) => i * i).reduce((a, b) => a + b, 0));
      const monitor = await start(host, 'monitor', { polls: 3, intervalMs: 1500 }, 'crash-monitor');
      ids.push(monitor.id);

      // Mid-way: slow activities (400 ms each) and 3 s timers are pending, so nothing can have finished.
      await new Promise((resolve) => setTimeout(resolve, 600));
      const before = await Promise.all(ids.map(async (id) => (await call(instanceUrl(host, id))).body.runtimeStatus as string));
      assert.ok(before.filter((s) => s === 'Running' || s === 'Pending').length >= 7, `instances still in flight when killed: ${before.join(',')}`);
      await host.kill('SIGKILL');

      host = await startFixtureHost({ store: 'azure', env, quiet: false });
      assert.match(host.output(), /Resumed \d+ unfinished orchestration instance/);
      for (const id of ids) {
        const status = await waitFor(instanceUrl(host, id), undefined, 30_000);
        assert.equal(status.runtimeStatus, 'Completed', `${id}: ${JSON.stringify(status)}`);
        if (expected.has(id)) assert.equal(status.output, expected.get(id), id);
      }
      const monitorStatus = await waitFor(instanceUrl(host, monitor.id));
      assert.equal(monitorStatus.output.polls, 3);
    } finally {
      await host.stop();
    }
  });
});
