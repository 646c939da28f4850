// When to ask the provider again. Pure and deterministic (it runs inside the orchestrator): every
// input comes from the last status answer and the orchestration's own replay-safe clock.
//
// Why not the quickstart's fixed 5 s loop: a job of a few minutes then costs dozens of
// status calls (quota: 60 requests/minute per resource), and the finish is still noticed
// 2.5 s late on average. Instead we estimate the time left and poll at half of it, so the
// waits shrink geometrically towards the expected finish and stay short only near it. Once
// a provider's reported progress (the OpenAI videos API reports it) has been seen to move, its rate predicts
// the finish closely enough to aim the last poll just past it.

import type { JobStage } from '../providers/provider.js';
import { densityAt, quantileOf, survivalAt, widenedBy, type DurationEstimate } from './duration-estimate.js';

export interface PollBounds {
  /** Never poll sooner than this (also the interval once a job is overdue). */
  minSeconds: number;
  /** Never wait longer than this, whatever the estimate says. */
  maxSeconds: number;
}

/** Progress a poll saw, and when (seconds since the job was created). */
export interface ProgressPoint {
  progress: number;
  elapsedSeconds: number;
}

/** What the polls so far saw of the job's progress (kept by the orchestrator with seeProgress). */
export interface ProgressSeen {
  /** The first poll that reported progress above 0 (same clock as elapsedSeconds): with
   * the current poll it gives the job's own rate, free of the time it spent queued. */
  firstProgress?: ProgressPoint;
  /** The poll before this one, if it reported progress above 0: shows a job speeding up. */
  previousProgress?: ProgressPoint;
  /** This poll's own point, if it reported progress above 0. */
  latestProgress?: ProgressPoint;
  /** When (elapsedSeconds) a poll first saw the progress this one reports: shows a job stuck. */
  progressUnchangedSince?: number;
}

/** Adds a successful poll's progress (0 or undefined: none seen) to what was seen before. */
export function seeProgress(
  seen: ProgressSeen,
  progress: number | undefined,
  elapsedSeconds: number,
): ProgressSeen {
  const point = progress ? { progress, elapsedSeconds } : undefined;
  return {
    firstProgress: seen.firstProgress ?? point,
    previousProgress: seen.latestProgress,
    latestProgress: point,
    progressUnchangedSince:
      point?.progress === seen.latestProgress?.progress ? seen.progressUnchangedSince : point?.elapsedSeconds,
  };
}

/** What the last poll told us. */
export type PollObservation =
  | ({
      kind: 'status';
      /** Not started yet, working, or in a short last stage (the adapter maps its statuses). */
      stage: JobStage;
      /** 0-100 when the provider reports it, else undefined. */
      progress?: number;
      /** Seconds since the job was created. */
      elapsedSeconds: number;
      /** Our estimate of the whole job's duration (see expectedJobSeconds). */
      expectedSeconds: number;
      /** How long jobs of this kind took, once enough of them were seen (./duration-estimate.ts),
       * and this job's age on the same clock as those durations, counted from the earliest its
       * start can have been; startSpreadSeconds: how much later it can have been (0 or absent:
       * known; see learnedAge). */
      learned?: {
        estimate: DurationEstimate;
        elapsedSeconds: number;
        startSpreadSeconds?: number;
        /** The job's start on the estimate's clock is known (created, or its start was seen). */
        startKnown?: boolean;
      };
    } & ProgressSeen)
  | { kind: 'throttled'; retryAfterSeconds?: number; consecutiveErrors: number }
  | { kind: 'transient-error'; consecutiveErrors: number };

/** Pixels of a size: `WxH` exactly; an aspect ratio `W:H` (fal, Replicate) as its 720p frame. */
export function pixelsOfSize(size: string): { width: number; height: number } {
  const exact = /^(\d+)x(\d+)$/.exec(size);
  if (exact) return { width: Number(exact[1]), height: Number(exact[2]) };
  const ratio = /^(\d+):(\d+)$/.exec(size);
  if (!ratio) return { width: 1280, height: 720 };
  const [w, h] = [Number(ratio[1]), Number(ratio[2])];
  return w >= h
    ? { width: Math.round((720 * w) / h), height: 720 }
    : { width: 720, height: Math.round((720 * h) / w) };
}

