// fal's queue API (docs/providers/fal.md): submit to `{queue}/{model_id}`, poll
// `{queue}/{owner}/{app}/requests/{id}/status`, read the result, cancel. Plain fetch through the
// shared transport rather than @fal-ai/client: the client has no base-URL option, re-sends a submit
// up to 4 times on 429/5xx/network errors whatever its retry setting, and does not stream downloads
// (docs/providers/fal.md#official-js-client); the orchestrator must own every retry and the
// download must stream.
//
// fal lists no jobs, so a create whose answer was lost cannot be adopted: the create activity
// waits out the settle time, then sends again (lostCreate: 'settle'; README states the risk).
import { z } from 'zod';
import type { FalSettings } from '../../config.js';
import { ProviderPermanentError } from '../../errors.js';
import { createTransport, type HttpOptions, type Transport } from '../http/transport.js';
import {
  phaseOf,
  type JobAddress,
  type JobSpec,
  type OutputContent,
  type ProviderJob,
  type StatusTable,
  type VideoProvider,
} from '../provider.js';
import { classifyFalResponse } from './classify.js';
import { FAL_MODELS, type FalModel } from './models.js';
import { falWebhooks } from './webhook.js';

// Wire schemas are built on first use (z.lazy), not at app load (bench/README.md "App load time").
const submitSchema = z.lazy(() =>
  z.object({
    request_id: z.string().min(1),
    status: z.string().optional(),
    queue_position: z.number().int().nonnegative().nullish(),
  }),
);

const statusSchema = z.lazy(() =>
  z.object({
    status: z.string().min(1),
    queue_position: z.number().int().nonnegative().nullish(),
    error: z.string().nullish(),
    error_type: z.string().nullish(),
    metrics: z.object({ inference_time: z.number().nullish() }).partial().nullish(),
  }),
);

const resultSchema = z.lazy(() =>
  z.object({
    video: z.object({ url: z.url({ protocol: /^https?$/ }), content_type: z.string().nullish() }),
  }),
);

/** `IN_QUEUE → IN_PROGRESS → COMPLETED`; any other status is refused (phaseOf). COMPLETED says
 * nothing of success (docs/providers/fal.md#status-object): a failed request reports an error with
 * it, or its result call answers the model's error. */
const STATUSES: StatusTable = {
  IN_QUEUE: { phase: 'queued', stage: 'waiting' },
  IN_PROGRESS: { phase: 'running', stage: 'working' },
  COMPLETED: { phase: 'succeeded' },
};

/** Status, result and cancel use `owner/app` (the first two segments of the model id);
 * `workflows/` and `comfy/` ids keep three (docs/providers/fal.md#model-id-and-request-paths). */
export function falAppPath(modelId: string): string {
  const parts = modelId.split('/');
  const keep = parts[0] === 'workflows' || parts[0] === 'comfy' ? 3 : 2;
  return parts.slice(0, keep).map(encodeURIComponent).join('/');
}

/** The one output of a fal video job (its result has one `video` file). */
const OUTPUT_ID = 'video';

