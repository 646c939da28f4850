// One batch of entity operations, without a store: the input the app's entity function gets
// ({self, exists, state, batch}), and what its answer (EntityState {entityExists, entityState,
// results, signals}) turns into: answers to the orchestrations that called, signals to other
// entities, and the entity's next row. entities.ts stores, commits and hands these over.
import { entitySchedulerId, type EntityMessage, type EntityRecord } from './entity-model.js';
import { EventType, isoNow, newMessageId, type InboxMessage } from './model.js';

interface OperationResultWire {
  isError: boolean;
  duration?: number;
  startTime?: number;
  result?: string;
}

export interface EntityStateWire {
  entityExists?: boolean;
  entityState?: string;
  results?: OperationResultWire[];
  signals?: { target: { name: string; key: string }; name: string; input?: string }[];
}

/** The entity trigger's input for a batch of operations. */
export function batchInput(record: EntityRecord, batch: EntityMessage[]): Record<string, unknown> {
  return {
    self: { name: record.name, key: record.key },
    exists: record.exists,
    state: record.state ?? undefined,
    batch: batch.map((m) => ({
      id: m.requestId ?? m.id,
      name: m.operation ?? '',
      signal: m.signal ?? true,
      input: m.input ?? '',
    })),
  };
}

/** The answer of a batch that did not run (the function failed or is missing): nothing changes. */
export function unchangedState(record: EntityRecord): EntityStateWire {
  return { entityExists: record.exists, entityState: record.state ?? undefined, results: [], signals: [] };
}

/** An answer to an orchestration: an EventRaised named by the request id, as the SDK expects. */
export function entityAnswer(
  message: EntityMessage,
  payload: { result?: string; exceptionType?: string },
): InboxMessage {
  return {
    id: newMessageId(),
    instanceId: message.parent!,
    executionId: message.parentExecutionId ?? null,
    event: {
      EventType: EventType.EventRaised,
      Timestamp: isoNow(),
      Name: message.requestId,
      Input: JSON.stringify(payload),
    },
  };
}

/** The answers to the batch's calls (signals get none); `failure`: the batch did not run. */
export function batchAnswers(
  record: EntityRecord,
  batch: EntityMessage[],
  state: EntityStateWire,
  failure: string | undefined,
): InboxMessage[] {
  const answers: InboxMessage[] = [];
  batch.forEach((message, i) => {
    if (message.signal || !message.parent || !message.requestId) return;
    const result = state.results?.[i];
    if (failure !== undefined || !result || result.isError) {
      const why =
        failure ??
        (result?.result && result.result !== '{}'
          ? result.result
          : JSON.stringify(`Operation '${message.operation}' on entity '${record.id}' failed.`));
      answers.push(
        entityAnswer(message, {
          result:
            failure !== undefined
              ? JSON.stringify(`Operation '${message.operation}' on entity '${record.id}' failed: ${failure}`)
              : why,
          exceptionType: 'Error',
        }),
      );
    } else {
      answers.push(entityAnswer(message, result.result === undefined ? {} : { result: result.result }));
    }
  });
  return answers;
}

/** The signals the batch's operations sent to entities. */
export function outgoingSignals(state: EntityStateWire): { entityId: string; message: EntityMessage }[] {
  return (state.signals ?? []).map((signal) => ({
    entityId: entitySchedulerId(signal.target.name, signal.target.key),
    message: {
      id: newMessageId(),
      kind: 'operation',
      operation: signal.name,
      input: signal.input || undefined,
      signal: true,
    } as EntityMessage,
  }));
}

/** The entity's row after the batch. */
export function nextRecord(
  record: EntityRecord,
  batch: EntityMessage[],
  state: EntityStateWire,
): EntityRecord {
  return {
    ...record,
    exists: state.entityExists ?? record.exists,
    state: state.entityExists === false ? null : (state.entityState ?? null),
    lastOperationTime: isoNow(),
    lastBatch: batch.map((m) => m.id),
  };
}

/** When storage refuses the batch's outcome for good: every call of the batch fails with the reason. */
export function refusedAnswers(record: EntityRecord, batch: EntityMessage[], reason: string): InboxMessage[] {
  return batch
    .filter((m) => !m.signal && m.parent && m.requestId)
    .map((m) =>
      entityAnswer(m, {
        result: JSON.stringify(
          `Operation '${m.operation}' on entity '${record.id}' failed: storage refused the new state: ${reason}`,
        ),
        exceptionType: 'Error',
      }),
    );
}
