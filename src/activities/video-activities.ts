// The four activities, built by a factory that takes their dependencies, so tests can hand
// them providers and a container pointing at the emulator and Azurite. They name no
// provider: each call goes to the adapter the request's provider name resolves to. Expected
// failures come back as data (JobResult / DownloadResult) so the orchestrator decides
// deterministically what is safe to retry; only a download's transient errors are thrown,
// because its retries are plain callActivityWithRetry.
import {
  ContentFilteredError,
  CreateOutcomeUnknownError,
  ProviderPermanentError,
  ProviderTransientError,
} from '../errors.js';
import type {
  ActivityFailure,
  CancelVideoJobInput,
  CreateVideoJobInput,
  DownloadResult,
  DownloadVideoInput,
  HoldUploadInput,
  JobRef,
  JobResult,
  JobSummary,
  StoredBlobRef,
  StoredVideoRef,
} from '../orchestrations/contracts.js';
import type { JobImage, JobSpec, ProviderJob, VideoProvider } from '../providers/provider.js';
import type { UploadStore } from '../uploads/upload-record.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { VideoRequest } from '../requests/video-request.js';
import type { JobClaims } from '../storage/job-claims.js';
import {
  deleteRunBlobs,
  streamVideoToBlob,
  videoBlobName,
  type VideoBlobMetadata,
} from '../storage/video-blobs.js';
import type { ContainerClient } from '@azure/storage-blob';

/** One run of an instance: what claims, intents, cancel marks and blobs are kept under. */
type RunRef = { instanceId: string; runId?: string };

/** Where an activity's warnings go (the InvocationContext the Functions host passes). */
export interface Warner {
  warn(message: string): void;
}

export interface ActivityDeps {
  providers: Pick<ProviderRegistry, 'get'>;
  container: () => Promise<ContainerClient>;
  claims: JobClaims;
  /** Unix seconds (injectable for tests of the adoption window). */
  nowSeconds?: () => number;
  /** The app's public base URL: providers with webhooks are asked to POST to
   * `{callbackBaseUrl}/api/callbacks/{provider}` when a job ends. Unset: polling only. */
  callbackBaseUrl?: string;
  /** How long a create whose answer was lost may take to show up in the job list, or to be
   * safe to send again where there is none (default 60 s; twice the request timeout in the app). */
  createSettleSeconds?: number;
  /** The uploaded images requests name (`image: {uploadId}`); absent: no uploads here. */
  uploads?: UploadStore;
}

/** How long the provider's read link to an uploaded image is valid: it fetches the image when the
 * job starts, which a queue may put off for a while; the link never leaves the create activity
 * (not in its result, the orchestration's history or any status). */
export const IMAGE_LINK_SECONDS = 60 * 60;

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

export function toJobSummary(job: ProviderJob): JobSummary {
  return {
    jobId: job.jobId,
    phase: job.phase,
    stage: job.stage,
    status: job.status,
    progress: job.progress,
    queuePosition: job.queuePosition,
    failure: job.failure,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    runSeconds: job.runSeconds,
    outputIds: job.outputs.map((output) => output.id),
  };
}

/** What the adapter's create takes, from the validated request. */
export function toJobSpec(request: VideoRequest): JobSpec {
  const { model, prompt, seconds, size, variants, options } = request;
  return options
    ? { model, prompt, seconds, size, variants, options }
    : { model, prompt, seconds, size, variants };
}

/** Named errors → data the orchestrator can act on. Unknown errors (storage, bugs) count as transient. */
export function toFailure(error: unknown): ActivityFailure {
  if (error instanceof ContentFilteredError)
    return {
      ok: false,
      kind: 'content-filtered',
      message: error.message,
      status: error.status,
      code: error.code,
    };
  if (error instanceof ProviderPermanentError)
    return { ok: false, kind: 'permanent', message: error.message, status: error.status, code: error.code };
  if (error instanceof ProviderTransientError)
    return {
      ok: false,
      kind: 'transient',
      message: error.message,
      status: error.status,
      retryAfterSeconds: error.retryAfterSeconds,
    };
  return { ok: false, kind: 'transient', message: error instanceof Error ? error.message : String(error) };
}

