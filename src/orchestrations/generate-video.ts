// The durable pipeline: create a job at the request's provider, poll it on durable timers
// until it ends, stream every output into Blob Storage, output the blob references. It names
// no provider: jobs are addressed by the provider instance's name, whatever its kind. Replayed from history
// after every step, so it only uses context.df: no clock, no env, no I/O (ESLint enforces).
import * as df from 'durable-functions';
import { z } from 'zod';
import { normalisedRequestSchema } from '../requests/request-rules.js';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import { deliveredCost, estimatedCost } from '../admission/cost.js';
import {
  utcDay,
  type AdmitAsk,
  type CreatedInput,
  type DeliveredInput,
  type RequestedInput,
  type ThrottledInput,
  type WakeAnswer,
} from '../admission/line.js';
import {
  ADMISSION_ENTITY,
  ADMISSION_TURN_EVENT,
  activityNames,
  type AdmissionAnswer,
  type ActivityFailure,
  type CallbackEvent,
  type DownloadResult,
  type DownloadVideoInput,
  type GenerateVideoInput,
  type GenerateVideoOutput,
  type CancelVideoJobInput,
  type GenerateVideoProgress,
  type JobRef,
  type JobDurationSample,
  type JobResult,
  type JobSummary,
  type ReleaseInput,
  type HoldUploadInput,
  type StoredVideoRef,
  UPSTREAM_JOB_EVENT,
  type WakeWaitersInput,
} from './contracts.js';
import {
  admissionWaitLeaseMs,
  admissionWaitSeconds,
  expectedJobSeconds,
  nextPollDelaySeconds,
  seeProgress,
  webhookFallbackDelaySeconds,
  type PollObservation,
  type ProgressSeen,
} from './poll-policy.js';
import {
  jobDurationSample,
  learnedAge,
  medianEndGiven,
  seeStart,
  type DurationEstimate,
  type JobKind,
  type StartWindow,
} from './duration-estimate.js';

/**
 * Downloads are idempotent (a complete blob is kept), so a transient failure (the activity
 * throws only those; a permanent one is its result) is retried until the request's deadline,
 * not a fixed number of times: on a loaded machine or a flaky network four quick attempts could
 * all fail while the output was still there to fetch. Backoff 2 s, doubling, at most 30 s apart;
 * at least the first four attempts even when the deadline is near.
 */
const DOWNLOAD_FIRST_RETRY_MS = 2000;
const DOWNLOAD_MAX_RETRY_INTERVAL_MS = 30_000;
const DOWNLOAD_MIN_ATTEMPTS = 4;

/** Retry options for the downloads: attempts spaced by the backoff until `timeLeftMs` has passed. */
export function downloadRetry(timeLeftMs: number): df.RetryOptions {
  const intervals: number[] = [];
  for (let interval = DOWNLOAD_FIRST_RETRY_MS, spent = 0; ; interval *= 2) {
    const wait = Math.min(interval, DOWNLOAD_MAX_RETRY_INTERVAL_MS);
    if (intervals.length + 1 >= DOWNLOAD_MIN_ATTEMPTS && spent + wait > timeLeftMs) break;
    intervals.push(wait);
    spent += wait;
  }
  const retry = new df.RetryOptions(DOWNLOAD_FIRST_RETRY_MS, intervals.length + 1);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = DOWNLOAD_MAX_RETRY_INTERVAL_MS;
  return retry;
}

const isWaiting = (job: JobSummary) => job.phase === 'queued' || job.phase === 'running';

function describeFailure(failure: ActivityFailure): string {
  const status = failure.status
    ? ` (HTTP ${failure.status}${'code' in failure && failure.code ? `, ${failure.code}` : ''})`
    : '';
  return `${failure.message}${status}`;
}

/** After a failed call: wait as the service asked (429) or back off on consecutive errors. */
function afterFailure(failure: ActivityFailure, consecutiveErrors: number): PollObservation {
  return failure.kind === 'transient' && failure.status === 429
    ? { kind: 'throttled', retryAfterSeconds: failure.retryAfterSeconds, consecutiveErrors }
    : { kind: 'transient-error', consecutiveErrors };
}

