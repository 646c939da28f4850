// The line of one provider account, as pure rules: who waits (first come, first served, by
// arrival time), who holds a running slot, and the create tokens. The admission entity
// (admission-entity.ts) keeps this state; its callers pass the time in (an entity has no clock
// of its own; orchestrations pass their replay-safe one), and it only ever moves forward.
//
// Nothing can hold a place for ever: a waiter that stops asking is dropped from the line after
// its lease (and put back at its arrival place when it asks again: a restarted host's waiters
// keep their order), and a slot is held at most until the request's deadline (a job still
// running at the provider then counts against the account anyway; its orchestrator cancels it
// at the deadline). docs/admission.md explains the protocol.
import type { AdmissionLimits } from '../providers/capabilities.js';

export interface Waiter {
  id: string;
  /** When the request first asked (its place in line), ms. */
  arrivedAt: number;
  /** Dropped from the line after this unless it asks again, ms. */
  leaseUntil: number;
}

export interface Holder {
  id: string;
  admittedAt: number;
  /** The UTC day of its admission (its usage's day). */
  day?: string;
  /** The slot is freed at this time even if never released, ms. */
  leaseUntil: number;
  /** Its create has not answered yet: the provider may take it at any moment, so it counts
   * against the create rate until its answer (`created`) says when it was taken at the latest. */
  pending?: boolean;
  /** The estimate reserved against the day's budget at admission (given back if no job is made). */
  costUsd?: number;
}

export interface LineState {
  /** The latest time any caller passed, ms. */
  clock: number;
  waiting: Waiter[];
  running: Holder[];
  /** The create rate as a generic cell rate: the theoretical time of the next create, ms, from
   * when each create was answered (the provider took it by then), so creates the line spaced
   * by the rate reach the provider at least that far apart whatever their send delays. */
  rateTat?: number;
  /** The limits the last ask carried (to tell whom a freed slot or token goes to). */
  limits?: AdmissionLimits;
  /** Every admission so far, oldest first (the last 200), for tests and diagnosis. */
  admitted: string[];
  /** After a 429 the account still got (it is shared with other clients): the share of the
   * limits in force right after the last cut, when it was cut, and no admission before
   * pausedUntil. The share grows back linearly to 1 over RECOVERY_MS. */
  backoff?: { share: number; cutAt: number; pausedUntil: number };
  /** What the account was used for, per UTC day (YYYY-MM-DD) of admission: the budget's ledger
   * and GET /api/usage's source. */
  usage?: Record<string, DayUsage>;
  /** Runs that gave their turn back, kept a while: a cancelled run's orchestration may still
   * ask once before its termination lands, and must not take a slot then. */
  released: { run: string; until: number }[];
}

/** One UTC day of an account. `requests`: the requests started; `jobs`: the creates the
 * provider accepted (a request cancelled or refused before its create makes none); `seconds`:
 * video delivered; `usd`: the estimates of the requests admitted (or, ungoverned, created) that
 * day, each replaced by its delivered cost once it completed, and given back when no job was
 * made. */
export interface DayUsage {
  requests: number;
  jobs: number;
  seconds: number;
  usd: number;
  refusedByBudget: number;
}

export interface AdmitAsk {
  instanceId: string;
  /** The run (GenerateVideoInput.runId), when it has one. */
  runId?: string;
  arrivedAt: number;
  now: number;
  limits: AdmissionLimits;
  /** How long the line keeps a waiter that stops asking, ms. */
  waitLeaseMs: number;
  /** When an admitted request's slot is freed at the latest, ms (its deadline). */
  holdUntil: number;
  /** The request's estimated cost, counted against the day's budget when it is admitted. */
  costUsd?: number;
}

/** What holds the request back: every running slot is taken, the create rate, or (both free)
 * the requests ahead of it, whose turn comes first. */
export interface DeliveredInput {
  now: number;
  /** The request's usage day (its admission's, or its create's when ungoverned). */
  day: string;
  estimatedUsd: number;
  seconds: number;
  usd: number;
}

/** A request started (counted on its day, whether it ever makes a job or not). */
export interface RequestedInput {
  now: number;
}

