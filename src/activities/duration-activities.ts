// The two activities that carry learned job durations across the orchestrator's wall: it may not
// do I/O, so it asks readJobDurations for its kind's estimate (recorded in its history, so every
// replay sees the same figures) and hands each finished job's duration to recordJobDuration.
// Both are best effort: figures missing or unreadable only mean the adaptive policy paces alone.
import { estimateOf, type DurationEstimate, type JobKind } from '../orchestrations/duration-estimate.js';
import type { JobDurationSample } from '../orchestrations/contracts.js';
import type { JobDurations } from '../storage/job-durations.js';
import type { Warner } from './video-activities.js';

export function createDurationActivities(durations: JobDurations) {
  /** The kind's estimate, or null while too few jobs of it were seen (or the figures are unreadable). */
  async function readJobDurations(kind: JobKind, log?: Warner): Promise<DurationEstimate | null> {
    try {
      // Samples of no known clock (kept before it was written) pace nothing: they are replaced
      // as the next jobs finish.
      const { samples, clock } = await durations.read(kind);
      return (clock && estimateOf(samples, clock)) ?? null;
    } catch (error) {
      log?.warn(`Job durations unreadable, pacing without them: ${(error as Error).message}`);
      return null;
    }
  }

  async function recordJobDuration(sample: JobDurationSample, log?: Warner): Promise<{ ok: boolean }> {
    try {
      // A sample from a history before the clock was kept: what jobDurationSample then gave
      // (the run where the provider said when it started or how long it ran) is not known.
      if (!sample.clock) return { ok: false };
      await durations.record(sample.kind, sample.seconds, sample.clock);
      return { ok: true };
    } catch (error) {
      log?.warn(`A job duration was not recorded: ${(error as Error).message}`);
      return { ok: false };
    }
  }

  return { readJobDurations, recordJobDuration };
}