/** Rough duration of a job, growing with pixels × seconds × variants; only used to pace
 * polling, so being wrong costs a few extra calls, never correctness. */
export function expectedJobSeconds(job: { size: string; seconds: number; variants: number }): number {
  const { width, height } = pixelsOfSize(job.size);
  const megapixelSeconds = ((width * height) / 1_000_000) * job.seconds * Math.max(1, job.variants);
  return 30 + 25 * megapixelSeconds;
}

/** How far off expectedJobSeconds usually is (either way). */
const ESTIMATE_ERROR = 0.3;

/** Progress points the job must have moved before its rate is trusted: progress is a whole
 * number, so a rate over 5 points can be a fifth off; over the usual 30-60 it is within 3 %. */
const MIN_PROGRESS_SPAN = 5;

/** Within this many seconds of the predicted finish, poll once just after it instead of
 * halving again: a rate known to ~3 % misplaces a finish 15 s away by about half a second. */
const AIM_WITHIN_SECONDS = 15;

const clamp = (value: number, bounds: PollBounds) =>
  Math.min(bounds.maxSeconds, Math.max(bounds.minSeconds, value));

/** Seconds to wait before the next status call. */
export function nextPollDelaySeconds(observation: PollObservation, bounds: PollBounds): number {
  switch (observation.kind) {
    case 'throttled':
      // The service said when: honour it (even above our max); otherwise back off like an error.
      if (observation.retryAfterSeconds !== undefined && observation.retryAfterSeconds > 0) {
        return Math.max(bounds.minSeconds, observation.retryAfterSeconds);
      }
      return backoff(observation.consecutiveErrors, bounds);
    case 'transient-error':
      return backoff(observation.consecutiveErrors, bounds);
    case 'status': {
      const rate = progressRate(observation);
      const stalled = stalledSeconds(observation);
      // Stuck for longer than its own pace explains (a job stuck at 99 %, say): no estimate
      // holds, so wait half as long as it has been stuck; waits grow ×1.5 up to the max.
      if (stalled !== undefined) return clamp(stalled / 2, bounds);
      // Progress, when the provider reports it, is this job's own clock: it beats what other
      // jobs took, so such jobs are paced as before. Without it, the jobs of this kind seen
      // before say when to look, whatever the stage (a stage says little of the time left).
      // (Figures that give no finite wait, whatever their defect, are not used.)
      const learned =
        observation.progress === undefined && observation.learned
          ? learnedDelaySeconds(
              observation.learned.estimate,
              observation.learned.elapsedSeconds,
              bounds,
              observation.learned.startSpreadSeconds,
              observation.learned.startKnown,
            )
          : undefined;
      if (learned !== undefined && Number.isFinite(learned)) return learned;
      if (rate === undefined) return clamp(remainingSeconds(observation) / 2, bounds);
      // Progress p (a whole number) means somewhere in [p, p + 1): count from the middle.
      const remaining = (100 - (observation.progress ?? 0) - 0.5) / rate;
      // Aim half a progress point past the predicted finish, erring late: a poll that lands
      // early costs another call and a whole minimum interval, a late one only its lateness.
      return clamp(remaining > AIM_WITHIN_SECONDS ? remaining / 2 : remaining + 0.5 / rate, bounds);
    }
  }
}

