// The instances the engine holds in memory, loaded from the store on demand and committed
// back through it. Results the host can re-derive after a crash (activity results, finished
// children) are kept only here ("volatile"); while storage cannot be read they wait as
// orphans until their instance loads again (see README, "Durability").
import type { HostLog } from '../log.js';
import type { EntityMessage } from './entity-model.js';
import { STORAGE_RECHECK_MS, storageReason } from './failure-policy.js';
import type { HistoryEvent, InboxMessage, InstanceRecord } from './model.js';
import { analyze, type LiveInstance } from './replay-state.js';
import type { DurableStore } from './store.js';

export interface CommitExtra {
  addedMessages?: InboxMessage[];
  /** continueAsNew: the execution whose history the new one replaces. */
  previousExecutionId?: string;
  entityMessages?: { entityId: string; message: EntityMessage }[];
}

export class LiveInstances {
  readonly #store: DurableStore;
  readonly #log: HostLog;
  /** Called a while after a message was orphaned, to try loading its instance again. */
  readonly #retryOrphans: (instanceId: string) => void;
  readonly #live = new Map<string, LiveInstance>();
  readonly #loading = new Map<string, Promise<LiveInstance | undefined>>();
  /** Ids of inbox messages held only in memory. */
  readonly #volatile = new Set<string>();
  /** Messages for an instance that cannot be loaded now (storage down): kept in memory until it can. */
  readonly #orphans = new Map<string, InboxMessage[]>();

  constructor(store: DurableStore, log: HostLog, retryOrphans: (instanceId: string) => void) {
    this.#store = store;
    this.#log = log;
    this.#retryOrphans = retryOrphans;
  }

  get(instanceId: string): LiveInstance | undefined {
    return this.#live.get(instanceId);
  }

  set(live: LiveInstance): void {
    this.#live.set(live.record.instanceId, live);
  }

  /** Forgets what memory holds of an instance: the next load reads what was committed. */
  drop(instanceId: string): void {
    this.#live.delete(instanceId);
  }

  async load(instanceId: string): Promise<LiveInstance | undefined> {
    const cached = this.#live.get(instanceId);
    if (cached) return cached;
    let pending = this.#loading.get(instanceId);
    if (!pending) {
      pending = (async () => {
        const record = await this.#store.getInstance(instanceId);
        if (!record) return undefined;
        const [history, inbox] = await Promise.all([
          this.#store.readHistory(record),
          this.#store.readMessages(instanceId),
        ]);
        const live = analyze(record, history, inbox);
        if (!this.#live.has(instanceId)) this.#live.set(instanceId, live);
        return this.#live.get(instanceId);
      })().finally(() => this.#loading.delete(instanceId));
      this.#loading.set(instanceId, pending);
    }
    return pending;
  }

  /** A message already in storage: into the loaded inbox, or into the one a load in flight is reading (it may have missed it). */
  acceptStored(message: InboxMessage, wake: () => void): void {
    const add = (live: LiveInstance | undefined) => {
      if (live && !live.inbox.some((m) => m.id === message.id)) live.inbox.push(message);
    };
    const live = this.#live.get(message.instanceId);
    if (live) add(live);
    else {
      this.#loading.get(message.instanceId)?.then(
        (loaded) => {
          add(loaded);
          wake();
        },
        () => undefined,
      );
    }
  }

  /** Lets go of a finished instance once nothing waits for it. */
  evict(live: LiveInstance): void {
    if (this.#live.get(live.record.instanceId) === live && live.inbox.length === 0)
      this.#live.delete(live.record.instanceId);
  }

  /**
   * Queues a result for an instance (if it still exists) in memory only: true when queued.
   * While storage cannot be read it waits as an orphan.
   */
  async deliver(message: InboxMessage): Promise<boolean> {
    let live: LiveInstance | undefined;
    try {
      live = await this.load(message.instanceId);
    } catch (error) {
      this.#volatile.add(message.id);
      this.#log.error(
        `Instance '${message.instanceId}' cannot be loaded now; its result waits in memory: ${storageReason(error)}`,
      );
      this.orphan(message);
      return false;
    }
    if (!live) return false;
    this.#volatile.add(message.id);
    live.inbox.push(message);
    return true;
  }

  /**
   * The episode's commit: history rows, then the instance row (the commit point), then the
   * consumed messages that are in storage are deleted. Memory follows once storage has it.
   */
  async commit(
    live: LiveInstance,
    record: InstanceRecord,
    events: HistoryEvent[],
    consumed: string[],
    extra?: CommitExtra,
  ): Promise<void> {
    const fromIndex = extra?.previousExecutionId ? 0 : live.history.length;
    const committed: InstanceRecord = { ...record, historyLength: fromIndex + events.length };
    await this.#store.commit({
      record: committed,
      fromIndex,
      newEvents: events,
      consumedMessageIds: consumed.filter((id) => !this.#volatile.has(id)),
      ...extra,
    });
    for (const id of consumed) this.#volatile.delete(id);
    live.record = committed;
    live.history = extra?.previousExecutionId ? [...events] : [...live.history, ...events];
    for (const event of events) if (event.MessageId) live.consumedMessageIds.add(event.MessageId);
    const consumedSet = new Set(consumed);
    live.inbox = [...live.inbox.filter((m) => !consumedSet.has(m.id)), ...(extra?.addedMessages ?? [])];
  }

  /** After a failed episode: results held only in memory survive the reload as orphans. */
  keepVolatile(live: LiveInstance | undefined): void {
    for (const message of live?.inbox ?? []) if (this.#volatile.has(message.id)) this.orphan(message, false);
  }

  orphan(message: InboxMessage, retry = true): void {
    const list = this.#orphans.get(message.instanceId) ?? [];
    if (!list.some((m) => m.id === message.id)) list.push(message);
    this.#orphans.set(message.instanceId, list);
    if (retry) setTimeout(() => this.#retryOrphans(message.instanceId), STORAGE_RECHECK_MS).unref();
  }

  /** Hands an instance, once loaded, the orphans that wait for it. */
  adoptOrphans(instanceId: string): void {
    const orphans = this.#orphans.get(instanceId);
    const live = this.#live.get(instanceId);
    if (!orphans || !live) return;
    this.#orphans.delete(instanceId);
    const known = new Set(live.inbox.map((m) => m.id));
    for (const message of orphans)
      if (!known.has(message.id) && !live.consumedMessageIds.has(message.id)) live.inbox.push(message);
  }
}
