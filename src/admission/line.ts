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
}

export interface LineState {
  /** The latest time any caller passed, ms. */
  clock: number;
  waiting: Waiter[];
  running: Holder[];
  /** Create tokens (a bucket of createBurst, refilled at createsPerMinute) as of tokensAt. */
  tokens: number;
  tokensAt: number;
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

/** One UTC day of an account. `usd`: the estimates of the requests admitted that day, each
 * replaced by its delivered cost once it completed. */
export interface DayUsage {
  requests: number;
  /** Admissions: each lets one create go (a create refused for good makes none). */
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
  /** Seconds of video it asks for (seconds × variants), for the day's usage. */
  askedSeconds?: number;
}

/** What holds the request back: every running slot is taken, the create rate, or (both free)
 * the requests ahead of it, whose turn comes first. */
export interface DeliveredInput {
  now: number;
  /** The admission day the ask answered. */
  day: string;
  askedSeconds: number;
  estimatedUsd: number;
  seconds: number;
  usd: number;
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

/** The line's pace is kept this far under the published rate, so send delays and clock skew
 * stay inside the vendor's own window. */
const RATE_MARGIN = 0.95;
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

/** A completed request's delivered cost replaces its estimate on its admission day. */
export function delivered(current: LineState, input: DeliveredInput): LineState {
  const state = advance(current, input.now);
  return withDay(state, input.day, (day) => ({
    ...day,
    seconds: day.seconds - input.askedSeconds + input.seconds,
    usd: cents(Math.max(0, day.usd - input.estimatedUsd + input.usd)),
  }));
}

const runKey = (instanceId: string, runId?: string) => `${instanceId}#${runId ?? ''}`;

export const emptyLine = (): LineState => ({
  clock: 0,
  waiting: [],
  running: [],
  // A full bucket: tokensNow caps it at the burst.
  tokens: 1e9,
  tokensAt: 0,
  admitted: [],
  released: [],
});

const byArrival = (a: Waiter, b: Waiter) =>
  a.arrivedAt - b.arrivedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Time moves forward; expired waiters and holders go. */
function advance(state: LineState, now: number): LineState {
  const clock = Math.max(state.clock, now);
  return {
    ...state,
    clock,
    waiting: state.waiting.filter((w) => w.leaseUntil > clock),
    running: state.running.filter((h) => h.leaseUntil > clock),
    released: (state.released ?? []).filter((r) => r.until > clock),
  };
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

/** Tokens available at the clock (Infinity without a rate). */
function tokensNow(state: LineState, limits: AdmissionLimits): number {
  if (limits.createsPerMinute === undefined) return Infinity;
  const burst = limits.createBurst ?? 1;
  const perMs = (limits.createsPerMinute * RATE_MARGIN) / 60_000;
  return Math.min(burst, state.tokens + Math.max(0, state.clock - state.tokensAt) * perMs);
}

/** When the next whole token is due, ms. */
function tokenDueAt(state: LineState, limits: AdmissionLimits, tokens: number): number {
  const perMs = (limits.createsPerMinute! * RATE_MARGIN) / 60_000;
  return state.clock + Math.ceil((1 - tokens) / perMs);
}

/**
 * The request asks for its turn: put in line at its arrival place (again, if its lease ran
 * out), kept there, or admitted when it is first in line, a running slot is free and a create
 * token is there (taking both). Asking again once admitted answers admitted again.
 */
export function ask(current: LineState, asked: AdmitAsk): { state: LineState; answer: AdmissionAnswer } {
  let state = advance(current, asked.now);
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
  const tokens = tokensNow(state, limits);
  if (tokens < 1)
    return {
      state,
      answer: waitAnswer('create-rate', position === 1 ? tokenDueAt(state, limits, tokens) : undefined),
    };
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
        },
      ],
      tokens: Number.isFinite(tokens) ? tokens - 1 : state.tokens,
      tokensAt: state.clock,
      admitted: [...state.admitted, asked.instanceId].slice(-ADMITTED_KEPT),
      usage: withDay(state, utcDay(state.clock), (day) => ({
        ...day,
        requests: day.requests + 1,
        jobs: day.jobs + 1,
        seconds: day.seconds + (asked.askedSeconds ?? 0),
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
  const state = advance(current, now);
  const run = runKey(instanceId, runId);
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