/** How late, on average, the learned schedule aims to notice a job's end: under the 2.5 s of a
 * fixed 5 s loop, whose calls it is to halve. Its spacing (see learnedDelaySeconds) follows from
 * it: the fewest calls that notice the jobs of that kind this soon. The waits between calls, the
 * work of noticing and a table of 50 samples add about 0.3 s, and a 50-job mean moves by about as
 * much from run to run, the loop's as much as ours: 1.6 s keeps the simulated bench's notice under
 * the loop's by 0.7-0.8 s with 1.5-1.9 calls to spare where the start is known (a start window
 * costs lateness on top: see learnedDelaySeconds), once a job whose start is known skips the
 * calls before the fastest end (LEARNED_FIRST_WAIT_FACTOR; bench/learned-polling-sim.ts). With
 * those calls, 1.9 s was the best balance and missed in quiet runs (bench/README.md, run E). */
export const LEARNED_LATENESS_SECONDS = 1.6;

/** Points the mean lateness is integrated over (see callWorth). */
const LATENESS_POINTS = 64;

/** Before the fastest job of its kind could have ended, a job whose start is known waits up to
 * this many times the longest poll interval between calls (2 minutes on the default 30 s): no
 * call there can see it end, only fail, and a failure is noticed within that. A job whose start
 * is not known yet (queued at a provider that reports no start time) keeps the longest interval,
 * as its calls are what tell when it started. (The calls the 30 s bound forced there were a
 * quarter of the learned schedule's: bench/README.md, "learned polling", run E.) */
export const LEARNED_FIRST_WAIT_FACTOR = 4;

/** What a status call is worth in seconds of lateness, for the schedule to notice the jobs of
 * this kind LEARNED_LATENESS_SECONDS late on average: gaps √(2c·S/f) (see learnedDelaySeconds)
 * notice a job ending at t g(t)/2 late, so on average ½∫f·g = √(c/2)·∫√(S·f) over the jobs'
 * durations, which is the target when c = 2·(target / ∫√(S·f))². The wider the jobs' ends
 * spread, the cheaper a call. (A start known only to a window is priced on the kind's own
 * durations, not on the widened ones: see learnedDelaySeconds.) */
export function callWorth(estimate: DurationEstimate): number {
  const integral = endSpreadIntegral(estimate);
  // No spread to pace by (jobs all ending at one moment): the gaps are 0 anyway.
  return integral > 0 ? 2 * (LEARNED_LATENESS_SECONDS / integral) ** 2 : 0;
}

/** ∫√(S·f) over the jobs' durations: with gaps √(2c·S/f) the mean lateness is √(c/2) times it,
 * and the calls among the ends 1/√(2c) times it (see callWorth). */
function endSpreadIntegral(estimate: DurationEstimate): number {
  const from = quantileOf(estimate, 0);
  const step = (quantileOf(estimate, 1) - from) / LATENESS_POINTS;
  let integral = 0;
  for (let i = 0; i < LATENESS_POINTS; i++) {
    const at = from + (i + 0.5) * step;
    const density = densityAt(estimate, at);
    if (Number.isFinite(density)) integral += Math.sqrt(survivalAt(estimate, at) * density) * step;
  }
  return integral;
}

/**
 * The wait before the next status call of a job `elapsed` seconds old, paced by how long jobs of
 * its kind took (estimate). Before the fastest of them could have ended, a call only costs (one
 * right at that moment too: nothing can have ended yet): wait for one gap past it, in equal
 * waits no longer than the max, or LEARNED_FIRST_WAIT_FACTOR times it once the job's start is
 * known (`startKnown`). Among the durations seen, a call at
 * gap g after the last one notices a job ending in between g/2 late on average, and is only made
 * for a job still running: the gap that weighs the two (CALL_WORTH_SECONDS of lateness per call)
 * is √(2 · worth · S / f), with S the share of jobs still running and f the share ending per
 * second, so polls are dense where many jobs end and sparser where few do, and the last gaps
 * shrink as the remaining jobs run out; the worth is what notices them LEARNED_LATENESS_SECONDS
 * late on average (callWorth). Slower than every sample: the estimate no longer holds;
 * wait half as long as the job has been overdue (from the minimum up, growing ×1.5 per poll).
 * A start known only to a window (`startSpread` seconds wide, `elapsed` counted from its
 * beginning) spreads the ends over it: the schedule reads the widened table (widenedBy), at the
 * worth of the kind's own durations (the window costs lateness, not calls).
 */
