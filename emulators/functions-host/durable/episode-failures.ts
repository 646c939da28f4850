// Carries out what failure-policy.ts decides after an episode throws (in practice: storage
// refused or dropped a write). What the episode changed in memory is thrown away and the
// instance is reloaded from what was committed; the episode runs again after a pause, or
// the instance fails with the reason: never Running in silence (see README, "Durability").
import type { HostLog } from '../log.js';
import { afterEpisodeFailure, STORAGE_RECHECK_MS, storageReason } from './failure-policy.js';
import type { LiveInstances } from './live-instances.js';
import { isoNow, terminalStatuses, type InstanceRecord } from './model.js';
import type { LiveInstance } from './replay-state.js';
import type { DurableStore } from './store.js';

export interface EpisodeFailuresOptions {
  store: DurableStore;
  log: HostLog;
  live: LiveInstances;
  stopped(): boolean;
  /** One episode of the instance (it throws when it could not commit). */
  episode(instanceId: string): Promise<void>;
  /** Starts the work that tasks scheduled at history index `fromIndex` or later still wait for. */
  resumeOutstanding(live: LiveInstance, fromIndex: number): Promise<void>;
  wake(instanceId: string): void;
  /** After an execution's end is committed (locks, timers, parent, memory). */
  ended(live: LiveInstance): Promise<void>;
}

export class EpisodeFailures {
  readonly #options: EpisodeFailuresOptions;
  /** Consecutive failed episodes per instance (storage refusing or unreachable). */
  readonly #failures = new Map<string, number>();

  constructor(options: EpisodeFailuresOptions) {
    this.#options = options;
  }

  /** One episode; a failed one goes to the failure policy. */
  async run(instanceId: string): Promise<void> {
    const before = this.#options.live.get(instanceId);
    const committedLength = before?.history.length ?? 0;
    await this.#options
      .episode(instanceId)
      .then(
        () => this.#failures.delete(instanceId),
        (error: unknown) => this.#failed(instanceId, before, committedLength, error),
      )
      .catch((error: unknown) =>
        this.#options.log.error(
          `Durable host error while recovering instance '${instanceId}': ${(error as Error).stack ?? String(error)}`,
        ),
      );
  }

  async #failed(
    instanceId: string,
    before: LiveInstance | undefined,
    committedLength: number,
    error: unknown,
  ): Promise<void> {
    const { live, log } = this.#options;
    const failures = (this.#failures.get(instanceId) ?? 0) + 1;
    this.#failures.set(instanceId, failures);
    live.keepVolatile(live.get(instanceId) ?? before);
    live.drop(instanceId);
    const next = afterEpisodeFailure(error, failures);
    if (next.fail) {
      log.error(
        `Instance '${instanceId}': episode failed ${failures} time(s); failing the instance: ${next.reason}`,
      );
      return this.#failInstance(instanceId, next.reason);
    }
    log.error(
      `Instance '${instanceId}': episode failed (attempt ${failures}); trying again in ${next.delayMs} ms: ${next.reason}`,
    );
    setTimeout(() => void this.resume(instanceId, committedLength), next.delayMs).unref();
  }

  /** Reloads what was committed and runs the instance again; while storage cannot be read, tries again later. */
  async resume(instanceId: string, committedLength: number): Promise<void> {
    if (this.#options.stopped()) return;
    try {
      const live = await this.#options.live.load(instanceId);
      if (!live) return;
      // The failed commit may have gone as far as the instance row: start what it scheduled.
      if (live.history.length > committedLength) await this.#options.resumeOutstanding(live, committedLength);
      this.#options.live.adoptOrphans(instanceId);
      this.#options.wake(instanceId);
    } catch (error) {
      this.#options.log.error(
        `Instance '${instanceId}': storage still cannot be read; trying again in ${STORAGE_RECHECK_MS} ms: ${storageReason(error)}`,
      );
      setTimeout(() => void this.resume(instanceId, committedLength), STORAGE_RECHECK_MS).unref();
    }
  }

  /** Fails an instance by its row alone: the history that storage refused is not written. */
  async #failInstance(instanceId: string, reason: string): Promise<void> {
    if (this.#options.stopped()) return;
    try {
      const live = await this.#options.live.load(instanceId);
      if (!live || terminalStatuses.has(live.record.runtimeStatus)) return;
      const now = isoNow();
      const failed: InstanceRecord = {
        ...live.record,
        runtimeStatus: 'Failed',
        lastUpdatedTime: now,
        completedTime: now,
        output: JSON.stringify(`Orchestrator function '${live.record.name}' failed: ${reason}`),
      };
      await this.#options.store.saveInstance(failed);
      live.record = failed;
      this.#failures.delete(instanceId);
      await this.#options.ended(live);
    } catch (error) {
      this.#options.log.error(
        `Instance '${instanceId}': could not record its failure yet; trying again in ${STORAGE_RECHECK_MS} ms: ${storageReason(error)}`,
      );
      setTimeout(() => void this.#failInstance(instanceId, reason), STORAGE_RECHECK_MS).unref();
    }
  }
}