function* runPipeline(
  context: OrchestrationContext,
  input: GenerateVideoInput,
): Generator<df.Task, GenerateVideoOutput, unknown> {
  const { request } = input;
  // Whose claims and blobs the activities use: this run's (no runId: started before runs had ids).
  const run = { instanceId: context.df.instanceId, ...(input.runId ? { runId: input.runId } : {}) };
  // The replay-safe clock; every Date below is built from it (new Date(ms)), never new Date().
  const now = () => context.df.currentUtcDateTime.getTime();
  const deadline = now() + input.deadlineMinutes * 60_000;
  const status: GenerateVideoProgress = {
    phase: 'creating',
    provider: request.provider,
    model: request.model,
    polls: 0,
    events: 0,
  };
  const report = () => context.df.setCustomStatus({ ...status });
  const timedOut = (what: string) => new Error(`Timed out after ${input.deadlineMinutes} minutes: ${what}`);

  function* cancelJob(job: JobRef): Generator<df.Task, void, unknown> {
    status.phase = 'cleaning-up';
    status.nextPollAt = undefined;
    report();
    // A failed request leaves no blob: a sibling generation may already have been stored.
    yield context.df.callActivity(activityNames.cancelVideoJob, {
      ...job,
      ...run,
    } satisfies CancelVideoJobInput);
  }

  // 0. An uploaded image is kept until the request's deadline, so it cannot expire while the
  //    request waits for its turn or its job (the create activity makes the provider's link).
  const image = request.image;
  if (image && 'uploadId' in image) {
    try {
      yield context.df.callActivityWithRetry(activityNames.holdUpload, new df.RetryOptions(2000, 3), {
        uploadId: image.uploadId,
        untilIso: new Date(deadline).toISOString(),
      } satisfies HoldUploadInput);
    } catch (error) {
      throw new Error(
        `The uploaded image could not be kept for the request: ${(error as Error).message.split('\n')[0]}`,
      );
    }
  }

  // 0. Governed accounts: wait for a turn in the account's line (a running slot and a create
  //    token). Every way out below gives the turn back (docs/admission.md).
  const admission = input.admission;
  const entity = admission ? new df.EntityId(ADMISSION_ENTITY, admission.account) : undefined;
  // The account's ledger (GET /api/usage), kept for every provider, governed or not.
  const ledger =
    entity ?? (input.usageAccount ? new df.EntityId(ADMISSION_ENTITY, input.usageAccount) : undefined);
  const releaseInput = (): ReleaseInput => ({ ...run, now: now() });
  if (ledger) context.df.signalEntity(ledger, 'requested', { now: now() } satisfies RequestedInput);
  try {
    return yield* admittedPipeline();
  } catch (error) {
    // Failed, timed out or refused: the slot (or the place in line) goes back at once.
    if (entity) {
      try {
        yield* wakeNext(yield context.df.callEntity(entity, 'release', releaseInput()));
      } catch {
        // The line frees it at its lease's end anyway.
      }
    }
    throw error;
  }

  /** Tells the waiters the line named that a slot or a create may have come free (best effort:
   * each asks again at its timer anyway). */
  function* wakeNext(answer: unknown): Generator<df.Task, void, unknown> {
    const instanceIds = (answer as WakeAnswer | undefined)?.wake ?? [];
    if (instanceIds.length === 0) return;
    try {
      yield context.df.callActivity(activityNames.wakeAdmissionWaiters, {
        instanceIds,
      } satisfies WakeWaitersInput);
    } catch {
      // They ask at their timers.
    }
  }

  /** Waits for the request's turn; the UTC day it was admitted on (its usage's day). */
  function* waitForTurn(account: string): Generator<df.Task, string | undefined, unknown> {
    const arrivedAt = admission!.arrivedAt ?? now();
    const estimate = input.price && estimatedCost(input.price, request);
    // A slot or a create freed by another request wakes this one (wakeAdmissionWaiters); one
    // waiter serves every wait until it fires (as the upstream job event below).
    let turn: df.Task | undefined;
    for (;;) {
      const answer = (yield context.df.callEntity(entity!, 'ask', {
        ...run,
        arrivedAt,
        now: now(),
        limits: admission!.limits,
        waitLeaseMs: admissionWaitLeaseMs(input.poll),
        holdUntil: deadline,
        ...(estimate ? { costUsd: estimate.estimatedUsd } : {}),
      } satisfies AdmitAsk)) as AdmissionAnswer;
      if (answer.state === 'admitted') {
        status.admission = { account, state: 'admitted' };
        return answer.day;
      }
      if (answer.state === 'released') throw new Error(`The request gave up its turn at ${request.provider}`);
      if (answer.state === 'over-budget')
        throw new Error(
          `The daily budget of ${request.provider} ($${answer.budgetUsd}) would be crossed ($${answer.spentUsd} spent today); it resets at ${answer.resetAt}`,
        );
      const { position, ahead, reason } = answer;
      status.admission = { account, state: 'waiting', position, ahead, reason };
      if (now() >= deadline)
        throw timedOut(`still waiting for a slot at ${request.provider} (${ahead} ahead)`);
      const fireAt = Math.min(
        deadline,
        now() +
          admissionWaitSeconds(answer, { nowMs: now(), waitedMs: now() - arrivedAt }, input.poll) * 1000,
      );
      status.nextPollAt = new Date(fireAt).toISOString();
      report();
      const timer = context.df.createTimer(new Date(fireAt));
      turn ??= context.df.waitForExternalEvent(ADMISSION_TURN_EVENT);
      const winner = (yield context.df.Task.any([timer, turn])) as df.Task;
      if (winner === turn) {
        timer.cancel();
        turn = undefined;
      }
    }
  }

  function* admittedPipeline(): Generator<df.Task, GenerateVideoOutput, unknown> {
    let admittedDay: string | undefined;
    if (admission) {
      report();
      admittedDay = yield* waitForTurn(admission.account);
      status.nextPollAt = undefined;
    }

    // 1. Create the job. Only transient failures are retried; the activity itself makes a
    //    retried create safe (it adopts a job whose create answer was lost).
    report();
    let job: JobSummary | undefined;
    let webhook = false;
    for (let errors = 1; !job; errors++) {
      const result = (yield context.df.callActivity(activityNames.createVideoJob, {
        ...run,
        request,
      })) as JobResult;
      if (result.ok) {
        job = result.job;
        webhook = result.webhook === true;
        break;
      }
      if (result.kind !== 'transient')
        throw new Error(`${request.provider} refused the video request: ${describeFailure(result)}`);
      const waitMs = nextPollDelaySeconds(afterFailure(result, errors), input.poll) * 1000;
      // Refused for the rate although the line admitted it: the account is busier than its
      // limits say; the line lowers them for a while (docs/admission.md#backing-off).
      if (entity && result.status === 429)
        context.df.signalEntity(entity, 'throttled', {
          now: now(),
          retryAfterMs: (result.retryAfterSeconds ?? 0) * 1000,
        } satisfies ThrottledInput);
      if (now() + waitMs > deadline)
        throw timedOut(`${request.provider} never accepted the job (last error: ${describeFailure(result)})`);
      yield context.df.createTimer(new Date(now() + waitMs));
    }
    // One upstream job on the request's usage day; the line paces the next create from now (the
    // provider took this one by then) and names who may go next.
    const usageDay = admittedDay ?? utcDay(now());
    const estimateUsd = input.price ? estimatedCost(input.price, request).estimatedUsd : 0;
    const createdInput: CreatedInput = { instanceId: run.instanceId, now: now(), day: usageDay };
    if (entity) yield* wakeNext(yield context.df.callEntity(entity, 'created', createdInput));
    else if (ledger) context.df.signalEntity(ledger, 'created', { ...createdInput, costUsd: estimateUsd });
    const ref: JobRef = { provider: request.provider, model: request.model, jobId: job.jobId };
    // Providers without a creation time (fal's queue) count from when the create answered.
    const createdAtSeconds = job.createdAt ?? now() / 1000;
    const kind: JobKind = {
      provider: request.provider,
      model: request.model,
      size: request.size,
      seconds: request.seconds,
      variants: request.variants,
    };
    // How long jobs of this kind took (an activity reads the shared figures, so replay sees the
    // same answer); none, or a failed read, leaves the adaptive policy to pace alone.
    let learned: DurationEstimate | undefined;
    if (input.learnDurations) {
      try {
        learned =
          ((yield context.df.callActivity(
            activityNames.readJobDurations,
            kind,
          )) as DurationEstimate | null) ?? undefined;
      } catch {
        learned = undefined;
      }
    }

    // 2. Poll on durable timers, pacing by what the job tells us, until it ends or the deadline.
    const expectedSeconds = expectedJobSeconds(request);
    let lastFailure: ActivityFailure | undefined;
    let errors = 0;
    const elapsedSeconds = () => Math.max(0, now() / 1000 - createdAtSeconds);
    let progressSeen: ProgressSeen = {};
    // Where the job's start lies, from the answers so far (seeStart): the create's answer first.
    // readAt: when the answer being looked at was asked for (the create: when the job was made).
    let startWindow: StartWindow = { from: createdAtSeconds };
    let readAt = createdAtSeconds;
    // The provider's webhook, once verified, arrives as this event (POST /api/callbacks/…). One
    // task serves every wait until it fires: a fresh waiter per poll would leave earlier ones
    // pending, and an event handed to an abandoned waiter would be lost. Durable buffers an event
    // raised before anything waits for it, and ignores one raised after the instance ended.
    let upstreamEvent: df.Task | undefined = webhook
      ? context.df.waitForExternalEvent(UPSTREAM_JOB_EVENT)
      : undefined;
    while (isWaiting(job)) {
      if (!lastFailure) {
        progressSeen = seeProgress(progressSeen, job.progress, elapsedSeconds());
        startWindow = seeStart(startWindow, job, readAt, now() / 1000);
      }
      Object.assign(status, {
        phase: job.phase,
        jobId: job.jobId,
        upstreamStatus: job.status,
        progress: job.progress,
        queuePosition: job.queuePosition,
      });
      if (now() >= deadline) {
        yield* cancelJob(ref);
        throw timedOut(`the ${request.provider} job ${job.jobId} was still ${job.status}; it was cancelled`);
      }
      // The job's age on the clock its kind's durations were measured on; the ETA reads it
      // from the middle of the window its start lies in.
      const age = learned && learnedAge(learned, startWindow, job, createdAtSeconds, now() / 1000);
      const likelyAge = age ? Math.max(0, age.elapsedSeconds - age.startSpreadSeconds / 2) : 0;
      const readyIn = learned && medianEndGiven(learned, likelyAge);
      status.expectedReadyAt =
        readyIn === undefined || !Number.isFinite(readyIn)
          ? undefined
          : new Date(now() + (readyIn - likelyAge) * 1000).toISOString();
      const observation: PollObservation = lastFailure
        ? afterFailure(lastFailure, errors)
        : {
            kind: 'status',
            stage: job.stage ?? (job.phase === 'queued' ? 'waiting' : 'working'),
            progress: job.progress,
            ...progressSeen,
            elapsedSeconds: elapsedSeconds(),
            expectedSeconds,
            ...(learned && age ? { learned: { estimate: learned, ...age } } : {}),
          };
      const delaySeconds = nextPollDelaySeconds(observation, input.poll);
      // With a webhook expected, a poll is only the fallback for a lost one: wait longer.
      const fireAt = Math.min(
        deadline,
        now() + (upstreamEvent ? webhookFallbackDelaySeconds(delaySeconds, input.poll) : delaySeconds) * 1000,
      );
      status.nextPollAt = new Date(fireAt).toISOString();
      report();
      const timer = context.df.createTimer(new Date(fireAt));
      if (upstreamEvent) {
        const winner = (yield context.df.Task.any([timer, upstreamEvent])) as df.Task;
        if (winner === upstreamEvent) {
          timer.cancel();
          const reported = upstreamEvent.result as JobSummary;
          upstreamEvent = context.df.waitForExternalEvent(UPSTREAM_JOB_EVENT);
          // Only this run's job: an event about another (a late delivery for an earlier run of
          // this id) changes nothing here.
          if (reported?.jobId !== job.jobId) continue;
          status.events++;
          readAt = now() / 1000;
          lastFailure = undefined;
          errors = 0;
          if (reported.phase !== 'succeeded') {
            // The provider signed it: a progress or failure report is trusted as is.
            job = reported;
            if (!isWaiting(job)) upstreamEvent = undefined;
            continue;
          }
          // "succeeded" is confirmed by one status read before anything is downloaded: an early
          // one (outputs not there yet) sends the wait back to polling instead of failing.
          upstreamEvent = undefined;
        }
      } else {
        yield timer;
      }

      // The status call answers for no earlier than now (an event's report: when it arrived).
      readAt = now() / 1000;
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
        throw new Error(
          `Reading the ${request.provider} job ${ref.jobId} failed: ${describeFailure(result)}`,
        );
      }
    }
    Object.assign(status, {
      jobId: job.jobId,
      upstreamStatus: job.status,
      progress: job.progress,
      queuePosition: undefined,
      nextPollAt: undefined,
      expectedReadyAt: undefined,
    });
    // The job has ended at the provider: its slot goes to the next in line, woken now.
    if (entity) yield* wakeNext(yield context.df.callEntity(entity, 'release', releaseInput()));

    if (job.phase !== 'succeeded') {
      yield* cancelJob(ref);
      throw new Error(
        `The ${request.provider} job ${job.jobId} ${job.phase}: ${job.failure ?? 'no reason given'}`,
      );
    }
    if (job.outputIds.length === 0) {
      yield* cancelJob(ref);
      throw new Error(`The ${request.provider} job ${job.jobId} succeeded but listed no outputs`);
    }

    // 3. Stream every output into Blob Storage, in parallel.
    status.phase = 'downloading';
    report();
    const retry = downloadRetry(deadline - now());
    const downloads = job.outputIds.map((outputId) =>
      context.df.callActivityWithRetry(activityNames.downloadVideo, retry, {
        ...ref,
        ...run,
        outputId,
        size: request.size,
        seconds: request.seconds,
      } satisfies DownloadVideoInput),
    );
    let results: DownloadResult[];
    try {
      results = (yield context.df.Task.all(downloads)) as DownloadResult[];
    } catch (error) {
      yield* cancelJob(ref);
      throw new Error(
        `Downloading the video failed after ${retry.maxNumberOfAttempts} attempts: ${(error as Error).message.split('\n')[0]}`,
      );
    }
    const failed = results.find((r): r is ActivityFailure => !r.ok);
    if (failed) {
      yield* cancelJob(ref);
      throw new Error(`Downloading the video failed: ${describeFailure(failed)}`);
    }
    const videos: StoredVideoRef[] = results.map((r) => (r as { ok: true; video: StoredVideoRef }).video);
    // Teach the poll policy how long this job took. Best effort: the video is stored either way.
    const sample = jobDurationSample(job);
    if (input.learnDurations && sample !== undefined) {
      try {
        yield context.df.callActivity(activityNames.recordJobDuration, {
          kind,
          ...sample,
        } satisfies JobDurationSample);
      } catch {
        // The figures miss one sample; the request's outcome stands.
      }
    }
    // The day's usage: the delivered cost replaces the estimate it was admitted with.
    if (ledger)
      context.df.signalEntity(ledger, 'delivered', {
        now: now(),
        day: usageDay,
        estimatedUsd: estimateUsd,
        seconds: request.seconds * videos.length,
        usd: input.price ? deliveredCost(input.price, request.seconds, videos.length).estimatedUsd : 0,
      } satisfies DeliveredInput);
    const output: GenerateVideoOutput = {
      provider: request.provider,
      model: request.model,
      jobId: job.jobId,
      polls: status.polls,
      events: status.events,
      videos,
    };
    return output;
  }
}

