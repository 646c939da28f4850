// The oracle for the history the host stores: read an instance's committed history straight
// from <hub>History (as a storage tool would) and replay it through the durable-functions
// SDK's own Orchestrator. A history the host wrote correctly replays to the same end and
// asks for nothing the host did not already schedule.
import assert from 'node:assert/strict';
import { TableClient } from '@azure/data-tables';
import { flattenActions, type OrchestratorState } from '../../emulators/functions-host/durable/actions.js';
import { EventType, type HistoryEvent } from '../../emulators/functions-host/durable/model.js';
import { Orchestrator } from '../support/durable-sdk.js';

/** Actions that leave no scheduling event: event waits (6) and continueAsNew (4). */
const unscheduled = new Set([4, 6]);

export async function storedHistory(
  connectionString: string,
  hub: string,
  instanceId: string,
): Promise<{ events: HistoryEvent[]; row: Record<string, unknown> }> {
  const table = (name: string) =>
    TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true });
  const row = await table(`${hub}Instances`).getEntity<Record<string, unknown>>(instanceId, '');
  const prefix = `${String(row.ExecutionId)}~`;
  const events: HistoryEvent[] = [];
  const filter = `PartitionKey eq '${instanceId.replace(/'/g, "''")}' and RowKey ge '${prefix}' and RowKey lt '${prefix}~'`;
  for await (const entity of table(`${hub}History`).listEntities<Record<string, unknown>>({
    queryOptions: { filter },
  })) {
    const event: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(entity)) {
      if (['partitionKey', 'rowKey', 'etag', 'timestamp', 'ExecutionId'].includes(key)) continue;
      if (key === '_Timestamp') {
        event.Timestamp = value;
        continue;
      }
      event[key] =
        key === 'EventType'
          ? EventType[value as keyof typeof EventType]
          : [
                'FailureDetails',
                'OrchestrationInstance',
                'ParentInstance',
                'RetryOptions',
                'HttpPoll',
                'CanceledTimers',
              ].includes(key)
            ? JSON.parse(String(value))
            : value;
    }
    events.push(event as unknown as HistoryEvent);
  }
  return { events: events.slice(0, Number(row.HistoryLength)), row };
}

export async function replay(
  orchestrator: unknown,
  events: HistoryEvent[],
  instanceId: string,
): Promise<OrchestratorState> {
  const started = events.find((e) => e.EventType === EventType.ExecutionStarted);
  const handle = new Orchestrator(orchestrator).listen();
  const trigger = {
    history: events.map((e) => ({ ...e, IsPlayed: true })),
    input: started?.Input === undefined ? undefined : JSON.parse(started.Input),
    instanceId,
    isReplaying: true,
    parentInstanceId: null,
    upperSchemaVersion: 1,
    upperSchemaVersionNew: 3,
    longRunningTimerIntervalDuration: '3.00:00:00',
    maximumShortTimerDuration: '3650.00:00:00',
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };
  try {
    return await handle(trigger, {});
  } catch (error) {
    const text = (error as Error).message;
    return JSON.parse(
      text.slice(text.indexOf('$OutOfProcData$:') + '$OutOfProcData$:'.length),
    ) as OrchestratorState;
  }
}

/**
 * Replays the stored history of a finished instance and checks: every task the replay asks
 * for was scheduled by the host at the same position (and function name), nothing more, and
 * the replay ends as the status says.
 */
export async function assertReplaysCleanly(options: {
  connectionString: string;
  hub: string;
  orchestrator: unknown;
  instanceId: string;
  status: { runtimeStatus: string; output: unknown };
}): Promise<HistoryEvent[]> {
  const { events, row } = await storedHistory(options.connectionString, options.hub, options.instanceId);
  assert.equal(row.RuntimeStatus, options.status.runtimeStatus, '<hub>Instances row matches the API');
  assert.equal(events[0].EventType, EventType.OrchestratorStarted);
  const state = await replay(options.orchestrator, events, options.instanceId);
  const scheduled = new Map<number, HistoryEvent>();
  for (const e of events)
    if (e.LeafIndex !== undefined && !scheduled.has(e.LeafIndex)) scheduled.set(e.LeafIndex, e);
  const leaves = flattenActions(state);
  leaves.forEach((leaf, index) => {
    if (unscheduled.has(leaf.actionType)) return;
    const event = scheduled.get(index);
    assert.ok(event, `action #${index} (type ${leaf.actionType}) was never scheduled by the host`);
    if (leaf.functionName) assert.equal(event.Name, leaf.functionName);
    if (leaf.actionType === 7 || leaf.actionType === 9)
      assert.equal(event.InstanceId, leaf.instanceId, 'an entity operation goes to its entity');
  });
  assert.equal(
    scheduled.size,
    leaves.filter((l) => !unscheduled.has(l.actionType)).length,
    'the host scheduled nothing the SDK does not ask for',
  );
  if (options.status.runtimeStatus === 'Completed') {
    assert.equal(state.isDone, true, 'the replay reaches the end');
    assert.deepEqual(state.output, options.status.output);
  } else {
    assert.equal(options.status.runtimeStatus, 'Failed');
    assert.ok(
      state.error && String(options.status.output).includes(state.error),
      `${state.error} vs ${options.status.output}`,
    );
  }
  return events;
}
