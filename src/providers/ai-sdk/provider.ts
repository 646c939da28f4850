// Kind `ai-sdk`: any AI SDK video model that has doStart/doStatus (the video model spec v4,
// docs/providers/ai-sdk.md), through the package the instance names (packages.ts).
// - Create is exactly one doStart, given no retrying fetch; the SDK's retries live in its
//   generateVideo helper, which we never call.
// - The answer's opaque `operation` is kept with the job's claim (JobHandles), never in durable
//   history: status and downloads read it back. The job id is the vendor's id where the
//   operation carries one.
// - The spec has no job list, so a create whose answer was lost cannot be adopted: lostCreate
//   'settle'. It has no cancel either: where the vendor documents one (fal, Replicate) the
//   adapter sends it (cancel.ts); elsewhere a cancelled request's job runs to its end upstream.
import { readImageBytes } from '../http/image-bytes.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { AiSdkSettings } from '../../config.js';
import { CreateOutcomeUnknownError, ProviderPermanentError, ProviderTransientError } from '../../errors.js';
import { fetchForeign } from '../http/foreign-fetch.js';
import { createTransport, type HttpOptions } from '../http/transport.js';
import type {
  JobAddress,
  JobHandles,
  JobSpec,
  ModelInfo,
  OutputContent,
  ProviderJob,
  VideoProvider,
} from '../provider.js';
import { classifyCancelAnswer } from './cancel.js';
import { classifyAiSdkError, redact } from './classify.js';
import { AI_SDK_MODELS } from './models.js';
import { OPTIONS_KEY, VENDOR_CANCEL, videoModels, type VideoModelV4 } from './packages.js';

type VideoModelV4Videos = Extract<
  Awaited<ReturnType<NonNullable<VideoModelV4['doStatus']>>>,
  { status: 'completed' }
>['videos'];

/** Fields vendors' operations carry their job id in (@ai-sdk/google `operationName`,
 * @ai-sdk/replicate `getUrl`, @ai-sdk/fal `responseUrl`, @ai-sdk/xai `requestId`, …). */
const ID_FIELDS = [
  'operationName',
  'requestId',
  'request_id',
  'id',
  'taskId',
  'getUrl',
  'responseUrl',
  'statusUrl',
];

/** A safe blob-name segment for the operation: the last path segment of its id field, or a hash. */
export function jobIdOf(operation: unknown): string {
  if (typeof operation === 'object' && operation !== null) {
    for (const field of ID_FIELDS) {
      const value = (operation as Record<string, unknown>)[field];
      if (typeof value !== 'string') continue;
      const segment = value.split('?')[0].split('/').filter(Boolean).pop() ?? '';
      if (/^[A-Za-z0-9._-]{1,128}$/.test(segment) && !/^\.+$/.test(segment)) return segment;
    }
  }
  return createHash('sha256').update(JSON.stringify(operation)).digest('hex').slice(0, 32);
}

export interface AiSdkHttpOptions extends HttpOptions {
  handles: JobHandles;
}