/** The provider accepted the request's create (its answer came at `now`): one upstream job on
 * `day`. An ungoverned request's estimate is counted here (a governed one's at admission). */
export interface CreatedInput {
  instanceId: string;
  now: number;
  day: string;
  costUsd?: number;
}

export interface ThrottledInput {
  now: number;
  /** How long the provider asked to wait (0 when it did not say). */
  retryAfterMs: number;
}

export interface EnqueueInput {
  instanceId: string;
  runId?: string;
  arrivedAt: number;
  now: number;
  waitLeaseMs: number;
}

export type WaitReason = 'running-jobs' | 'create-rate' | 'in-line';

export type AdmissionAnswer =
  | { state: 'admitted'; day?: string }
  /** Its estimate would cross the day's budget: it leaves the line; the budget resets at resetAt. */
  | { state: 'over-budget'; budgetUsd: number; spentUsd: number; resetAt: string }
  /** This run gave its turn back already (it was cancelled): it must not go on. */
  | { state: 'released' }
  | {
      state: 'waiting';
      /** 1 = next in line. */
      position: number;
      ahead: number;
      reason: WaitReason;
      /** When a create token is due (reason create-rate, next in line), ms. */
      retryAt?: number;
    };

/** The line's pace is kept this far under the published rate (clock skew, a vendor's window
 * that is not an exact bucket). Send delays need no margin: creates are spaced from when the
 * previous one was answered. */
const RATE_MARGIN = 0.98;
/** A create that never answers (its host died mid-call) stops holding the rate after this: it is
 * counted as taken then. */
const PENDING_MAX_MS = 2 * 60_000;
const ADMITTED_KEPT = 200;
const RELEASED_KEPT_MS = 15 * 60_000;

/** A 429 halves the account's limits (never below a tenth, nor under one running job); they
 * grow back over ten minutes without one. 429s within CUT_GAP_MS of a cut are one event (a
 * burst of refused creates must not collapse the limits). */
const MIN_SHARE = 0.1;
const RECOVERY_MS = 10 * 60_000;
const CUT_GAP_MS = 2_000;

/** The UTC day of a time, and the next midnight (when a daily budget resets). */
export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
export const nextUtcMidnight = (ms: number) =>
  new Date((Math.floor(ms / 86_400_000) + 1) * 86_400_000).toISOString();
const DAYS_KEPT = 400;
const cents = (usd: number) => Math.round(usd * 100) / 100;
const emptyDay = (): DayUsage => ({ requests: 0, jobs: 0, seconds: 0, usd: 0, refusedByBudget: 0 });

/** The ledger with `change` applied to `day` (the oldest days beyond DAYS_KEPT dropped). */
function withDay(state: LineState, day: string, change: (usage: DayUsage) => DayUsage): LineState {
  const usage = { ...(state.usage ?? {}), [day]: change(state.usage?.[day] ?? emptyDay()) };
  const days = Object.keys(usage).sort();
  for (const old of days.slice(0, Math.max(0, days.length - DAYS_KEPT))) delete usage[old];
  return { ...state, usage };
}

/** Whether `costUsd` more would cross the day's budget; the refusal when it would. */
export function overBudget(
  state: LineState,
  budgetUsd: number | undefined,
  costUsd: number,
  now: number,
): { budgetUsd: number; spentUsd: number; resetAt: string } | undefined {
  if (budgetUsd === undefined) return undefined;
  const spentUsd = state.usage?.[utcDay(now)]?.usd ?? 0;
  return spentUsd + costUsd > budgetUsd + 1e-9
    ? { budgetUsd, spentUsd, resetAt: nextUtcMidnight(now) }
    : undefined;
}

/** The starter refused a request for the budget: counted on the day. */
export function refusedByBudget(current: LineState, now: number): LineState {
  const state = advance(current, now);
  return withDay(state, utcDay(state.clock), (day) => ({ ...day, refusedByBudget: day.refusedByBudget + 1 }));
}

/** A completed request: its seconds delivered count, and its delivered cost replaces its
 * estimate on its usage day. */