export function createFalProvider(name: string, settings: FalSettings, http: HttpOptions): VideoProvider {
  const transport: Transport = createTransport({
    service: 'fal',
    baseUrl: settings.queueUrl,
    auth: { headers: async () => ({ authorization: `Key ${settings.apiKey}` }) },
    requestTimeoutMs: http.requestTimeoutMs,
    idleTimeoutMs: http.idleTimeoutMs,
    fetch: http.fetch,
    foreignUrls: http.foreignUrls,
    classify: classifyFalResponse,
  });
  const modelOf = (id: string): FalModel => {
    const model = FAL_MODELS.find((candidate) => candidate.id === id);
    if (!model) throw new ProviderPermanentError(`${name} offers no model ${id}`, 400, 'unknown_model');
    return model;
  };
  const requestPath = (job: JobAddress) =>
    `/${falAppPath(job.model)}/requests/${encodeURIComponent(job.jobId)}`;
  const readResult = (job: JobAddress) =>
    transport.json(
      { method: 'GET', path: requestPath(job), what: `Get the result of fal request ${job.jobId}` },
      resultSchema,
    );

  /** A failed request's status says only `Invalid status code: 422`; its result carries what the
   * model said (e.g. the validation detail of input fal queued but the model refused,
   * docs/providers/fal.md#result). That message when the result gives one, else `fallback`. */
  const modelMessage = async (job: JobAddress, fallback: string): Promise<string> => {
    try {
      await readResult(job);
      return fallback;
    } catch (error) {
      return error instanceof ProviderPermanentError ? error.message : fallback;
    }
  };

  return {
    name,
    kind: 'fal',
    models: FAL_MODELS,
    lostCreate: 'settle',
    ...(settings.jwksUrl
      ? {
          webhooks: falWebhooks({
            jwksUrl: settings.jwksUrl,
            fetch: http.fetch,
            requestTimeoutMs: http.requestTimeoutMs,
          }),
        }
      : {}),

    async createJob(spec: JobSpec): Promise<ProviderJob> {
      const model = modelOf(spec.model);
      const input = {
        ...spec.options,
        prompt: spec.prompt,
        // Some models lack these inputs (their rows say so): one fixed length or shape, a length
        // set by frames, or a video that follows the image.
        ...(model.duration === false ? {} : { duration: model.duration(spec.seconds) }),
        ...(model.aspectRatio === false ? {} : { aspect_ratio: spec.size }),
        // The image's link, handed over as is: fal fetches it (the image-to-video models' `image_url`).
        ...(spec.image ? { [spec.image.field]: spec.image.url } : {}),
      };
      const query = spec.webhookUrl ? { fal_webhook: spec.webhookUrl } : undefined;
      const path = `/${spec.model.split('/').map(encodeURIComponent).join('/')}`;
      const answer = await transport.json(
        { method: 'POST', path, query, body: input, what: `Submit to fal ${spec.model}`, create: true },
        submitSchema,
      );
      return {
        jobId: answer.request_id,
        phase: 'queued',
        stage: 'waiting',
        status: answer.status ?? 'IN_QUEUE',
        queuePosition: answer.queue_position ?? undefined,
        outputs: [],
      };
    },

    async getJob(job: JobAddress): Promise<ProviderJob> {
      const what = `Get fal request ${job.jobId}`;
      const status = await transport.json(
        { method: 'GET', path: `${requestPath(job)}/status`, what },
        statusSchema,
      );
      const { phase, stage } = phaseOf(STATUSES, status.status, what);
      const base = { jobId: job.jobId, status: status.status, outputs: [] };
      if (phase === 'queued')
        return { ...base, phase, stage, queuePosition: status.queue_position ?? undefined };
      if (phase !== 'succeeded') return { ...base, phase, stage };
      if (status.error) {
        const failure = `${status.error_type ? `${status.error_type}: ` : ''}${status.error}`;
        if (status.error_type === 'client_cancelled') return { ...base, phase: 'cancelled', failure };
        return { ...base, phase: 'failed', failure: await modelMessage(job, failure) };
      }
      try {
        await readResult(job);
        // The run's own time, queue apart (docs/providers/fal.md#status-object); may be absent.
        const inference = status.metrics?.inference_time;
        return {
          ...base,
          phase: 'succeeded',
          outputs: [{ id: OUTPUT_ID }],
          ...(inference != null && inference > 0 ? { runSeconds: inference } : {}),
        };
      } catch (error) {
        if (!(error instanceof ProviderPermanentError)) throw error;
        return { ...base, phase: 'failed', failure: error.message };
      }
    },

    async openOutput(job: JobAddress): Promise<OutputContent> {
      // The result names a fresh URL each time; it is public, so our key is never sent there.
      const result = await readResult(job);
      return transport.content({
        method: 'GET',
        path: result.video.url,
        what: `Download the video of fal request ${job.jobId}`,
        anonymous: true,
      });
    },

    cancelJob: async (job: JobAddress) => {
      try {
        await transport.discard(
          { method: 'PUT', path: `${requestPath(job)}/cancel`, what: `Cancel fal request ${job.jobId}` },
          { notFoundIsOk: true },
        );
      } catch (error) {
        // 400 ALREADY_COMPLETED: nothing left to cancel (docs/providers/fal.md#cancel).
        if (error instanceof ProviderPermanentError && error.status === 400) return;
        throw error;
      }
    },
  };
}
