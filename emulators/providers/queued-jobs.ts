// Lifecycle of queue-style jobs (fal requests, Replicate predictions) on the clock: each job
// waits its own short queue time, then for a free slot of its account (only running jobs
// count against the concurrency limit; the rest wait, none is refused), runs for its
// duration and ends. A cancel before the start removes it from the queue; a cancel while it
// runs ends it then. Deadlines work the same way: one for the start (fal's
// X-Fal-Request-Timeout, Replicate's Cancel-After before the start) and one for the run.
// The schedule is planned from the submission order, so a cancelled job frees its place for
// the ones behind it; it does not depend on the time of reading, so each account's plan is
// cached until a job is added or cancelled (or the limit changes).
import type { Core, LateFailure, Timing } from './core.js';
import type { InputImage } from './image-fetch.js';

export interface QueuedJob {
  id: string;
  account: string;
  createdMs: number;
  /** Minimum time in the queue (boot/scheduling) before it may start. */
  queueMs: number;
  /** Running time once started. */
  runMs: number;
  /** When the caller cancelled it, if they did (set through JobQueue.cancel). */
  cancelledMs?: number;
  /** Not started by then → it ends then without running (`expired`). */
  startDeadlineMs?: number;
  /** Still running then → it is cancelled then. */
  runDeadlineMs?: number;
  /** Fails (input moderation) as soon as it starts. */
  moderated: boolean;
  lateFailure: LateFailure;
  /** The input image, once fetched and decoded (its average colour starts the video). */
  image?: InputImage;
  /** True while its input image is being fetched: it cannot start before that ends (JobQueue.settle). */
  awaitingInput?: boolean;
  /** Not before then: when its input image arrived (set by JobQueue.settle). */
  readyMs?: number;
}

/** The part of a new job every queue dialect fills alike: created now, 10% of its duration queue
 * (boot) time and the rest running, the prompt checked against the deny list, its late outcome drawn. */
export function newQueuedJob(
  core: Core,
  id: string,
  account: string,
  totalMs: number,
  prompt: string,
): QueuedJob {
  const queueMs = Math.round(totalMs * 0.1);
  return {
    id,
    account,
    createdMs: Date.now(),
    queueMs,
    runMs: totalMs - queueMs,
    moderated: core.denied(prompt),
    lateFailure: core.drawLateFailure(),
  };
}

export type Phase = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'expired';

export interface JobState {
  phase: Phase;
  startedMs: number | null;
  /** When it reached its final phase; null while not final. */
  finishedMs: number | null;
  /** Jobs of the same account submitted earlier and still queued. */
  queuePosition: number;
}

interface Planned {
  startMs: number | null;
  endMs: number;
  outcome: 'succeeded' | 'failed' | 'cancelled' | 'expired';
}

const earliest = (...times: Array<number | undefined>) => Math.min(...times.map((t) => t ?? Infinity));

export class JobQueue<J extends QueuedJob> {
  private readonly byAccount = new Map<string, J[]>();
  private readonly plans = new Map<string, { slots: number; plan: Map<string, Planned> }>();
  readonly all = new Map<string, J>();

  /** `slots` is read on every computation, so the limit can change at runtime. */
  constructor(private readonly slots: () => number) {}

  add(job: J) {
    this.all.set(job.id, job);
    const list = this.byAccount.get(job.account) ?? [];
    list.push(job);
    this.byAccount.set(job.account, list);
    this.plans.delete(job.account);
  }

  /** The job's input has arrived (or failed) at `atMs`: it may start from then on, with what it now says. */
  settle(job: J, atMs = Date.now()) {
    job.awaitingInput = false;
    job.readyMs = atMs;
    this.plans.delete(job.account);
  }

  cancel(job: J, atMs = Date.now()) {
    job.cancelledMs = atMs;
    this.plans.delete(job.account);
  }

  get(id: string): J | undefined {
    return this.all.get(id);
  }

  clear() {
    this.all.clear();
    this.byAccount.clear();
    this.plans.clear();
  }

  private plan(account: string): Map<string, Planned> {
    const slots = Math.max(1, Math.floor(this.slots()));
    const cached = this.plans.get(account);
    if (cached && cached.slots === slots) return cached.plan;
    const plan = this.computePlan(account, slots);
    this.plans.set(account, { slots, plan });
    return plan;
  }