export function delivered(current: LineState, input: DeliveredInput): LineState {
  const state = advance(current, input.now);
  return withDay(state, input.day, (day) => ({
    ...day,
    seconds: day.seconds + input.seconds,
    usd: cents(Math.max(0, day.usd - input.estimatedUsd + input.usd)),
  }));
}

/** A request started: counted on the day. */
export function requested(current: LineState, input: RequestedInput): LineState {
  const state = advance(current, input.now);
  return withDay(state, utcDay(state.clock), (day) => ({ ...day, requests: day.requests + 1 }));
}

/** The provider took a create (answered at `now`): one job on the request's day; the create
 * rate counts it from now (the latest it can have been taken), and its holder's create is no
 * longer pending. */
export function created(current: LineState, input: CreatedInput): LineState {
  const state = advance(current, input.now);
  const holder = state.running.find((h) => h.id === input.instanceId);
  const counted = withDay(state, input.day, (day) => ({
    ...day,
    jobs: day.jobs + 1,
    // Governed requests reserved their estimate at admission.
    usd: holder ? day.usd : cents(day.usd + (input.costUsd ?? 0)),
  }));
  if (!holder?.pending) return counted;
  return {
    ...counted,
    running: counted.running.map((h) => (h === holder ? { ...h, pending: false } : h)),
    rateTat: nextTat(counted, state.clock),
  };
}

/** The answer of `release` and `created`: whom the caller should wake (an entity cannot raise
 * an event to an orchestration in JavaScript; the caller's wakeAdmissionWaiters activity does). */
export interface WakeAnswer {
  wake: string[];
}

/** Who should ask again now. After a release (`everyone` false): the first waiters, as many as
 * there are free slots (one where a create rate paces them: the next gets its time when it
 * asks). After a create (`everyone` true): the first WAKE_FRONT waiters, since the request that
 * created was admitted just before, and each place behind it has moved up by one (so the status
 * views show their place falling; the rate's next in line learns when its create is due). */
export function nextUp(state: LineState, everyone = false): string[] {
  const limits = state.limits && inForce(state, state.limits);
  if (!limits || state.waiting.length === 0) return [];
  const free =
    limits.maxRunningJobs === undefined ? state.waiting.length : limits.maxRunningJobs - state.running.length;
  const count = everyone ? WAKE_FRONT : limits.createsPerMinute === undefined ? free : Math.min(1, free);
  return state.waiting.slice(0, Math.max(0, count)).map((w) => w.id);
}
/** After a create, the front of the line is woken to see its place move; those further back
 * see theirs at their timer. Waking all 20 of a bench's waiters put 20 asks on the entity
 * before the next release or create (they run one at a time): bench/README.md. */
const WAKE_FRONT = 5;

const runKey = (instanceId: string, runId?: string) => `${instanceId}#${runId ?? ''}`;

export const emptyLine = (): LineState => ({
  clock: 0,
  waiting: [],
  running: [],
  admitted: [],
  released: [],
});

const byArrival = (a: Waiter, b: Waiter) =>
  a.arrivedAt - b.arrivedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The create rate's next theoretical time after a create taken at `at`. */
function nextTat(state: LineState, at: number): number | undefined {
  const perMinute = state.limits && inForce(state, state.limits).createsPerMinute;
  if (perMinute === undefined) return state.rateTat;
  return Math.max(state.rateTat ?? 0, at) + 60_000 / (perMinute * RATE_MARGIN);
}

/** Time moves forward; expired waiters and holders go. A create that has not answered for
 * PENDING_MAX_MS, or whose holder left, counts as taken then (it may have reached the provider). */
function advance(current: LineState, now: number): LineState {
  const clock = Math.max(current.clock, now);
  let state: LineState = {
    ...current,
    clock,
    waiting: current.waiting.filter((w) => w.leaseUntil > clock),
    released: (current.released ?? []).filter((r) => r.until > clock),
  };
  const running: Holder[] = [];
  for (const holder of current.running) {
    const stale = holder.pending && holder.admittedAt + PENDING_MAX_MS <= clock;
    if (stale || (holder.pending && holder.leaseUntil <= clock))
      state = { ...state, rateTat: nextTat(state, Math.min(clock, holder.admittedAt + PENDING_MAX_MS)) };
    if (holder.leaseUntil > clock) running.push(stale ? { ...holder, pending: false } : holder);
  }
  return { ...state, running };
}

