// The ready-queue both durable schedulers run on: the engine (one episode per orchestration
// instance at a time) and the entity scheduler (one batch per entity at a time). An id that
// is woken while its step runs runs again after it; ids wait in the order they were woken.
// Waking goes through setImmediate, not a microtask: a burst of instant work must not starve
// the HTTP server.

export interface ReadyQueueOptions {
  /** One step for `id`. Resolves true when the id should run again; must not reject. */
  step(id: string): Promise<boolean | void>;
  /** Steps running at once (default: no limit). */
  maxRunning?: number;
  /**
   * Start the next steps in a later turn of the event loop rather than at once. A store that
   * answers without I/O (memory) would otherwise run one id's steps back to back unbroken.
   */
  yieldBetweenSteps?: boolean;
  /** Other work whenIdle waits for too (the engine's activities). */
  otherWorkIdle?(): boolean;
}

export class ReadyQueue {
  readonly #options: ReadyQueueOptions;
  readonly #ready = new Set<string>();
  readonly #running = new Set<string>();
  readonly #idle = new Set<() => void>();
  #stopped = false;

  constructor(options: ReadyQueueOptions) {
    this.#options = options;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Queues a step for `id` (one more, if it is running now). */
  wake(id: string): void {
    if (this.#stopped) return;
    this.#ready.add(id);
    setImmediate(() => this.#pump());
  }

  /** From inside a step: run `id` again once this step ends. */
  again(id: string): void {
    this.#ready.add(id);
  }

  isIdle(): boolean {
    return this.#ready.size === 0 && this.#running.size === 0 && (this.#options.otherWorkIdle?.() ?? true);
  }

  /** Resolves when no step is queued or running (and the other work is idle). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.add(resolve));
  }

  /** Resolves the whenIdle waiters if everything is idle now (the other work calls it when it settles). */
  checkIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.#idle) resolve();
    this.#idle.clear();
  }

  stop(): void {
    this.#stopped = true;
  }

  #pump(): void {
    const max = this.#options.maxRunning ?? Infinity;
    for (const id of [...this.#ready]) {
      if (this.#running.size >= max) return;
      if (this.#running.has(id)) continue;
      this.#ready.delete(id);
      this.#running.add(id);
      this.#options
        .step(id)
        .then((more) => {
          if (more) this.#ready.add(id);
        })
        .finally(() => {
          this.#running.delete(id);
          if (this.#options.yieldBetweenSteps && this.#ready.size > 0) setImmediate(() => this.#pump());
          else this.#pump();
        });
    }
    this.checkIdle();
  }
}
