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

/** What the orchestrator is given: how many samples, and durations (seconds) at every
 * QUANTILE_STEP from the fastest (0 %) to the slowest (100 %), ascending. */
export interface DurationEstimate {
  samples: number;
  quantiles: number[];
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
export function estimateOf(samples: readonly number[]): DurationEstimate | undefined {
  const valid = samples.filter((s) => Number.isFinite(s) && s > 0);
  if (valid.length < MIN_SAMPLES) return undefined;
  const steps = Math.round(1 / QUANTILE_STEP);
  const quantiles = Array.from({ length: steps + 1 }, (_, i) =>
    round2(sampleQuantile(valid, i * QUANTILE_STEP)),
  );
  return { samples: valid.length, quantiles };
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

/** A finished job's duration to learn from, by the provider's own times, queue apart where it
 * says when the work started (or how long it ran); undefined when it gives no finish time (the
 * moment a poll noticed the end is late by the poll's own pace, so it would teach the policy its
 * own lateness). The schedule reads a job's age on the same clock: see learnedClockStart. */
export function jobDurationSample(job: FinishedJobTimes): number | undefined {
  const positive = (value: number | undefined) =>
    value !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
  if (positive(job.runSeconds)) return round2(job.runSeconds!);
  if (job.finishedAt === undefined) return undefined;
  const from = job.startedAt ?? job.createdAt;
  const seconds = from === undefined ? undefined : positive(job.finishedAt - from);
  return seconds === undefined ? undefined : round2(seconds);
}

/** Where a waiting job's age is counted from for the learned schedule: when it started working
 * if the provider says, else when it was created. A provider that reports only the run's length
 * (runSeconds) has its jobs aged from creation: any queue time then makes polls early, never late. */
export function learnedClockStart(job: FinishedJobTimes, createdAtSeconds: number): number {
  return job.startedAt ?? createdAtSeconds;
}