export function createAiSdkProvider(
  name: string,
  settings: AiSdkSettings,
  http: AiSdkHttpOptions,
): VideoProvider {
  const fetchImpl = http.fetch ?? globalThis.fetch;
  // The SDK parses answers with schemas that drop what they do not name (@ai-sdk/google drops
  // the RAI filter's reasons and says only "No videos in response"): a status call keeps the raw
  // JSON answer, so a failure can be told in the vendor's own words.
  const answers = new AsyncLocalStorage<{ body?: string; status?: number }>();
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetchImpl(input, init);
    const store = answers.getStore();
    if (store) store.status = response.status;
    if (store && /json/.test(response.headers.get('content-type') ?? ''))
      store.body = await response
        .clone()
        .text()
        .catch(() => undefined);
    return response;
  };
  const modelOf = videoModels(settings, recordingFetch);
  /** Videos of jobs this process saw complete, so a download right after needs no second status
   * call (memory only: the URLs may be signed with the key). */
  const completed = new Map<string, VideoModelV4Videos>();
  const secrets = [settings.apiKey];
  const timeout = () => AbortSignal.timeout(http.requestTimeoutMs);
  const models: ModelInfo[] = Object.entries(AI_SDK_MODELS[settings.package]).map(([id, capabilities]) => ({
    id,
    ...capabilities,
    promptEcho: false,
  }));

  async function asyncModel(id: string): Promise<Required<Pick<VideoModelV4, 'doStart' | 'doStatus'>>> {
    const model = await modelOf(id);
    if (!model.doStart || !model.doStatus)
      throw new ProviderPermanentError(
        `${name}: ${id} has no doStart/doStatus (the asynchronous video interface)`,
        400,
        'unsupported_model',
      );
    return { doStart: model.doStart.bind(model), doStatus: model.doStatus.bind(model) };
  }

  async function operationOf(job: JobAddress): Promise<unknown> {
    const handle = await http.handles.load(name, job.jobId);
    if (handle === undefined)
      throw new ProviderPermanentError(
        `${name}: no operation is recorded for job ${job.jobId}`,
        404,
        'not_found',
      );
    return JSON.parse(handle);
  }

  async function status(job: JobAddress, what: string) {
    const model = await asyncModel(job.model);
    const operation = await operationOf(job);
    const answer: { body?: string; status?: number } = {};
    try {
      const result = await answers.run(answer, () =>
        model.doStatus({ operation: operation as never, abortSignal: timeout() }),
      );
      // Some packages report any failed status call as the job's error (@ai-sdk/fal 3.0.41): a
      // 429, a 5xx or no answer at all says nothing of the job, so it is asked again later.
      if (
        result.status === 'error' &&
        (answer.status === undefined || answer.status === 429 || answer.status >= 500)
      )
        throw new ProviderTransientError(
          `${name}: ${what}: ${answer.status === undefined ? 'no answer' : `HTTP ${answer.status}`}: ${redact(result.error, secrets)}`,
          answer.status,
          undefined,
        );
      // The package's words may be only the HTTP reason (@ai-sdk/fal: "Unprocessable Entity"):
      // the vendor's answer says why.
      if (result.status === 'error' && answer.body && !result.error.includes(answer.body))
        return { ...result, error: `${result.error}. The provider answered: ${answer.body}` };
      return result;
    } catch (error) {
      const classified = classifyAiSdkError(error, `${name}: ${what}`, false, secrets, answer.body);
      throw classified;
    }
  }

  /** The call's `image`: bytes for @ai-sdk/google (it drops a URL other than gs://: see
   * models.ts VEO_IMAGE), read through image-bytes.ts (a caller's link under the foreign-URL
   * rule, ≤ 10 MiB, PNG/JPEG/WebP by magic bytes); a link for the packages that pass one on. */
  async function imageOf(spec: JobSpec) {
    if (!spec.image) return undefined;
    if (settings.package !== '@ai-sdk/google') return { type: 'url' as const, url: spec.image.url };
    const bytes = await readImageBytes(spec.image, {
      rule: http.foreignUrls,
      fetch: http.fetch,
      requestTimeoutMs: http.requestTimeoutMs,
      what: `${name}: the start image`,
    });
    return { type: 'file' as const, mediaType: bytes.contentType, data: new Uint8Array(bytes.data) };
  }

  async function createJob(spec: JobSpec): Promise<ProviderJob> {
    const model = await asyncModel(spec.model);
    const image = await imageOf(spec);
    const ratio = spec.size.includes(':');
    let started;
    try {
      started = await model.doStart({
        prompt: spec.prompt,
        n: spec.variants,
        aspectRatio: ratio ? (spec.size as `${number}:${number}`) : undefined,
        resolution: ratio ? undefined : (spec.size as `${number}x${number}`),
        duration: spec.seconds,
        fps: undefined,
        seed: undefined,
        image,
        frameImages: undefined,
        inputReferences: undefined,
        generateAudio: undefined,
        providerOptions: spec.options ? { [OPTIONS_KEY[settings.package]]: spec.options as never } : {},
        abortSignal: timeout(),
      });
    } catch (error) {
      throw classifyAiSdkError(error, `${name}: create`, true, secrets);
    }
    const jobId = jobIdOf(started.operation);
    try {
      await http.handles.save(name, jobId, JSON.stringify(started.operation));
    } catch (error) {
      // The job exists but could not be recorded: as if its answer were lost (settle, then re-send).
      throw new CreateOutcomeUnknownError(
        `${name}: job ${jobId} was made but its operation could not be stored: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return { jobId, phase: 'queued', stage: 'waiting', status: 'pending', outputs: [] };
  }

  async function getJob(job: JobAddress): Promise<ProviderJob> {
    let result;
    try {
      result = await status(job, 'status');
    } catch (error) {
      // The SDK's verdict on a finished operation it cannot use (Google's content filter
      // answers "No videos in response"): the job failed, in the vendor's words.
      if (error instanceof ProviderPermanentError && error.status === 200)
        return { jobId: job.jobId, phase: 'failed', status: 'error', outputs: [], failure: error.message };
      throw error;
    }
    if (result.status === 'pending')
      return { jobId: job.jobId, phase: 'running', stage: 'working', status: 'pending', outputs: [] };
    if (result.status === 'error')
      return {
        jobId: job.jobId,
        phase: 'failed',
        status: 'error',
        outputs: [],
        failure: redact(result.error, secrets),
      };
    const outputs = result.videos.flatMap((video, index) =>
      video.type === 'uploaded' ? [] : [{ id: String(index) }],
    );
    if (outputs.length === 0)
      return {
        jobId: job.jobId,
        phase: 'failed',
        status: 'completed',
        outputs: [],
        failure: 'The job made no video',
      };
    return { jobId: job.jobId, phase: 'succeeded', status: 'completed', outputs };
  }

  /** The video as a stream: a URL is fetched afresh (the SDK may sign it with the key, so it is
   * never stored or shown); bytes the SDK holds already are streamed from memory. */
  async function openOutput(job: JobAddress, outputId: string): Promise<OutputContent> {
    const result = await status(job, 'download');
    if (result.status !== 'completed')
      throw new ProviderPermanentError(
        `${name}: job ${job.jobId} has no videos (${result.status})`,
        409,
        'not_ready',
      );
    const video = result.videos[Number(outputId)];
    if (!video || video.type === 'uploaded' || !/^\d+$/.test(outputId))
      throw new ProviderPermanentError(
        `${name}: job ${job.jobId} has no output ${outputId}`,
        404,
        'not_found',
      );
    if (video.type === 'base64' || video.type === 'binary') {
      const bytes = video.type === 'base64' ? Buffer.from(video.data, 'base64') : Buffer.from(video.data);
      return { body: Readable.from([bytes]), contentLength: bytes.length, contentType: video.mediaType };
    }
    return download(job.jobId, video.url, video.mediaType);
  }

  async function download(jobId: string, url: string, mediaType: string): Promise<OutputContent> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), http.requestTimeoutMs);
    let response: Response;
    try {
      // Only where the registry's rule allows, every redirect hop checked (providers/http/foreign-fetch.ts).
      response = await fetchForeign(
        url,
        { signal: controller.signal },
        {
          rule: http.foreignUrls,
          fetch: fetchImpl,
          what: `${name}: Download`,
          noAnswer: (error) =>
            new ProviderTransientError(
              `${name}: Download: no answer (${redact((error as Error).message, secrets)})`,
              undefined,
              undefined,
            ),
        },
      );
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok || !response.body) {
      // A link refused is looked up afresh on the next attempt (a signed one may have lapsed).
      if (response.status >= 400 && response.status < 500 && response.status !== 429) completed.delete(jobId);
      await response.body?.cancel().catch(() => undefined);
      const message = `${name}: Download: HTTP ${response.status}`;
      if (response.status === 429 || response.status >= 500)
        throw new ProviderTransientError(message, response.status, undefined);
      throw new ProviderPermanentError(
        message,
        response.status,
        response.status === 404 ? 'expired' : undefined,
      );
    }
    const length = Number(response.headers.get('content-length'));
    return {
      body: Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      contentLength: Number.isFinite(length) && length > 0 ? length : undefined,
      contentType: response.headers.get('content-type')?.split(';')[0] || mediaType,
    };
  }

  /** The vendor's documented cancel (packages.ts VENDOR_CANCEL), one request, never retried
   * here: a cancel makes nothing billable, and the vendors answer a repeated one as done. */
  async function cancelJob(job: JobAddress): Promise<void> {
    const vendor = VENDOR_CANCEL[settings.package];
    if (!vendor)
      throw new ProviderPermanentError(
        `${name}: ${settings.package}'s vendor documents no cancel; job ${job.jobId} runs to its end at the provider`,
        405,
        'cancel_unsupported',
      );
    const operation = await operationOf(job);
    let call;
    try {
      call = vendor(operation, settings.baseUrl);
    } catch (error) {
      if (error instanceof ProviderPermanentError)
        error.message = `${name}: job ${job.jobId}: ${error.message}`;
      throw error;
    }
    const transport = createTransport({
      service: call.service,
      baseUrl: call.baseUrl,
      auth: { headers: async () => ({ authorization: `${call.scheme} ${settings.apiKey}` }) },
      requestTimeoutMs: http.requestTimeoutMs,
      fetch: http.fetch,
      classify: classifyCancelAnswer,
    });
    try {
      await transport.discard(
        { method: call.method, path: call.path, what: `${name}: cancel ${call.service} job ${call.jobId}` },
        { notFoundIsOk: false },
      );
    } catch (error) {
      // The job ended (or is gone) already: nothing left to cancel. A download it raced is the
      // cancel mark's to clean (src/functions/cancel-run.ts).
      if (error instanceof ProviderPermanentError && call.nothingLeft.includes(error.status)) return;
      if (error instanceof Error) error.message = redact(error.message, secrets);
      throw error;
    }
  }

  return { name, kind: 'ai-sdk', models, lostCreate: 'settle', createJob, getJob, openOutput, cancelJob };
}
