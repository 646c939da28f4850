// The four activities, built by a factory that takes their dependencies, so tests can hand
// them a Sora client and a container pointing at the emulator and Azurite. Expected
// failures come back as data (JobResult / DownloadResult) so the orchestrator decides
// deterministically what is safe to retry; only a download's transient errors are thrown,
// because its retries are plain callActivityWithRetry.
import { SoraContentFilteredError, SoraOutcomeUnknownError, SoraPermanentError, SoraTransientError } from '../errors.js';
import type {
  ActivityFailure, CancelVideoJobInput, CreateVideoJobInput, DownloadResult, DownloadVideoInput, JobRef, JobResult, JobSummary, StoredBlobRef, StoredVideoRef,
} from '../orchestrations/contracts.js';
import type { CreateVideoJobInput as SoraCreateInput, SoraClient, VideoJobSnapshot } from '../sora/client.js';
import { streamVideoToBlob, videoBlobName, type VideoBlobMetadata } from '../storage/video-blobs.js';
import type { ContainerClient } from '@azure/storage-blob';
import type { JobClaims } from './job-claims.js';

/** Where an activity's warnings go (the InvocationContext the Functions host passes). */
export interface Warner {
  warn(message: string): void;
}

export interface ActivityDeps {
  sora: SoraClient;
  container: () => Promise<ContainerClient>;
  claims: JobClaims;
  /** Unix seconds (injectable for tests of the adoption window). */
  nowSeconds?: () => number;
  /** How long a create whose answer was lost may take to show up in the job list (default 60 s,
   * twice the request timeout in the app). Half of it is how long a creator may still be about
   * to claim the job it just made. */
  createSettleSeconds?: number;
}

/** How far back (seconds) a job may have been created, relative to our clock, and still be adopted. */
const ADOPTION_SKEW_SECONDS = 10;
const ADOPTION_LIST_LIMIT = 50;
/** Tries to store a thumbnail before going on without it. */
const THUMBNAIL_ATTEMPTS = 2;
/** Tries to delete a job created for a request cancelled meanwhile. */
const CANCEL_DELETE_ATTEMPTS = 3;

/** Runs `work` up to `attempts` times, pausing pauseMs × the attempt number after each
 * failure; the last failure is thrown. For the few calls no orchestrator retries for us. */
async function tryTimes<T>(attempts: number, pauseMs: number, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs * attempt));
    }
  }
}

export function toJobSummary(job: VideoJobSnapshot): JobSummary {
  return {
    jobId: job.jobId, family: job.family, phase: job.phase, soraStatus: job.soraStatus, progress: job.progress,
    failureReason: job.failureReason, generationIds: job.generations.map((g) => g.id), createdAt: job.createdAt,
  };
}

/** Named errors → data the orchestrator can act on. Unknown errors (storage, bugs) count as transient. */
export function toFailure(error: unknown): ActivityFailure {
  if (error instanceof SoraContentFilteredError) return { ok: false, kind: 'content-filtered', message: error.message, status: error.status, code: error.code };
  if (error instanceof SoraPermanentError) return { ok: false, kind: 'permanent', message: error.message, status: error.status, code: error.code };
  if (error instanceof SoraTransientError) return { ok: false, kind: 'transient', message: error.message, status: error.status, retryAfterSeconds: error.retryAfterSeconds };
  return { ok: false, kind: 'transient', message: error instanceof Error ? error.message : String(error) };
}

/** A listed job that could be the answer to our lost create: same parameters, created since. */
function matches(job: VideoJobSnapshot, request: SoraCreateInput, sinceSeconds: number): boolean {
  const same = <T>(seen: T | undefined, wanted: T) => seen === undefined || seen === wanted;
  return job.createdAt >= sinceSeconds - ADOPTION_SKEW_SECONDS
    && same(job.model, request.model) && same(job.width, request.width) && same(job.height, request.height)
    && same(job.seconds, request.seconds) && same(job.prompt, request.prompt);
}