export function learnedDelaySeconds(
  estimate: DurationEstimate,
  elapsed: number,
  bounds: PollBounds,
  startSpread = 0,
  startKnown = false,
): number {
  const kind = widenedBy(estimate, startSpread);
  const fastest = quantileOf(kind, 0);
  const slowest = quantileOf(kind, 1);
  // A start window spreads the ends, so the calls, over a wider range, and costs lateness only:
  // the worth is raised by the square of how much the window widens ∫√(S·f), which keeps the
  // calls among the ends those of the kind's own durations (1/√(2c) times the integral). (Priced
  // on the own durations alone, fal's window bought calls too: 8.3 and 9.4 against 9.05-9.25
  // allowed, noticed 0.8 s sooner than the loop; bench/README.md, runs F and G.)
  const own = endSpreadIntegral(estimate);
  const widened = startSpread > 0 ? endSpreadIntegral(kind) : own;
  const worth = own > 0 ? callWorth(estimate) * (widened / own) ** 2 : 0;
  const gap = (at: number) => gapAt(kind, at, slowest, worth);
  if (elapsed < fastest) {
    const until = fastest + gap(fastest) - elapsed;
    const longest = (startKnown ? LEARNED_FIRST_WAIT_FACTOR : 1) * bounds.maxSeconds;
    return Math.max(bounds.minSeconds, until / Math.ceil(until / longest));
  }
  if (elapsed >= slowest) return clamp((elapsed - slowest) / 2, bounds);
  return clamp(gap(elapsed), bounds);
}

/** The learned gap after a call at `elapsed` (see learnedDelaySeconds), never past the slowest
 * job seen: one that slow is noticed at once. */
function gapAt(estimate: DurationEstimate, elapsed: number, slowest: number, worth: number): number {
  const survival = survivalAt(estimate, elapsed);
  const density = densityAt(estimate, elapsed);
  // Every job seen had ended by now, or they all ended at one moment: look at once.
  if (survival <= 0 || density === Infinity) return 0;
  if (density <= 0) return Math.max(0, slowest - elapsed);
  return Math.min(Math.sqrt((2 * worth * survival) / density), slowest - elapsed);
}

/** Progress points per second since the first poll that saw progress, once progress has
 * moved enough to trust; undefined otherwise. Progress need not be linear: when the last two
 * polls show a faster rate even at its slowest reading (one point less, since progress is a
 * whole number), that rate wins, so a job that speeds up is not noticed late. One that slows
 * down is simply re-estimated at the next poll. */
function progressRate(observation: Extract<PollObservation, { kind: 'status' }>): number | undefined {
  const { progress, firstProgress, previousProgress, elapsedSeconds } = observation;
  if (progress === undefined || progress >= 100 || !firstProgress) return undefined;
  const points = progress - firstProgress.progress;
  const seconds = elapsedSeconds - firstProgress.elapsedSeconds;
  if (points < MIN_PROGRESS_SPAN || seconds <= 0) return undefined;
  const overall = points / seconds;
  const recentSeconds = previousProgress ? elapsedSeconds - previousProgress.elapsedSeconds : 0;
  if (
    !previousProgress ||
    recentSeconds <= 0 ||
    previousProgress.elapsedSeconds <= firstProgress.elapsedSeconds
  )
    return overall;
  return Math.max(overall, (progress - previousProgress.progress - 1) / recentSeconds);
}

/** Seconds the progress has not moved, if that is longer than two points take at the rate
 * the job kept until then (a whole number moves in steps; two make a stall certain). */
