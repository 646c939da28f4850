// How long jobs of one kind (provider, model, size, seconds, variants) have taken, learned from
// the jobs this app ran. Pure: the samples are stored by ../storage/job-durations.ts, and the
// orchestrator gets only the summary (DurationEstimate) through an activity, so its replay stays
// deterministic. The poll policy (./poll-policy.ts) paces status calls by it.

/** The kind of job a duration is learned for: jobs differing in any of these take different times. */
export interface JobKind {
  provider: string;
  model: string;
  size: string;
  seconds: number;
  variants: number;
}

/** The most recent durations kept per kind: bounded, and recent enough to follow a provider that
 * speeds up or slows down. */
export const MAX_SAMPLES = 50;

/** With fewer samples the quantiles are too rough to pace by: the adaptive policy alone paces. */
export const MIN_SAMPLES = 8;

/** The steps of the quantile table: 0 %, 5 %, … 100 %. */
export const QUANTILE_STEP = 0.05;

/** What a kind's durations count from: the moment its jobs started working, queue apart
 * ('started': the provider says when, or how long the run took), or their creation ('created':
 * the provider says neither, so the queue is part of every sample). A job's age is read on the
 * same clock (see learnedAge). */
export type DurationClock = 'started' | 'created';

/** What the orchestrator is given: how many samples, and durations (seconds) at every
 * QUANTILE_STEP from the fastest (0 %) to the slowest (100 %), ascending; and the clock they
 * were measured on (absent in estimates recorded in histories before the clock was kept). */
export interface DurationEstimate {
  samples: number;
  quantiles: number[];
  clock?: DurationClock;
}

/** A kind's samples with one more duration, keeping the newest MAX_SAMPLES (oldest first). */
export function addSample(samples: readonly number[], seconds: number, max = MAX_SAMPLES): number[] {
  if (!Number.isFinite(seconds) || seconds <= 0) return [...samples];
  return [...samples, seconds].slice(-max);
}

/** The q-quantile (0-1) of samples, interpolating between order statistics (Hyndman-Fan type 7). */
export function sampleQuantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) throw new RangeError('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const at = Math.min(1, Math.max(0, q)) * (sorted.length - 1);
  const below = Math.floor(at);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (at - below);
}

/** The estimate of a kind's samples, or undefined while there are too few (fewer than MIN_SAMPLES). */
export function estimateOf(samples: readonly number[], clock?: DurationClock): DurationEstimate | undefined {
  const valid = samples.filter((s) => Number.isFinite(s) && s > 0);
  if (valid.length < MIN_SAMPLES) return undefined;
  const steps = Math.round(1 / QUANTILE_STEP);
  const quantiles = Array.from({ length: steps + 1 }, (_, i) =>
    round2(sampleQuantile(valid, i * QUANTILE_STEP)),
  );
  return { samples: valid.length, quantiles, ...(clock ? { clock } : {}) };
}

const round2 = (value: number) => Math.round(value * 100) / 100;

/** The duration at quantile q (0-1), read off the table. */
export function quantileOf(estimate: DurationEstimate, q: number): number {
  const { quantiles } = estimate;
  const at = (Math.min(1, Math.max(0, q)) * (quantiles.length - 1)) | 0;
  const fraction = Math.min(1, Math.max(0, q)) * (quantiles.length - 1) - at;
  const next = Math.min(quantiles.length - 1, at + 1);
  return quantiles[at] + (quantiles[next] - quantiles[at]) * fraction;
}

/** Points a start window is averaged over (see widenedBy): its effect on the waits is smooth,
 * so 16 put the result within a few per cent of the exact average. */
const SPREAD_POINTS = 16;

/** Bisection steps placing each quantile of a widened table: (slowest - fastest) / 2^30. */
const BISECTION_STEPS = 30;

/**
 * The durations of jobs of this kind whose start is known only to lie in a window `spread`
 * seconds wide (a provider that never says when a job started: the status answers before and
 * after it bound it; see seeStart), counted from the window's beginning: each duration plus a
 * start anywhere in the window, none likelier than another. A table like the estimate's, so the
 * schedule reads it the same way (its density window included).
 */
export function widenedBy(estimate: DurationEstimate, spread: number): DurationEstimate {
  if (!(Number.isFinite(spread) && spread > 0)) return estimate;
  const ended = (seconds: number) => {
    let sum = 0;
    for (let i = 0; i < SPREAD_POINTS; i++)
      sum += survivalAt(estimate, seconds - ((i + 0.5) / SPREAD_POINTS) * spread);
    return 1 - sum / SPREAD_POINTS;
  };
  const fastest = quantileOf(estimate, 0);
  const slowest = quantileOf(estimate, 1) + spread;
  const last = estimate.quantiles.length - 1;
  const quantiles = estimate.quantiles.map((_, i) => {
    if (i === 0) return fastest;
    if (i === last) return slowest;
    let [low, high] = [fastest, slowest];
    for (let step = 0; step < BISECTION_STEPS; step++) {
      const middle = (low + high) / 2;
      if (ended(middle) < i / last) low = middle;
      else high = middle;
    }
    return high;
  });
  return { ...estimate, quantiles };
}

/** The share (0-1) of jobs of this kind still running `seconds` in: 1 before the fastest,
 * 0 after the slowest, straight lines between the table's quantiles. */
