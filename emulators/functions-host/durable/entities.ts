// Durable entities, as the durable-functions v3 SDK drives them: each entity ('@name@key')
// has a state row and an inbox of messages (operations, lock requests, lock releases).
// One batch per entity runs at a time, messages in arrival order, through the app's own
// entity function (input {self, exists, state, batch}, answer EntityState {entityExists,
// entityState, results, signals}). Answers to orchestrations travel as EventRaised events
// named by the request id, which is how the SDK matches them (schema V2+).
import type { FunctionRegistry } from '../core-api.js';
import { fromTypedData, triggerBinding, type Invoker } from '../invoke.js';
import type { HostLog } from '../log.js';
import {
  batchAnswers,
  batchInput,
  entityAnswer,
  nextRecord,
  outgoingSignals,
  refusedAnswers,
  unchangedState,
  type EntityStateWire,
} from './entity-batch.js';
import { parseEntityId, type EntityMessage, type EntityRecord } from './entity-model.js';
import { isPermanent } from './failure-policy.js';
import { isoNow, newMessageId, type InboxMessage } from './model.js';
import { ReadyQueue } from './ready-queue.js';
import type { DurableStore } from './store.js';

/** What a batch sends: answers to orchestrations, signals and lock requests to entities. */
interface Outbox {
  answers: InboxMessage[];
  signals: { entityId: string; message: EntityMessage }[];
}

const MAX_BATCH = 100;

export interface EntitySchedulerOptions {
  store: DurableStore;
  registry: FunctionRegistry;
  invoker: Invoker;
  log: HostLog;
  /** Hands an answer (already stored) to the orchestration engine. */
  deliverToOrchestration(message: InboxMessage): void;
}

interface LiveEntity {
  record: EntityRecord;
  inbox: EntityMessage[];
  /**
   * Ids of messages already run (the most recent ones). A sender writes a message, then
   * notifies; a load in between can read and run it first, and the late notification must
   * not run it again.
   */
  consumed: Set<string>;
}

const REMEMBERED_MESSAGES = 10_000;

export class EntityScheduler {
  readonly #options: EntitySchedulerOptions;
  readonly #live = new Map<string, LiveEntity>();
  readonly #loading = new Map<string, Promise<LiveEntity>>();
  readonly #queue = new ReadyQueue({ step: (id) => this.#runStep(id), yieldBetweenSteps: true });

  constructor(options: EntitySchedulerOptions) {
    this.#options = options;
  }

  isEntityFunction(name: string): boolean {
    return triggerBinding(this.#options.registry.byName(name))?.type === 'entityTrigger';
  }

  /** Wakes every entity that has undelivered messages in storage (after a restart). */
  async recover(): Promise<number> {
    const ids = await this.#options.store.entityIdsWithMessages();
    for (const id of ids) this.#wake(id);
    return ids.length;
  }

  /** Stores a message for an entity and schedules it (a client signal or an orchestration's send). */
  async send(entityId: string, message: EntityMessage): Promise<void> {
    await this.#options.store.addEntityMessage(entityId, message);
    this.notify(entityId, message);
  }

  /**
   * A message already in storage: add it to the loaded inbox and wake the entity. A load in
   * flight may have read the inbox before the message was written, so it is added once that
   * load ends too (duplicates are skipped by id).
   */
  notify(entityId: string, message: EntityMessage): void {
    const add = (live: LiveEntity) => {
      if (!live.consumed.has(message.id) && !live.inbox.some((m) => m.id === message.id))
        live.inbox.push(message);
    };
    const live = this.#live.get(entityId);
    if (live) add(live);
    else {
      this.#loading.get(entityId)?.then(
        (loaded) => {
          add(loaded);
          this.#wake(entityId);
        },
        () => undefined,
      );
    }
    this.#wake(entityId);
  }

  async get(entityId: string): Promise<EntityRecord | undefined> {
    const live = this.#live.get(entityId);
    if (live) return { ...live.record };
    return this.#options.store.getEntity(entityId);
  }

  /**
   * Messages that have reached the entity and not been run or dropped yet (a redelivered one a
   * committed batch already ran counts until the next step drops it), and who holds its lock.
   * Zero means no operation is left to run, which is how a caller knows that none will run late.
   */
  async backlog(entityId: string): Promise<{ messages: number; lockedBy: string | null }> {
    const live = this.#live.get(entityId) ?? (await this.#loading.get(entityId));
    if (live) return { messages: live.inbox.length, lockedBy: live.record.lockedBy };
    const [messages, record] = await Promise.all([
      this.#options.store.readEntityMessages(entityId),
      this.#options.store.getEntity(entityId),
    ]);
    return { messages: messages.length, lockedBy: record?.lockedBy ?? null };
  }

