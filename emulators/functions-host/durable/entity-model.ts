// What a durable entity is in storage and in messages: its row, the messages of its inbox,
// and its scheduler id ('@' + lower-cased name + '@' + key), which partitions both.

/** What an entity keeps between batches. */
export interface EntityRecord {
  /** Scheduler id: '@' + lower-cased name + '@' + key. */
  id: string;
  name: string;
  key: string;
  exists: boolean;
  /** JSON text of the state, as the SDK hands it over. */
  state: string | null;
  /** The orchestration instance holding this entity in a critical section. */
  lockedBy: string | null;
  lastOperationTime: string;
  /** Messages the last committed batch consumed: dropped if a crash redelivers them. */
  lastBatch: string[];
}

/** One message to an entity (a row of the inbox whose partition is the entity id). */
export interface EntityMessage {
  id: string;
  kind: 'operation' | 'lock' | 'release';
  operation?: string;
  /** JSON text (or undefined for no input). */
  input?: string;
  signal?: boolean;
  /** The request id an answer is named by (calls and lock requests). */
  requestId?: string;
  /** The orchestration that sent it (calls, locks, releases). */
  parent?: string;
  parentExecutionId?: string;
  /** Lock requests: every entity of the critical section, sorted, and which one this is. */
  lockSet?: string[];
  position?: number;
}

export function entitySchedulerId(name: string, key: string): string {
  return `@${name.toLowerCase()}@${key}`;
}

export function parseEntityId(id: string): { name: string; key: string } {
  const at = id.indexOf('@', 1);
  return { name: id.slice(1, at), key: id.slice(at + 1) };
}