/** A listed job that is the answer to our lost create: positively tied to this request by
 * its echoed prompt (never by size and length alone: another client's job with the same
 * settings would match), with the same settings, created since we first tried. Creation
 * times are the provider's: `clockOffset` moves our start onto its clock. */
function matches(job: ProviderJob, spec: JobSpec, sinceSeconds: number, clockOffset: number): boolean {
  const same = <T>(seen: T | undefined, wanted: T) => seen === undefined || seen === wanted;
  const echo = job.echo ?? {};
  return (
    echo.prompt === spec.prompt &&
    sameImage(echo.image, spec.image) &&
    job.createdAt !== undefined &&
    job.createdAt >= sinceSeconds + clockOffset - ADOPTION_SKEW_SECONDS &&
    same(echo.model, spec.model) &&
    same(echo.size, spec.size) &&
    same(echo.seconds, spec.seconds) &&
    same(echo.variants, spec.variants)
  );
}

/** The echoed image is the one this request sends: the same link, or the same upload (a read link
 * to it is made anew on each attempt, so its query, the signature, differs). Not echoed: unknown. */
function sameImage(seen: string | null | undefined, wanted: JobImage | undefined): boolean {
  if (seen === undefined) return true;
  if (seen === null || wanted === undefined) return seen === null && wanted === undefined;
  if (wanted.source.kind === 'link') return seen === wanted.url;
  const bare = (link: string) => link.split('?')[0];
  return bare(seen) === bare(wanted.url);
}

/** Image types a browser shows, and the blob extension each is stored under. */
const IMAGE_TYPES = new Map([
  ['image/jpeg', 'jpg'],
  ['image/webp', 'webp'],
  ['image/png', 'png'],
] as const);

function imageTypeOf(
  contentType: string,
): { contentType: string; extension: 'jpg' | 'webp' | 'png' } | undefined {
  const bare = contentType.split(';')[0].trim().toLowerCase();
  const extension = IMAGE_TYPES.get(bare as 'image/jpeg');
  return extension ? { contentType: bare, extension } : undefined;
}

/** Videos are stored as the provider labels them when that is a video type; a generic
 * label (application/octet-stream, as some CDNs send) is stored as MP4, which every
 * provider here documents. */
function videoTypeOf(contentType: string): string {
  const bare = contentType.split(';')[0].trim().toLowerCase();
  return bare.startsWith('video/') ? bare : 'video/mp4';
}