  /** Entities of one name (all when no name) as committed, sorted by id. */
  list(name?: string): Promise<EntityRecord[]> {
    return this.#options.store.listEntities(name);
  }

  whenIdle(): Promise<void> {
    return this.#queue.whenIdle();
  }

  stop(): void {
    this.#queue.stop();
  }

  #wake(entityId: string): void {
    this.#queue.wake(entityId);
  }

  /** One step; a batch that fails is reloaded from what was committed and runs again a second later. */
  #runStep(id: string): Promise<boolean> {
    return this.#step(id).catch((error: unknown) => {
      this.#options.log.error(
        `Entity '${id}': a batch failed and will run again: ${(error as Error).stack ?? String(error)}`,
      );
      this.#live.delete(id); // reload from what was committed
      setTimeout(() => this.#wake(id), 1000).unref();
      return false;
    });
  }

  async #load(entityId: string): Promise<LiveEntity> {
    const cached = this.#live.get(entityId);
    if (cached) return cached;
    let pending = this.#loading.get(entityId);
    if (!pending) {
      pending = (async () => {
        const { name, key } = parseEntityId(entityId);
        const record = (await this.#options.store.getEntity(entityId)) ?? {
          id: entityId,
          name,
          key,
          exists: false,
          state: null,
          lockedBy: null,
          lastOperationTime: isoNow(),
          lastBatch: [],
        };
        const inbox = await this.#options.store.readEntityMessages(entityId);
        const live = this.#live.get(entityId) ?? { record, inbox, consumed: new Set<string>() };
        this.#live.set(entityId, live);
        return live;
      })().finally(() => this.#loading.delete(entityId));
      this.#loading.set(entityId, pending);
    }
    return pending;
  }

  /**
   * One step: the next lock/release message, or the next run of operations, among the
   * messages that may run now (while locked, only the lock holder's). True when more wait.
   */
  async #step(entityId: string): Promise<boolean> {
    const live = await this.#load(entityId);
    const { record } = live;
    const stale = new Set(record.lastBatch);
    const queue = live.inbox.filter((m) => !stale.has(m.id)).sort((a, b) => (a.id < b.id ? -1 : 1));
    const dropped = live.inbox.filter((m) => stale.has(m.id)).map((m) => m.id);
    const eligible = queue.filter((m) => record.lockedBy === null || m.parent === record.lockedBy);
    if (eligible.length === 0) {
      if (dropped.length > 0) await this.#commit(live, { ...record }, dropped);
      return false;
    }
    const first = eligible[0];
    if (first.kind !== 'operation') {
      await this.#control(live, first, dropped);
    } else {
      const batch: EntityMessage[] = [];
      for (const message of eligible) {
        if (message.kind !== 'operation' || batch.length >= MAX_BATCH) break;
        batch.push(message);
      }
      await this.#operations(live, batch, dropped);
    }
    const left = live.inbox.filter((m) => live.record.lockedBy === null || m.parent === live.record.lockedBy);
    return left.length > 0;
  }

  /** Lock: take it and pass the request on to the next entity of the set, or answer the orchestration. Release: let go. */
  async #control(live: LiveEntity, message: EntityMessage, dropped: string[]): Promise<void> {
    const record: EntityRecord = { ...live.record, lastBatch: [message.id], lastOperationTime: isoNow() };
    if (message.kind === 'release') {
      if (record.lockedBy === message.parent) record.lockedBy = null;
      await this.#commit(live, record, [...dropped, message.id]);
      return;
    }
    record.lockedBy = message.parent ?? null;
    const lockSet = message.lockSet ?? [];
    const next = (message.position ?? 0) + 1;
    const outbox: Outbox =
      next < lockSet.length
        ? {
            answers: [],
            signals: [
              { entityId: lockSet[next], message: { ...message, id: newMessageId(), position: next } },
            ],
          }
        : {
            answers: [entityAnswer(message, { result: JSON.stringify('Lock Acquisition Completed') })],
            signals: [],
          };
    await this.#store(outbox);
    await this.#commit(live, record, [...dropped, message.id]);
    this.#handOver(outbox);
  }

  /** A run of operations through the app's entity function; its answers and signals go out once it commits. */
  async #operations(live: LiveEntity, batch: EntityMessage[], dropped: string[]): Promise<void> {
    const { record } = live;
    const { state, failure } = await this.#invoke(record, batch);
    const consumed = [...dropped, ...batch.map((m) => m.id)];
    if (failure !== undefined) this.#options.log.error(`Entity '${record.id}': ${failure}`);
    // Answers and signals are stored before the entity row commits (a crash in between sends
    // them again with the batch), and handed over after it.
    const outbox: Outbox = {
      answers: batchAnswers(record, batch, state, failure),
      signals: outgoingSignals(state),
    };
    await this.#store(outbox);
    try {
      await this.#commit(live, nextRecord(record, batch, state), consumed);
    } catch (error) {
      if (!isPermanent(error)) throw error;
      return this.#refused(live, batch, consumed, outbox, error);
    }
    this.#handOver(outbox);
  }

  /** Runs the batch through the entity function; `failure` when it threw or there is no such entity function. */
  async #invoke(
    record: EntityRecord,
    batch: EntityMessage[],
  ): Promise<{ state: EntityStateWire; failure?: string }> {
    const fn = this.#options.registry.byName(record.name);
    const trigger = triggerBinding(fn);
    if (!fn || trigger?.type !== 'entityTrigger') {
      const failure = `The function '${record.name}' doesn't exist, is disabled, or is not an entity function.`;
      return { state: unchangedState(record), failure };
    }
    const outcome = await this.#options.invoker.invoke(fn, {
      inputData: [{ name: trigger.name, data: { json: JSON.stringify(batchInput(record, batch)) } }],
      triggerMetadata: { entityId: { string: record.id } },
    });
    if (!outcome.ok) return { state: unchangedState(record), failure: outcome.error.message };
    const value = fromTypedData(outcome.response.returnValue);
    return { state: (typeof value === 'string' ? JSON.parse(value) : value) as EntityStateWire };
  }

  /**
   * Storage will not take this batch's outcome (a state over the 1 MB row limit): what it
   * would have sent is taken back, the operations fail, the entity keeps its previous state.
   */
  async #refused(
    live: LiveEntity,
    batch: EntityMessage[],
    consumed: string[],
    outbox: Outbox,
    error: unknown,
  ): Promise<void> {
    const { record } = live;
    await this.#unstore(outbox);
    const reason = (error as Error).message.split('\n')[0];
    this.#options.log.error(
      `Entity '${record.id}': storage refused the outcome of ${batch.length} operation(s), which fail: ${reason}`,
    );
    const refused: Outbox = { answers: refusedAnswers(record, batch, reason), signals: [] };
    await this.#store(refused);
    await this.#commit(
      live,
      { ...record, lastOperationTime: isoNow(), lastBatch: batch.map((m) => m.id) },
      consumed,
    );
    this.#handOver(refused);
  }

  /** The entity row is the commit point; consumed messages are deleted after it. */
  async #commit(live: LiveEntity, record: EntityRecord, consumed: string[]): Promise<void> {
    await this.#options.store.saveEntity(record, consumed);
    live.record = record;
    const gone = new Set(consumed);
    live.inbox = live.inbox.filter((m) => !gone.has(m.id));
    for (const id of consumed) live.consumed.add(id);
    // A Set iterates in insertion order: forget the oldest first.
    for (const id of live.consumed) {
      if (live.consumed.size <= REMEMBERED_MESSAGES) break;
      live.consumed.delete(id);
    }
  }

  async #store(outbox: Outbox): Promise<void> {
    for (const answer of outbox.answers) await this.#options.store.addMessage(answer);
    for (const { entityId, message } of outbox.signals)
      await this.#options.store.addEntityMessage(entityId, message);
  }

  async #unstore(outbox: Outbox): Promise<void> {
    for (const answer of outbox.answers)
      await this.#options.store.deleteMessage(answer.instanceId, answer.id);
    for (const { entityId, message } of outbox.signals)
      await this.#options.store.deleteMessage(entityId, message.id);
  }

  #handOver(outbox: Outbox): void {
    for (const answer of outbox.answers) this.#options.deliverToOrchestration(answer);
    for (const { entityId, message } of outbox.signals) this.notify(entityId, message);
  }
}