/** The pipeline, then the caller's event when the request asked for one: scheduled as its own
 * orchestration (an activity starts it), so the receiver never delays or fails the request. */
export const generateVideo: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput() as GenerateVideoInput;
  // The starter validated it; check again (pure, so replay-safe): an input that did not come
  // through the starter (a defect, the durable management API) never reaches a provider, nor
  // its callbackUrl an event.
  const checked = normalisedRequestSchema.safeParse(input.request);
  if (!checked.success)
    throw new Error(
      `Refused an invalid request: ${z.prettifyError(checked.error).replace(/\s+/g, ' ').slice(0, 300)}`,
    );
  // The replay-safe clock of the first episode: when the request began.
  const createdTime = context.df.currentUtcDateTime.toISOString();
  const notify = function* (
    event: Pick<CallbackEvent, 'type' | 'output' | 'error'>,
  ): Generator<df.Task, void, unknown> {
    if (!input.request.callbackUrl) return;
    try {
      yield context.df.callActivity(activityNames.scheduleCallback, {
        ...event,
        instanceId: context.df.instanceId,
        request: input.request,
        createdTime,
      } satisfies CallbackEvent);
    } catch {
      // Scheduling failed: the request's own outcome stands; the status shows no callback.
    }
  };
  let output: GenerateVideoOutput;
  try {
    output = yield* runPipeline(context, input);
  } catch (error) {
    yield* notify({ type: 'video.failed', error: (error as Error).message });
    throw error;
  }
  yield* notify({ type: 'video.completed', output });
  return output;
};