export function createActivities(deps: ActivityDeps) {
  const nowSeconds = deps.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const settleSeconds = deps.createSettleSeconds ?? 60;

  /** Finds and claims the job a lost create made, oldest candidate first. */
  async function adopt(instanceId: string, request: SoraCreateInput, sinceSeconds: number): Promise<VideoJobSnapshot | undefined> {
    const recent = await deps.sora.listRecentJobs(request.family, ADOPTION_LIST_LIMIT);
    // A job whose prompt Sora does not echo (the videos API) could be another live request's,
    // made with the same size: take it only once its creator would have claimed it (an answer
    // comes within a request timeout), so no request adopts, and shows, another's video. Two
    // creates of the same size lost at once can still swap: nothing in such a job says whose it is.
    const claimable = (job: VideoJobSnapshot) => job.prompt !== undefined || nowSeconds() - job.createdAt >= settleSeconds / 2;
    const candidates = recent.filter((job) => matches(job, request, sinceSeconds) && claimable(job)).sort((a, b) => a.createdAt - b.createdAt);
    for (const job of candidates) {
      if (await deps.claims.claimJob(job.jobId, instanceId)) {
        await deps.claims.writeIntent(instanceId, { family: request.family, startedAt: sinceSeconds, jobId: job.jobId });
        return job;
      }
    }
    return undefined;
  }

  /** Creates the job, unless the caller cancelled the request before or while it was made.
   * DELETE terminates the instance, marks it cancelled, then deletes the job the intent
   * names; this writes the job id into the intent, then reads the mark. Whichever comes
   * second sees the other's write, so a job created during a cancel is always deleted. */
  async function createVideoJob(input: CreateVideoJobInput): Promise<JobResult> {
    const { instanceId } = input;
    const cancelled = () => deps.claims.isCancelled(instanceId);
    try {
      if (await cancelled()) return { ok: false, kind: 'permanent', message: 'The request was cancelled before its Sora job was created' };
      const result = await createOrAdopt(input);
      if (!result.ok || !(await cancelled())) return result;
      // Nobody retries for a terminated instance: try a few times here, 1 s then 2 s apart.
      const { family, jobId } = result.job;
      await tryTimes(CANCEL_DELETE_ATTEMPTS, 1000, () => deps.sora.deleteJob(family, jobId));
      return { ok: false, kind: 'permanent', message: `The request was cancelled while its Sora job ${jobId} was being created; the job was deleted` };
    } catch (error) {
      return toFailure(error);
    }
  }

  async function createOrAdopt(input: CreateVideoJobInput): Promise<JobResult> {
    const { instanceId, request } = input;
    try {
      const intent = await deps.claims.readIntent(instanceId);
      // An earlier attempt of this activity got as far as a job: use it.
      if (intent?.jobId) return { ok: true, job: toJobSummary(await deps.sora.getJob(intent.family, intent.jobId)), adopted: true };
      if (intent?.sentAt !== undefined) {
        // An earlier create was sent and its answer never came (or the worker died): the
        // job may exist, or still appear. Adopt it, or wait until it cannot appear any more.
        const adopted = await adopt(instanceId, request, intent.startedAt);
        if (adopted) return { ok: true, job: toJobSummary(adopted), adopted: true };
        const waited = nowSeconds() - intent.sentAt;
        if (waited < settleSeconds) {
          return { ok: false, kind: 'transient', message: `A create sent ${waited}s ago has not answered and its job is not listed yet; waiting up to ${settleSeconds}s before sending again` };
        }
      }
      const startedAt = intent?.startedAt ?? nowSeconds();
      await deps.claims.writeIntent(instanceId, { family: request.family, startedAt, sentAt: nowSeconds() });
      let job: VideoJobSnapshot;
      try {
        job = await deps.sora.createJob(request);
      } catch (error) {
        if (error instanceof SoraOutcomeUnknownError) {
          const adopted = await adopt(instanceId, request, startedAt);
          if (adopted) return { ok: true, job: toJobSummary(adopted), adopted: true };
          return { ok: false, kind: 'transient', message: `${error.message}; no job has appeared yet, so the next attempt looks again before sending` };
        }
        // Sora answered: no job was made, so the next attempt may send at once.
        await deps.claims.writeIntent(instanceId, { family: request.family, startedAt });
        throw error;
      }
      if (!(await deps.claims.claimJob(job.jobId, instanceId))) {
        // Another request whose own create was lost adopted this job (same parameters) in the
        // moment before our claim: it is theirs now. Ours counts as lost (the intent still says
        // sent), so the next attempt adopts the job their create may have made, or re-sends.
        return { ok: false, kind: 'transient', message: `The Sora job ${job.jobId} was adopted by another request before this one claimed it; looking for this request's job again` };
      }
      await deps.claims.writeIntent(instanceId, { family: request.family, startedAt, jobId: job.jobId });
      return { ok: true, job: toJobSummary(job) };
    } catch (error) {
      return toFailure(error);
    }
  }

  async function getVideoJobStatus(ref: JobRef): Promise<JobResult> {
    try {
      return { ok: true, job: toJobSummary(await deps.sora.getJob(ref.family, ref.jobId)) };
    } catch (error) {
      return toFailure(error);
    }
  }

  async function downloadVideo(input: DownloadVideoInput, log?: Warner): Promise<DownloadResult> {
    const blobName = videoBlobName(input.instanceId, input.generationId);
    const metadata = {
      jobId: input.jobId, generationId: input.generationId, model: input.model, size: input.size, seconds: String(input.seconds), prompt: input.prompt,
    };
    try {
      const content = await deps.sora.openVideoContent(input.family, input.jobId, input.generationId);
      const stored = await streamVideoToBlob(await deps.container(), blobName, content.body, metadata, content.contentLength);
      const video: StoredVideoRef = { generationId: input.generationId, blobName: stored.blobName, bytes: stored.bytes, contentType: stored.contentType };
      const thumbnail = await storeThumbnail(input, metadata, log);
      return { ok: true, video: thumbnail ? { ...video, thumbnail } : video };
    } catch (error) {
      const failure = toFailure(error);
      // Transient: throw, so callActivityWithRetry tries again. Permanent (e.g. expired content): report.
      if (failure.kind === 'transient') throw error;
      return failure;
    }
  }

  /** The generation's thumbnail beside its video, best effort: a video is never failed (or
   * downloaded again) for want of its still, so after a second failed try we go on without. */
  async function storeThumbnail(input: DownloadVideoInput, metadata: VideoBlobMetadata, log?: Warner): Promise<StoredBlobRef | undefined> {
    const blobName = videoBlobName(input.instanceId, input.generationId, 'jpg');
    try {
      const stored = await tryTimes(THUMBNAIL_ATTEMPTS, 0, async () => {
        const content = await deps.sora.openThumbnail(input.family, input.jobId, input.generationId);
        // Sora 1 labels its JPEGs image/jpg, which is not a registered type: browsers want image/jpeg.
        return streamVideoToBlob(await deps.container(), blobName, content.body, metadata, content.contentLength, 'image/jpeg');
      });
      return { blobName: stored.blobName, bytes: stored.bytes, contentType: stored.contentType };
    } catch (error) {
      log?.warn(`No thumbnail stored for generation ${input.generationId}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  /** Deletes the videos stored under an instance (a failed request must leave no blob). */
  async function deleteStoredVideos(instanceId: string): Promise<number> {
    const container = await deps.container();
    let deleted = 0;
    for await (const blob of container.listBlobsFlat({ prefix: `${videoBlobName(instanceId, 'x').split('/')[0]}/` })) {
      await container.deleteBlob(blob.name, { deleteSnapshots: 'include' }).catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404) throw error;
      });
      deleted++;
    }
    return deleted;
  }

  /** Best effort: the job may already be gone; cleanup never fails the caller. */
  async function cancelVideoJob(input: CancelVideoJobInput): Promise<{ ok: boolean; blobsDeleted?: number; message?: string }> {
    const problems: string[] = [];
    await deps.sora.deleteJob(input.family, input.jobId).catch((error: Error) => problems.push(error.message));
    const blobsDeleted = input.instanceId ? await deleteStoredVideos(input.instanceId).catch((error: Error) => {
      problems.push(error.message);
      return 0;
    }) : 0;
    return problems.length ? { ok: false, blobsDeleted, message: problems.join('; ') } : { ok: true, blobsDeleted };
  }

  return { createVideoJob, getVideoJobStatus, downloadVideo, cancelVideoJob };
}

export type VideoActivities = ReturnType<typeof createActivities>;