export function createActivities(deps: ActivityDeps) {
  const nowSeconds = deps.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const settleSeconds = deps.createSettleSeconds ?? 60;

  /** Whether a job this request's lost create made could be found and told apart from
   * anyone else's: the provider lists jobs and echoes this model's prompts. */
  function canTieLostCreate(provider: VideoProvider, model: string): boolean {
    return (
      provider.lostCreate === 'adopt' &&
      provider.listRecentJobs !== undefined &&
      provider.models.some((m) => m.id === model && m.promptEcho)
    );
  }

  /** Finds and claims the job a lost create made, oldest candidate first. */
  async function adopt(
    provider: VideoProvider,
    { instanceId, runId }: RunRef,
    spec: JobSpec,
    sinceSeconds: number,
  ): Promise<ProviderJob | undefined> {
    if (!canTieLostCreate(provider, spec.model)) return undefined;
    const recent = await provider.listRecentJobs!(spec.model, ADOPTION_LIST_LIMIT);
    // The provider's clock may differ from ours; its Date header says by how much.
    const clockOffset = recent.providerNow === undefined ? 0 : recent.providerNow - nowSeconds();
    const candidates = recent.jobs
      .filter((job) => matches(job, spec, sinceSeconds, clockOffset))
      .sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0));
    for (const job of candidates) {
      if (await deps.claims.claimJob(provider.name, job.jobId, instanceId, runId)) {
        await deps.claims.writeIntent(
          instanceId,
          { provider: provider.name, model: spec.model, startedAt: sinceSeconds, jobId: job.jobId },
          runId,
        );
        return job;
      }
    }
    return undefined;
  }

  /** A lost create on a provider whose jobs cannot be tied to a request: re-sending could bill
   * a second job, adopting could deliver someone else's video. End the create here, say so. */
  function outcomeUnknown(provider: VideoProvider, model: string): JobResult {
    return {
      ok: false,
      kind: 'permanent',
      code: 'create_outcome_unknown',
      message:
        `The create's answer was lost, and ${provider.name} does not echo ${model}'s prompts, so no listed job can be tied to this request: ` +
        'outcome unknown. Nothing was adopted, re-sent or deleted; a job may have been made (and billed) at the provider.',
    };
  }

  /** Creates the job, unless the caller cancelled the request before or while it was made.
   * DELETE terminates the instance, marks it cancelled, then deletes the job the intent
   * names; this writes the job id into the intent, then reads the mark. Whichever comes
   * second sees the other's write, so a job created during a cancel is always deleted. */
  async function createVideoJob(input: CreateVideoJobInput): Promise<JobResult> {
    const { instanceId, runId } = input;
    const cancelled = () => deps.claims.isCancelled(instanceId, runId);
    try {
      if (await cancelled())
        return {
          ok: false,
          kind: 'permanent',
          message: 'The request was cancelled before its job was created',
        };
      const result = await createOrAdopt(input);
      if (!result.ok || !(await cancelled())) return result;
      // Nobody retries for a terminated instance: try a few times here, 1 s then 2 s apart.
      const { jobId } = result.job;
      await tryTimes(CANCEL_DELETE_ATTEMPTS, 1000, () =>
        deps.providers.get(input.request.provider).cancelJob({ model: input.request.model, jobId }),
      );
      return {
        ok: false,
        kind: 'permanent',
        message: `The request was cancelled while its ${input.request.provider} job ${jobId} was being created; the job was cancelled`,
      };
    } catch (error) {
      return toFailure(error);
    }
  }

  /** The request's image as the adapter sends it: a caller's link as given; an upload as a fresh
   * short-lived read link (and its bytes on demand). Made here, in the activity, so the signed
   * link is never part of the orchestration's input or history. */
  async function resolveImage(provider: VideoProvider, request: CreateVideoJobInput['request']) {
    const asked = request.image;
    if (!asked) return undefined;
    const field = provider.models.find((model) => model.id === request.model)?.image?.field;
    if (!field)
      throw new ProviderPermanentError(
        `${provider.name} ${request.model} takes no image`,
        400,
        'image_not_taken',
      );
    const role = request.imageRole ?? 'first-frame';
    if ('url' in asked) return { role, field, url: asked.url, source: { kind: 'link' } } satisfies JobImage;
    const uploads = deps.uploads;
    if (!uploads)
      throw new ProviderPermanentError('This deployment keeps no uploads', 400, 'uploads_unavailable');
    const { uploadId } = asked;
    if (!(await uploads.find(uploadId)))
      throw new ProviderPermanentError(`The upload ${uploadId} has expired`, 400, 'upload_expired');
    return {
      role,
      field,
      url: await uploads.readUrl(uploadId, IMAGE_LINK_SECONDS),
      source: { kind: 'upload', uploadId, open: () => uploads.openRead(uploadId) },
    } satisfies JobImage;
  }

  /** Keeps the request's upload until its deadline, so it cannot expire mid-request. */
  async function holdUpload(input: HoldUploadInput): Promise<void> {
    if (!deps.uploads) throw new Error('This deployment keeps no uploads');
    await deps.uploads.holdUntil(input.uploadId, input.untilIso);
  }

  async function createOrAdopt(input: CreateVideoJobInput): Promise<JobResult> {
    const { instanceId, runId, request } = input;
    try {
      const provider = deps.providers.get(request.provider);
      const webhookUrl =
        provider.webhooks && deps.callbackBaseUrl
          ? `${deps.callbackBaseUrl}/api/callbacks/${encodeURIComponent(provider.name)}`
          : undefined;
      const spec: JobSpec = { ...toJobSpec(request), ...(webhookUrl ? { webhookUrl } : {}) };
      const webhook = webhookUrl !== undefined;
      const intentOf = (fields: { startedAt: number; sentAt?: number; jobId?: string }) => ({
        provider: provider.name,
        model: request.model,
        ...fields,
      });
      const intent = await deps.claims.readIntent(instanceId, runId);
      // An earlier attempt of this activity got as far as a job: use it.
      if (intent?.jobId)
        return {
          ok: true,
          job: toJobSummary(await provider.getJob({ model: request.model, jobId: intent.jobId })),
          adopted: true,
          webhook,
        };
      // The image as this attempt sends it (an upload's read link is made anew): also what a
      // listed job must echo to be this request's (matches).
      const image = await resolveImage(provider, request);
      if (image) spec.image = image;
      if (intent?.sentAt !== undefined) {
        // An earlier create was sent and its answer never came (or the worker died): the
        // job may exist, or still appear. Adopt it (where it can be tied to us), or wait
        // until it cannot appear any more (a provider with no job list: fal).
        if (provider.lostCreate === 'adopt' && !canTieLostCreate(provider, request.model))
          return outcomeUnknown(provider, request.model);
        const adopted = await adopt(provider, input, spec, intent.startedAt);
        if (adopted) return { ok: true, job: toJobSummary(adopted), adopted: true, webhook };
        const waited = nowSeconds() - intent.sentAt;
        if (waited < settleSeconds) {
          const why =
            provider.lostCreate === 'adopt'
              ? 'its job is not listed yet'
              : `${provider.name} cannot list jobs, so a job it made cannot be found`;
          return {
            ok: false,
            kind: 'transient',
            message: `A create sent ${waited}s ago has not answered and ${why}; waiting up to ${settleSeconds}s before sending again`,
          };
        }
      }
      const startedAt = intent?.startedAt ?? nowSeconds();
      await deps.claims.writeIntent(instanceId, intentOf({ startedAt, sentAt: nowSeconds() }), runId);
      let job: ProviderJob;
      try {
        job = await provider.createJob(spec);
      } catch (error) {
        if (error instanceof CreateOutcomeUnknownError) {
          if (provider.lostCreate === 'adopt' && !canTieLostCreate(provider, request.model))
            return outcomeUnknown(provider, request.model);
          const adopted = await adopt(provider, input, spec, startedAt);
          if (adopted) return { ok: true, job: toJobSummary(adopted), adopted: true, webhook };
          return {
            ok: false,
            kind: 'transient',
            message: `${error.message}; no job has appeared yet, so the next attempt looks again before sending`,
          };
        }
        // The provider answered: no job was made, so the next attempt may send at once.
        await deps.claims.writeIntent(instanceId, intentOf({ startedAt }), runId);
        throw error;
      }
      if (!(await deps.claims.claimJob(provider.name, job.jobId, instanceId, runId))) {
        // Another request whose own create was lost adopted this job (same parameters) in the
        // moment before our claim: it is theirs now. Ours counts as lost (the intent still says
        // sent), so the next attempt adopts the job their create may have made, or re-sends.
        return {
          ok: false,
          kind: 'transient',
          message: `The ${provider.name} job ${job.jobId} was adopted by another request before this one claimed it; looking for this request's job again`,
        };
      }
      await deps.claims.writeIntent(instanceId, intentOf({ startedAt, jobId: job.jobId }), runId);
      return { ok: true, job: toJobSummary(job), webhook };
    } catch (error) {
      return toFailure(error);
    }
  }

  async function getVideoJobStatus(ref: JobRef): Promise<JobResult> {
    try {
      return { ok: true, job: toJobSummary(await deps.providers.get(ref.provider).getJob(ref)) };
    } catch (error) {
      return toFailure(error);
    }
  }

  async function downloadVideo(input: DownloadVideoInput, log?: Warner): Promise<DownloadResult> {
    const blobName = videoBlobName(input.instanceId, input.outputId, 'mp4', input.runId);
    const metadata: VideoBlobMetadata = {
      provider: input.provider,
      jobId: input.jobId,
      outputId: input.outputId,
      model: input.model,
      size: input.size,
      seconds: String(input.seconds),
    };
    try {
      const provider = deps.providers.get(input.provider);
      const content = await provider.openOutput(input, input.outputId);
      const stored = await streamVideoToBlob(
        await deps.container(),
        blobName,
        content.body,
        metadata,
        content.contentLength,
        videoTypeOf(content.contentType),
      );
      const video: StoredVideoRef = {
        outputId: input.outputId,
        blobName: stored.blobName,
        bytes: stored.bytes,
        contentType: stored.contentType,
      };
      const thumbnail = await storeThumbnail(provider, input, metadata, log);
      // DELETE terminates the instance, marks the run cancelled, then deletes its blobs; an
      // activity is not stopped by the termination. Checked after our blobs are committed: if
      // the cancel's delete ran before they were, its mark (written before it) is seen here.
      if (await deps.claims.isCancelled(input.instanceId, input.runId)) {
        await deleteRunBlobs(await deps.container(), input.instanceId, input.runId);
        return {
          ok: false,
          kind: 'permanent',
          message: 'The request was cancelled while its video was being stored; its blobs were deleted',
        };
      }
      return { ok: true, video: thumbnail ? { ...video, thumbnail } : video };
    } catch (error) {
      const failure = toFailure(error);
      // Transient: throw, so callActivityWithRetry tries again. Permanent (e.g. expired content): report.
      if (failure.kind === 'transient') throw error;
      return failure;
    }
  }

  /** The output's still beside its video, when the provider serves one; best effort: a video
   * is never failed (or downloaded again) for want of its still, so after a second failed try
   * we go on without. Stored with the type the provider sent (WebP from the videos API, JPEG from the Azure jobs API). */
  async function storeThumbnail(
    provider: VideoProvider,
    input: DownloadVideoInput,
    metadata: VideoBlobMetadata,
    log?: Warner,
  ): Promise<StoredBlobRef | undefined> {
    const openThumbnail = provider.openThumbnail?.bind(provider);
    if (!openThumbnail) return undefined;
    try {
      const stored = await tryTimes(THUMBNAIL_ATTEMPTS, 0, async () => {
        const content = await openThumbnail(input, input.outputId);
        const type = imageTypeOf(content.contentType);
        if (!type) {
          content.body.destroy();
          throw new Error(`the provider sent ${content.contentType}, not an image`);
        }
        return streamVideoToBlob(
          await deps.container(),
          videoBlobName(input.instanceId, input.outputId, type.extension, input.runId),
          content.body,
          metadata,
          content.contentLength,
          type.contentType,
        );
      });
      return { blobName: stored.blobName, bytes: stored.bytes, contentType: stored.contentType };
    } catch (error) {
      log?.warn(
        `No thumbnail stored for output ${input.outputId}: ${error instanceof Error ? error.message : String(error)}`,
      );
      return undefined;
    }
  }

  /** Best effort: the job may already be gone; cleanup never fails the caller. */
  async function cancelVideoJob(
    input: CancelVideoJobInput,
  ): Promise<{ ok: boolean; blobsDeleted?: number; message?: string }> {
    const problems: string[] = [];
    await Promise.resolve()
      .then(() => deps.providers.get(input.provider).cancelJob(input))
      .catch((error: Error) => problems.push(error.message));
    // A failed request leaves no blob: a sibling download may have stored one already.
    const blobsDeleted = input.instanceId
      ? await deleteRunBlobs(await deps.container(), input.instanceId, input.runId).catch((error: Error) => {
          problems.push(error.message);
          return 0;
        })
      : 0;
    return problems.length
      ? { ok: false, blobsDeleted, message: problems.join('; ') }
      : { ok: true, blobsDeleted };
  }

  return { createVideoJob, getVideoJobStatus, downloadVideo, cancelVideoJob, holdUpload };
}

export type VideoActivities = ReturnType<typeof createActivities>;
