// The durable pipeline: create a Sora job, poll it on durable timers until it ends, stream
// every generation into Blob Storage, output the blob references. Replayed from history
// after every step, so it only uses context.df: no clock, no env, no I/O (ESLint enforces).
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import {
  activityNames, type ActivityFailure, type DownloadResult, type GenerateVideoInput, type GenerateVideoOutput,
  type CancelVideoJobInput, type GenerateVideoProgress, type JobRef, type JobResult, type JobSummary, type StoredVideoRef,
} from './contracts.js';
import { expectedJobSeconds, nextPollDelaySeconds, seeProgress, type PollObservation, type ProgressSeen } from './poll-policy.js';

/** Downloads are idempotent (a complete blob is kept), so any failure may be retried. */
const DOWNLOAD_ATTEMPTS = 4;
const DOWNLOAD_FIRST_RETRY_MS = 2000;

const isWaiting = (job: JobSummary) => job.phase === 'queued' || job.phase === 'running';

function describeFailure(failure: ActivityFailure): string {
  const status = failure.status ? ` (HTTP ${failure.status}${'code' in failure && failure.code ? `, ${failure.code}` : ''})` : '';
  return `${failure.message}${status}`;
}

/** After a failed call: wait as the service asked (429) or back off on consecutive errors. */
function afterFailure(failure: ActivityFailure, consecutiveErrors: number): PollObservation {
  return failure.kind === 'transient' && failure.status === 429
    ? { kind: 'throttled', retryAfterSeconds: failure.retryAfterSeconds, consecutiveErrors }
    : { kind: 'transient-error', consecutiveErrors };
}

export const generateVideo: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput() as GenerateVideoInput;
  const { request } = input;
  // The replay-safe clock; every Date below is built from it (new Date(ms)), never new Date().
  const now = () => context.df.currentUtcDateTime.getTime();
  const deadline = now() + input.deadlineMinutes * 60_000;
  const status: GenerateVideoProgress = { phase: 'creating', family: request.family, polls: 0 };
  const report = () => context.df.setCustomStatus({ ...status });
  const timedOut = (what: string) => new Error(`Timed out after ${input.deadlineMinutes} minutes: ${what}`);

  function* cancelJob(job: JobRef): Generator<df.Task, void, unknown> {
    status.phase = 'cleaning-up';
    status.nextPollAt = undefined;
    report();
    // A failed request leaves no blob: a sibling generation may already have been stored.
    yield context.df.callActivity(activityNames.cancelVideoJob, { family: job.family, jobId: job.jobId, instanceId: context.df.instanceId } satisfies CancelVideoJobInput);
  }

  // 1. Create the job. Only transient failures are retried; the activity itself makes a
  //    retried create safe (it adopts a job whose create answer was lost).
  report();
  let job: JobSummary | undefined;
  for (let errors = 1; !job; errors++) {
    const result = (yield context.df.callActivity(activityNames.createVideoJob, { instanceId: context.df.instanceId, request })) as JobResult;
    if (result.ok) {
      job = result.job;
      break;
    }
    if (result.kind !== 'transient') throw new Error(`Sora refused the video request: ${describeFailure(result)}`);
    const waitMs = nextPollDelaySeconds(afterFailure(result, errors), input.poll) * 1000;
    if (now() + waitMs > deadline) throw timedOut(`Sora never accepted the job (last error: ${describeFailure(result)})`);
    yield context.df.createTimer(new Date(now() + waitMs));
  }
  const ref: JobRef = { family: job.family, jobId: job.jobId };

  // 2. Poll on durable timers, pacing by what the job tells us, until it ends or the deadline.
  const expectedSeconds = expectedJobSeconds(request);
  let lastFailure: ActivityFailure | undefined;
  let errors = 0;
  const elapsedSeconds = (createdAt: number) => Math.max(0, now() / 1000 - createdAt);
  let progressSeen: ProgressSeen = {};
  while (isWaiting(job)) {
    if (!lastFailure) progressSeen = seeProgress(progressSeen, job.progress, elapsedSeconds(job.createdAt));
    Object.assign(status, { phase: job.phase, jobId: job.jobId, soraStatus: job.soraStatus, progress: job.progress });
    if (now() >= deadline) {
      yield* cancelJob(ref);
      throw timedOut(`the Sora job ${job.jobId} was still ${job.soraStatus}; it was cancelled`);
    }
    const observation: PollObservation = lastFailure
      ? afterFailure(lastFailure, errors)
      : { kind: 'status', status: job.soraStatus, progress: job.progress, ...progressSeen, elapsedSeconds: elapsedSeconds(job.createdAt), expectedSeconds };
    const fireAt = Math.min(deadline, now() + nextPollDelaySeconds(observation, input.poll) * 1000);
    status.nextPollAt = new Date(fireAt).toISOString();
    report();
    yield context.df.createTimer(new Date(fireAt));

    const result = (yield context.df.callActivity(activityNames.getVideoJobStatus, ref)) as JobResult;
    status.polls++;
    if (result.ok) {
      job = result.job;
      lastFailure = undefined;
      errors = 0;
    } else if (result.kind === 'transient') {
      lastFailure = result;
      errors++;
    } else {
      yield* cancelJob(ref);
      throw new Error(`Reading the Sora job ${ref.jobId} failed: ${describeFailure(result)}`);
    }
  }
  Object.assign(status, { jobId: job.jobId, soraStatus: job.soraStatus, progress: job.progress, nextPollAt: undefined });

  if (job.phase !== 'succeeded') {
    yield* cancelJob(ref);
    throw new Error(`The Sora job ${job.jobId} ${job.phase}: ${job.failureReason ?? 'no reason given'}`);
  }
  if (job.generationIds.length === 0) {
    yield* cancelJob(ref);
    throw new Error(`The Sora job ${job.jobId} succeeded but listed no generations`);
  }

  // 3. Stream every generation into Blob Storage, in parallel.
  status.phase = 'downloading';
  report();
  const retry = new df.RetryOptions(DOWNLOAD_FIRST_RETRY_MS, DOWNLOAD_ATTEMPTS);
  retry.backoffCoefficient = 2;
  const downloads = job.generationIds.map((generationId) =>
    context.df.callActivityWithRetry(activityNames.downloadVideo, retry, {
      ...ref, instanceId: context.df.instanceId, generationId, model: request.model,
      size: `${request.width}x${request.height}`, seconds: request.seconds, prompt: request.prompt,
    }),
  );
  let results: DownloadResult[];
  try {
    results = (yield context.df.Task.all(downloads)) as DownloadResult[];
  } catch (error) {
    yield* cancelJob(ref);
    throw new Error(`Downloading the video failed after ${DOWNLOAD_ATTEMPTS} attempts: ${(error as Error).message.split('\n')[0]}`);
  }
  const failed = results.find((r): r is ActivityFailure => !r.ok);
  if (failed) {
    yield* cancelJob(ref);
    throw new Error(`Downloading the video failed: ${describeFailure(failed)}`);
  }
  const videos: StoredVideoRef[] = results.map((r) => (r as { ok: true; video: StoredVideoRef }).video);
  const output: GenerateVideoOutput = { jobId: job.jobId, family: job.family, model: request.model, polls: status.polls, videos };
  return output;
};