/** The share of the limits in force at the clock (1 without a recent 429). */
export function shareAt(state: LineState, clock = state.clock): number {
  const backoff = state.backoff;
  if (!backoff) return 1;
  return Math.min(1, backoff.share + ((clock - backoff.cutAt) / RECOVERY_MS) * (1 - backoff.share));
}

/** The limits in force: the configured ones times the share (at least one job, one create). */
function inForce(state: LineState, limits: AdmissionLimits): AdmissionLimits {
  const share = shareAt(state);
  if (share >= 1) return limits;
  return {
    ...limits,
    ...(limits.maxRunningJobs !== undefined
      ? { maxRunningJobs: Math.max(1, Math.floor(limits.maxRunningJobs * share)) }
      : {}),
    ...(limits.createsPerMinute !== undefined ? { createsPerMinute: limits.createsPerMinute * share } : {}),
  };
}

/** The provider refused a create with 429 although the line admitted it: the account is busier
 * than its limits say (other clients share it, or the limits are set too high). Cut the limits
 * in force and admit nobody until the provider's Retry-After has passed. */
export function throttled(current: LineState, input: ThrottledInput): LineState {
  const state = advance(current, input.now);
  const pausedUntil = Math.max(state.backoff?.pausedUntil ?? 0, state.clock + input.retryAfterMs);
  if (state.backoff && state.clock - state.backoff.cutAt < CUT_GAP_MS)
    return { ...state, backoff: { ...state.backoff, pausedUntil } };
  return {
    ...state,
    backoff: { share: Math.max(MIN_SHARE, shareAt(state) / 2), cutAt: state.clock, pausedUntil },
  };
}

/**
 * When the create rate lets the next create go (a generic cell rate with a burst): the clock
 * when it may go now; undefined while as many creates as the burst are still unanswered (the
 * next `created` tells). Each unanswered create is assumed to reach the provider together with
 * this one.
 */
function createDueAt(state: LineState, limits: AdmissionLimits): number | undefined {
  if (limits.createsPerMinute === undefined) return state.clock;
  const burst = limits.createBurst ?? 1;
  const pending = state.running.filter((h) => h.pending).length;
  if (pending >= burst) return undefined;
  const interval = 60_000 / (limits.createsPerMinute * RATE_MARGIN);
  return Math.max(state.clock, Math.ceil((state.rateTat ?? 0) - (burst - 1 - pending) * interval));
}

/**
 * The request asks for its turn: put in line at its arrival place (again, if its lease ran
 * out), kept there, or admitted when it is first in line, a running slot is free and a create
 * token is there (taking both). Asking again once admitted answers admitted again.
 */