export function survivalAt(estimate: DurationEstimate, seconds: number): number {
  const { quantiles } = estimate;
  const last = quantiles.length - 1;
  if (seconds < quantiles[0]) return 1;
  if (seconds >= quantiles[last]) return 0;
  // The last step whose duration is ≤ seconds (steps of equal duration: the last of them).
  let i = 0;
  while (i < last - 1 && quantiles[i + 1] <= seconds) i++;
  const width = quantiles[i + 1] - quantiles[i];
  const within = width > 0 ? (seconds - quantiles[i]) / width : 1;
  return 1 - (i + within) / last;
}

/** The share of quantile space either side of a point over which densityAt averages: 50 samples
 * put only 2-3 in each 5 % step, too few for a steady slope (the schedule's gaps then swing,
 * and noticing gets later on average); over half the table the slope holds. */
export const DENSITY_WINDOW = 0.25;

/** Jobs ending per second around `seconds` (a share of all jobs), averaged over the
 * DENSITY_WINDOW either side of where it stands (narrower at the ends of the table); Infinity
 * where that window has no width (jobs all ending at one moment). 0 outside the table. */
export function densityAt(estimate: DurationEstimate, seconds: number): number {
  const { quantiles } = estimate;
  if (seconds < quantiles[0] || seconds >= quantiles[quantiles.length - 1]) return 0;
  const at = 1 - survivalAt(estimate, seconds);
  const from = Math.max(0, at - DENSITY_WINDOW);
  const to = Math.min(1, at + DENSITY_WINDOW);
  const width = quantileOf(estimate, to) - quantileOf(estimate, from);
  return width > 0 ? (to - from) / width : Infinity;
}

/** When a job still running `seconds` in most likely ends: half of the jobs of its kind that
 * lasted this long had ended by then. Undefined once it is slower than every sample. */
export function medianEndGiven(estimate: DurationEstimate, seconds: number): number | undefined {
  const survival = survivalAt(estimate, seconds);
  if (survival <= 0) return undefined;
  return Math.max(seconds, quantileOf(estimate, 1 - survival / 2));
}

/** The times a finished job's provider reported (Unix seconds on its clock; runSeconds: its run
 * alone), as in ProviderJob. */
export interface FinishedJobTimes {
  createdAt?: number;
  startedAt?: number;
  finishedAt?: number;
  runSeconds?: number;
}

/** A finished job's duration to learn from, by the provider's own times, and the clock it counts
 * on: the run alone where the provider says when the work started or how long it ran ('started'),
 * else creation to finish ('created'); undefined when it gives no finish time (the moment a poll
 * noticed the end is late by the poll's own pace, so it would teach the policy its own lateness). */
export function jobDurationSample(
  job: FinishedJobTimes,
): { seconds: number; clock: DurationClock } | undefined {
  const positive = (value: number | undefined) =>
    value !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
  if (positive(job.runSeconds)) return { seconds: round2(job.runSeconds!), clock: 'started' };
  if (job.finishedAt === undefined) return undefined;
  const from = job.startedAt ?? job.createdAt;
  const seconds = from === undefined ? undefined : positive(job.finishedAt - from);
  if (seconds === undefined) return undefined;
  return { seconds: round2(seconds), clock: job.startedAt !== undefined ? 'started' : 'created' };
}

/** Where a waiting job's start lies (Unix seconds, on the clock of the times it is built from):
 * after `from` and no later than `to` (unknown while every poll saw it queued). */
export interface StartWindow {
  from: number;
  to?: number;
}

/** A job's start window once a status answer read at `readAt` (or later, up to `answeredAt`)
 * said `job`: the provider's own start time when it gives one; else a queued answer moves the
 * window's beginning to when it was read, and the first answer that it works (a provider such as
 * fal, whose IN_PROGRESS says only that) closes it. Every time comes from the status answers and
 * the durable timers, so the orchestrator's replay sees the same window. */
export function seeStart(
  window: StartWindow,
  job: { phase: string; startedAt?: number },
  readAt: number,
  answeredAt: number,
): StartWindow {
  if (job.startedAt !== undefined) return { from: job.startedAt, to: job.startedAt };
  if (window.to !== undefined) return window;
  if (job.phase === 'queued') return { from: Math.max(window.from, readAt) };
  return { from: window.from, to: Math.max(window.from, answeredAt) };
}

/** A waiting job's age on the clock its kind's durations were measured on (seconds at `now`),
 * and how wide the window its start lies in is (the age counts from the window's beginning):
 * from its creation for 'created' durations; from its start window for 'started' ones (a job
 * still queued is aged from its latest queued answer: as if it had just started, so no poll is
 * late for it). Estimates without a clock (histories from before) age it as they did then. */
export function learnedAge(
  estimate: DurationEstimate,
  window: StartWindow,
  job: { startedAt?: number },
  createdAtSeconds: number,
  now: number,
): { elapsedSeconds: number; startSpreadSeconds: number; startKnown: boolean } {
  const age = (from: number) => Math.max(0, now - from);
  if (estimate.clock === 'created')
    return { elapsedSeconds: age(createdAtSeconds), startSpreadSeconds: 0, startKnown: true };
  if (estimate.clock === undefined)
    return {
      elapsedSeconds: age(job.startedAt ?? createdAtSeconds),
      startSpreadSeconds: 0,
      startKnown: false,
    };
  return {
    elapsedSeconds: age(window.from),
    startSpreadSeconds: Math.max(0, Math.min(now, window.to ?? window.from) - window.from),
    startKnown: window.to !== undefined,
  };
}