  /** Start and end of every job of the account, in submission order. */
  private computePlan(account: string, slots: number): Map<string, Planned> {
    const jobs = this.byAccount.get(account) ?? [];
    // More slots than jobs never matter, so a large limit costs nothing.
    const slotFree = new Array<number>(Math.min(slots, Math.max(1, jobs.length))).fill(0);
    const planned = new Map<string, Planned>();
    for (const job of jobs) {
      let slot = 0;
      for (let i = 1; i < slotFree.length; i++) if (slotFree[i] < slotFree[slot]) slot = i;
      // A job still waiting for its input image has no start yet (and holds no slot).
      const startMs = job.awaitingInput
        ? Infinity
        : Math.max(job.createdMs + job.queueMs, job.readyMs ?? 0, slotFree[slot]);
      const stopBeforeStart = earliest(job.cancelledMs, job.startDeadlineMs);
      if (stopBeforeStart < startMs) {
        planned.set(job.id, {
          startMs: null,
          endMs: stopBeforeStart,
          outcome: stopBeforeStart === job.cancelledMs ? 'cancelled' : 'expired',
        });
        continue;
      }
      if (startMs === Infinity) {
        planned.set(job.id, { startMs, endMs: Infinity, outcome: 'succeeded' });
        continue;
      }
      // A moderated job is refused as soon as it starts and frees its slot at once.
      let endMs = job.moderated ? startMs : startMs + job.runMs;
      let outcome: Planned['outcome'] = job.moderated || job.lateFailure ? 'failed' : 'succeeded';
      const stopWhileRunning = earliest(job.cancelledMs, job.runDeadlineMs);
      if (stopWhileRunning < endMs) {
        endMs = stopWhileRunning;
        outcome = 'cancelled';
      }
      slotFree[slot] = endMs;
      planned.set(job.id, { startMs, endMs, outcome });
    }
    return planned;
  }

  state(job: J, now = Date.now()): JobState {
    const planned = this.plan(job.account);
    const mine = planned.get(job.id)!;
    const final = now >= mine.endMs;
    let queuePosition = 0;
    if (!final && (mine.startMs === null || now < mine.startMs)) {
      for (const other of this.byAccount.get(job.account) ?? []) {
        if (other === job) break;
        const p = planned.get(other.id)!;
        if (now < p.endMs && (p.startMs === null || now < p.startMs)) queuePosition++;
      }
    }
    const phase: Phase = final
      ? mine.outcome
      : mine.startMs === null || now < mine.startMs
        ? 'queued'
        : 'running';
    return {
      phase,
      startedMs: mine.startMs !== null && now >= mine.startMs ? mine.startMs : null,
      finishedMs: final ? mine.endMs : null,
      queuePosition,
    };
  }

  /** When the job will reach its final phase if nothing else happens (for timing and webhooks). */
  plannedEnd(job: J): number {
    return this.plan(job.account).get(job.id)!.endMs;
  }

  /** The quarters (25, 50, 75 %) of a started job's run reached by `now` and before its end, each with when it was reached: the progress lines of runner logs. */
  quartersReached(job: J, state: JobState, now: number): Array<{ quarter: number; ms: number }> {
    if (state.startedMs === null) return [];
    const startedMs = state.startedMs;
    const end = state.finishedMs ?? this.plannedEnd(job);
    return [25, 50, 75]
      .map((quarter) => ({ quarter, ms: startedMs + ((end - startedMs) * quarter) / 100 }))
      .filter(({ ms }) => ms <= now && (state.finishedMs === null || ms < state.finishedMs));
  }

  /** Exact timing for GET /_admin/jobs/{id}, the status in the dialect's own words; undefined for an id not in this queue. */
  timing(id: string, publicStatus: (state: JobState) => string): Timing | undefined {
    const job = this.get(id);
    if (!job) return undefined;
    const state = this.state(job);
    const end = state.finishedMs ?? this.plannedEnd(job);
    return {
      id,
      createdAtMs: job.createdMs,
      durationMs: end - job.createdMs,
      finishedAtMs: state.finishedMs,
      status: publicStatus(state),
      phase: state.phase,
      image: job.image ?? null,
    };
  }

  /** Jobs not yet final, per `keyOf` (e.g. model), for stats. */
  runningBy(keyOf: (job: J) => string, now = Date.now()): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const account of this.byAccount.keys()) {
      const planned = this.plan(account);
      for (const job of this.byAccount.get(account)!) {
        if (now < planned.get(job.id)!.endMs) counts[keyOf(job)] = (counts[keyOf(job)] ?? 0) + 1;
      }
    }
    return counts;
  }
}