function stalledSeconds(observation: Extract<PollObservation, { kind: 'status' }>): number | undefined {
  const { progress, firstProgress, progressUnchangedSince, elapsedSeconds } = observation;
  if (!progress || !firstProgress || progressUnchangedSince === undefined) return undefined;
  const movingSeconds = progressUnchangedSince - firstProgress.elapsedSeconds;
  const points = progress - firstProgress.progress;
  if (points < MIN_PROGRESS_SPAN || movingSeconds <= 0) return undefined;
  const stuck = elapsedSeconds - progressUnchangedSince;
  return stuck * (points / movingSeconds) >= 2 ? stuck : undefined;
}

/** With a webhook expected, polls only catch a lost one: the first comes no sooner than this
 * many times the longest poll interval (2 minutes on Azure's 30 s bound), later ones likewise. */
export const WEBHOOK_FALLBACK_FACTOR = 4;

/** The wait before a fallback poll while the provider's webhook is expected. */
export function webhookFallbackDelaySeconds(adaptiveSeconds: number, bounds: PollBounds): number {
  return Math.max(adaptiveSeconds, WEBHOOK_FALLBACK_FACTOR * bounds.maxSeconds);
}

/** Exponential backoff for consecutive failures: min, 2×min, 4×min … capped at max. */
function backoff(consecutiveErrors: number, bounds: PollBounds): number {
  return clamp(bounds.minSeconds * 2 ** Math.max(0, consecutiveErrors - 1), bounds);
}

function remainingSeconds(observation: Extract<PollObservation, { kind: 'status' }>): number {
  const { stage, progress, elapsedSeconds, expectedSeconds } = observation;
  // The last stage is short: watch closely.
  if (stage === 'finishing') return 0;
  // Reported progress beats our estimate: extrapolate the rate seen so far.
  if (progress !== undefined && progress > 0 && progress < 100 && elapsedSeconds > 0) {
    return (elapsedSeconds * (100 - progress)) / progress;
  }
  // Not even running yet: the rest takes at least as long again as the wait so far.
  if (stage === 'waiting') return Math.max(expectedSeconds - elapsedSeconds, elapsedSeconds);
  // Without progress: what is left of the estimate.
  if (elapsedSeconds <= expectedSeconds) return expectedSeconds - elapsedSeconds;
  // Overdue. Within the estimate's usual error (±30%) the finish is near: watch closely.
  // Beyond it the estimate was simply wrong and the time left is unknown: assume a quarter of
  // the time so far is still to come (waits grow ×1.125 per poll up to the max), so a long job
  // costs tens of calls, not hundreds, and the history stays bounded.
  return elapsedSeconds > expectedSeconds * (1 + ESTIMATE_ERROR) ? elapsedSeconds / 4 : 0;
}

/** How long a request waiting in its account's line waits before asking again. Exactly until
 * its create is due when the line said when. Otherwise it is woken when a slot or a create
 * comes free for it (the admissionTurn event), so the timer is only the safety net for a lost
 * wake (a host down between a release and its wake, a DELETE, a holder whose lease ran out) and
 * what refreshes its place in the status: ten minimum intervals per place in line, at least
 * the maximum interval and a tenth of its wait so far, at most a quarter of its lease. (Asking
 * every interval, 20 waiters kept the host busy with their asks: bench/README.md, "Admission
 * control".) */
export function admissionWaitSeconds(
  answer: { position: number; retryAt?: number },
  timing: { nowMs: number; waitedMs: number },
  bounds: PollBounds,
): number {
  if (answer.retryAt !== undefined)
    return Math.max(bounds.minSeconds, (answer.retryAt - timing.nowMs) / 1000);
  const paced = Math.max(
    bounds.maxSeconds,
    bounds.minSeconds * 10 * answer.position,
    timing.waitedMs / 10_000,
  );
  return Math.min(admissionWaitLeaseMs(bounds) / 4000, paced);
}

/** How long the line keeps a waiter that stopped asking (a host down, an instance terminated):
 * well past its longest wait between asks. */
export const admissionWaitLeaseMs = (bounds: PollBounds) => Math.max(60, 4 * bounds.maxSeconds) * 1000;