export function ask(current: LineState, asked: AdmitAsk): { state: LineState; answer: AdmissionAnswer } {
  let state: LineState = { ...advance(current, asked.now), limits: asked.limits };
  if (state.released.some((r) => r.run === runKey(asked.instanceId, asked.runId)))
    return { state, answer: { state: 'released' } };
  const holding = state.running.find((h) => h.id === asked.instanceId);
  if (holding) return { state, answer: { state: 'admitted', ...(holding.day ? { day: holding.day } : {}) } };
  const waiter: Waiter = {
    id: asked.instanceId,
    arrivedAt: asked.arrivedAt,
    leaseUntil: state.clock + asked.waitLeaseMs,
  };
  const waiting = [...state.waiting.filter((w) => w.id !== asked.instanceId), waiter].sort(byArrival);
  state = { ...state, waiting };
  const position = waiting.findIndex((w) => w.id === asked.instanceId) + 1;
  const waitAnswer = (reason: WaitReason, retryAt?: number): AdmissionAnswer => ({
    state: 'waiting',
    position,
    ahead: position - 1,
    reason,
    ...(retryAt !== undefined ? { retryAt } : {}),
  });
  const limits = inForce(state, asked.limits);
  const refusal = overBudget(state, limits.dailyBudgetUsd, asked.costUsd ?? 0, state.clock);
  if (refusal) {
    const left = withDay(
      { ...state, waiting: state.waiting.filter((w) => w.id !== asked.instanceId) },
      utcDay(state.clock),
      (day) => ({
        ...day,
        refusedByBudget: day.refusedByBudget + 1,
      }),
    );
    return { state: left, answer: { state: 'over-budget', ...refusal } };
  }
  if (limits.maxRunningJobs !== undefined && state.running.length >= limits.maxRunningJobs)
    return { state, answer: waitAnswer('running-jobs') };
  const pausedUntil = state.backoff?.pausedUntil ?? 0;
  if (pausedUntil > state.clock)
    return { state, answer: waitAnswer('create-rate', position === 1 ? pausedUntil : undefined) };
  const dueAt = createDueAt(state, limits);
  if (dueAt === undefined || dueAt > state.clock)
    return { state, answer: waitAnswer('create-rate', position === 1 ? dueAt : undefined) };
  if (position > 1) return { state, answer: waitAnswer('in-line') };
  return {
    state: {
      ...state,
      waiting: waiting.slice(1),
      running: [
        ...state.running,
        {
          id: asked.instanceId,
          admittedAt: state.clock,
          leaseUntil: asked.holdUntil,
          day: utcDay(state.clock),
          ...(limits.createsPerMinute !== undefined ? { pending: true } : {}),
          ...(asked.costUsd ? { costUsd: asked.costUsd } : {}),
        },
      ],
      admitted: [...state.admitted, asked.instanceId].slice(-ADMITTED_KEPT),
      // The estimate is reserved against the budget now; the job is counted when created.
      usage: withDay(state, utcDay(state.clock), (day) => ({
        ...day,
        usd: cents(day.usd + (asked.costUsd ?? 0)),
      })).usage,
    },
    answer: { state: 'admitted', day: utcDay(state.clock) },
  };
}

/** The starter puts a request in line when it starts it, before its orchestration first asks:
 * its place is its arrival (the POST), whichever orchestration happens to run first. */
export function enqueue(current: LineState, waiter: EnqueueInput): LineState {
  const state = advance(current, waiter.now);
  const run = runKey(waiter.instanceId, waiter.runId);
  if (
    state.released.some((r) => r.run === run) ||
    state.running.some((h) => h.id === waiter.instanceId) ||
    state.waiting.some((w) => w.id === waiter.instanceId)
  )
    return state;
  const entry: Waiter = {
    id: waiter.instanceId,
    arrivedAt: waiter.arrivedAt,
    leaseUntil: state.clock + waiter.waitLeaseMs,
  };
  return { ...state, waiting: [...state.waiting, entry].sort(byArrival) };
}

/** The request is done with the account (its job ended, it failed, was cancelled, or gave up
 * waiting): its slot or its place in line goes. Releasing twice is harmless. */
export function release(
  current: LineState,
  instanceId: string,
  runId: string | undefined,
  now: number,
): LineState {
  let state = advance(current, now);
  const run = runKey(instanceId, runId);
  const holder = state.running.find((h) => h.id === instanceId);
  if (holder?.pending) {
    // Its create never answered: it may still have reached the provider (counted for the rate
    // now), but no job was seen, so its reserved estimate goes back.
    state = { ...state, rateTat: nextTat(state, state.clock) };
    if (holder.costUsd && holder.day)
      state = withDay(state, holder.day, (day) => ({
        ...day,
        usd: cents(Math.max(0, day.usd - holder.costUsd!)),
      }));
  }
  return {
    ...state,
    waiting: state.waiting.filter((w) => w.id !== instanceId),
    running: state.running.filter((h) => h.id !== instanceId),
    released: [
      ...state.released.filter((r) => r.run !== run),
      { run, until: state.clock + RELEASED_KEPT_MS },
    ],
  };
}
