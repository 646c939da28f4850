// Durable timers in memory: each armed timer wakes its instance when its fireAt has passed.
// The history is the record of every timer; after a restart they are armed again from it.

/** Timers beyond this would overflow setTimeout; they are re-armed when this elapses. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export class DurableTimers {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #due: (instanceId: string) => void;
  #stopped = false;

  constructor(due: (instanceId: string) => void) {
    this.#due = due;
  }

  /** Arms a timer (nothing when it is armed already). */
  arm(instanceId: string, timerId: number, fireAt: string): void {
    const key = `${instanceId}\u0000${timerId}`;
    if (this.#timers.has(key) || this.#stopped) return;
    const delay = Math.max(0, Date.parse(fireAt) - Date.now());
    const handle = setTimeout(
      () => {
        this.#timers.delete(key);
        // setTimeout may fire a millisecond before Date.now() reaches fireAt (and long timers
        // are split): an episode would then find the timer not due and never see it again.
        if (Date.now() < Date.parse(fireAt)) this.arm(instanceId, timerId, fireAt);
        else this.#due(instanceId);
      },
      Math.min(delay, MAX_TIMEOUT_MS),
    );
    this.#timers.set(key, handle);
  }

  disarm(instanceId: string, timerId: number): void {
    const key = `${instanceId}\u0000${timerId}`;
    clearTimeout(this.#timers.get(key));
    this.#timers.delete(key);
  }

  /** Disarms every timer of an instance's outstanding tasks (it ended). */
  disarmAll(instanceId: string, scheduled: Map<number, { kind: string }>): void {
    for (const [id, task] of scheduled) if (task.kind === 'timer') this.disarm(instanceId, id);
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
