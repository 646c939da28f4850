// Replicate's predictions API (docs/providers/replicate.md): create a prediction for an official
// model, read it, cancel it, list recent ones (so a create whose answer was lost is adopted, never
// sent twice). Plain fetch through the shared transport rather than the `replicate` client: the
// client re-sends a create on 429 and on any network error, up to 6 times, with no option to stop
// it (docs/providers/replicate.md#official-js-client), and the orchestrator must own every retry.
import { z } from 'zod';
import type { ReplicateSettings } from '../../config.js';
import { ProviderPermanentError } from '../../errors.js';
import { createTransport, type HttpOptions, type Transport } from '../http/transport.js';
import {
  knownJobs,
  phaseOf,
  type JobAddress,
  type JobSpec,
  type OutputContent,
  type ProviderJob,
  type StatusTable,
  type VideoProvider,
} from '../provider.js';
import { classifyReplicateResponse } from './classify.js';
import { REPLICATE_MODELS } from './models.js';
import { replicateWebhooks } from './webhook.js';

// Wire schemas are built on first use (z.lazy), not at app load (bench/README.md "App load time").
const predictionSchema = z.lazy(() =>
  z.object({
    id: z.string().min(1),
    model: z.string().nullish(),
    status: z.string().min(1),
    input: z.record(z.string(), z.unknown()).nullish(),
    // One URL for the models here; a list for others (each item an output).
    output: z.union([z.string(), z.array(z.string()), z.null()]).optional(),
    error: z.unknown().optional(),
    created_at: z.string().nullish(),
    started_at: z.string().nullish(),
    completed_at: z.string().nullish(),
    data_removed: z.boolean().nullish(),
  }),
);
type Prediction = z.output<typeof predictionSchema>;

const listSchema = z.lazy(() => z.object({ results: z.array(predictionSchema), next: z.string().nullish() }));

/** `starting → processing → succeeded | failed | canceled`, and `aborted` (a deadline passed before
 * it started) (docs/providers/replicate.md#prediction-object). Any other status is refused
 * (phaseOf). */
const STATUSES: StatusTable = {
  starting: { phase: 'queued', stage: 'waiting' },
  processing: { phase: 'running', stage: 'working' },
  succeeded: { phase: 'succeeded' },
  failed: { phase: 'failed' },
  canceled: { phase: 'cancelled' },
  aborted: { phase: 'cancelled' },
};

const outputsOf = (prediction: Prediction): string[] =>
  typeof prediction.output === 'string'
    ? [prediction.output]
    : Array.isArray(prediction.output)
      ? prediction.output
      : [];

function toProviderJob(prediction: Prediction, what: string): ProviderJob {
  const mapped = phaseOf(STATUSES, prediction.status, what);
  const urls = outputsOf(prediction);
  // Outputs are removed an hour after the prediction ends
  // (docs/providers/replicate.md#outputs-and-retention): a success without them is expired.
  const expired = mapped.phase === 'succeeded' && (prediction.data_removed === true || urls.length === 0);
  const input = prediction.input ?? {};
  // The model's image input, as the prediction echoes it (which one is the model row's data).
  const imageField = REPLICATE_MODELS.find((model) => model.id === prediction.model)?.image?.field;
  const image = imageField ? input[imageField] : undefined;
  const seconds = (iso: string | null | undefined) => {
    const ms = iso ? Date.parse(iso) : Number.NaN;
    return Number.isFinite(ms) ? ms / 1000 : undefined;
  };
  return {
    jobId: prediction.id,
    phase: expired ? 'expired' : mapped.phase,
    stage: mapped.stage,
    status: prediction.status,
    outputs:
      mapped.phase === 'succeeded' && !expired ? urls.map((_, index) => ({ id: `output-${index}` })) : [],
    failure: expired
      ? 'the outputs were removed (Replicate keeps them for an hour)'
      : prediction.error == null
        ? undefined
        : String(
            typeof prediction.error === 'string' ? prediction.error : JSON.stringify(prediction.error),
          ).slice(0, 500),
    createdAt: seconds(prediction.created_at),
    // `starting` is its queue: the job works from started_at to completed_at.
    startedAt: seconds(prediction.started_at),
    finishedAt: seconds(prediction.completed_at),
    echo: {
      model: prediction.model ?? undefined,
      prompt: typeof input.prompt === 'string' ? input.prompt : undefined,
      seconds: typeof input.duration === 'number' ? input.duration : undefined,
      size: typeof input.aspect_ratio === 'string' ? input.aspect_ratio : undefined,
      variants: 1,
      ...(imageField ? { image: typeof image === 'string' ? image : null } : {}),
    },
  };
}

export function createReplicateProvider(
  name: string,
  settings: ReplicateSettings,
  http: HttpOptions,
): VideoProvider {
  const transport: Transport = createTransport({
    service: 'Replicate',
    baseUrl: settings.baseUrl,
    auth: { headers: async () => ({ authorization: `Bearer ${settings.apiToken}` }) },
    requestTimeoutMs: http.requestTimeoutMs,
    idleTimeoutMs: http.idleTimeoutMs,
    fetch: http.fetch,
    foreignUrls: http.foreignUrls,
    classify: classifyReplicateResponse,
  });
  const modelPath = (id: string) => {
    if (!REPLICATE_MODELS.some((model) => model.id === id))
      throw new ProviderPermanentError(`${name} offers no model ${id}`, 400, 'unknown_model');
    return id.split('/').map(encodeURIComponent).join('/');
  };
  const predictionPath = (jobId: string) => `/predictions/${encodeURIComponent(jobId)}`;
  const read = async (jobId: string) => {
    const what = `Get Replicate prediction ${jobId}`;
    return {
      what,
      prediction: await transport.json(
        { method: 'GET', path: predictionPath(jobId), what },
        predictionSchema,
      ),
    };
  };

  return {
    name,
    kind: 'replicate',
    models: REPLICATE_MODELS,
    lostCreate: 'adopt',
    webhooks: replicateWebhooks({
      secret: settings.webhookSecret,
      transport,
      read: (body) => toProviderJob(predictionSchema.parse(body), 'Replicate webhook'),
    }),

    async createJob(spec: JobSpec): Promise<ProviderJob> {
      const what = `Create a Replicate prediction for ${spec.model}`;
      const model = REPLICATE_MODELS.find((candidate) => candidate.id === spec.model);
      const input = {
        ...spec.options,
        prompt: spec.prompt,
        // Some models lack these inputs (their rows say so): the length is fixed by frames, or
        // the video takes the image's shape.
        ...(model?.duration === false ? {} : { duration: spec.seconds }),
        ...(model?.aspectRatio === false ? {} : { aspect_ratio: spec.size }),
        // The model's own image input (start_image, first_frame_image, image): a link Replicate fetches.
        ...(spec.image ? { [spec.image.field]: spec.image.url } : {}),
      };
      const body = {
        input,
        ...(spec.webhookUrl ? { webhook: spec.webhookUrl, webhook_events_filter: ['completed'] } : {}),
      };
      const prediction = await transport.json(
        { method: 'POST', path: `/models/${modelPath(spec.model)}/predictions`, body, what, create: true },
        predictionSchema,
      );
      return toProviderJob(prediction, what);
    },

    async getJob(job: JobAddress): Promise<ProviderJob> {
      const { what, prediction } = await read(job.jobId);
      return toProviderJob(prediction, what);
    },

    async openOutput(job: JobAddress, outputId: string): Promise<OutputContent> {
      const { prediction } = await read(job.jobId);
      const url = outputsOf(prediction)[Number(/^output-(\d+)$/.exec(outputId)?.[1] ?? Number.NaN)];
      if (!url)
        throw new ProviderPermanentError(
          `Replicate prediction ${job.jobId} has no output ${outputId} (any more)`,
          404,
          'output_removed',
        );
      // As the official client does: output files are fetched without our token, which stays on the API host.
      return transport.content({
        method: 'GET',
        path: url,
        what: `Download ${outputId} of Replicate prediction ${job.jobId}`,
        anonymous: true,
      });
    },

    async listRecentJobs(model: string, limit: number) {
      // Newest first, 100 a page, every model's together (docs/providers/replicate.md#endpoints):
      // the first page covers a lost create.
      const what = 'List Replicate predictions';
      const { value: page, providerNow } = await transport.jsonWithDate(
        { method: 'GET', path: '/predictions', what },
        listSchema,
      );
      const jobs = knownJobs(
        page.results.filter((prediction) => prediction.model === model).slice(0, limit),
        (prediction) => toProviderJob(prediction, what),
      );
      return { jobs, providerNow };
    },

    cancelJob: (job: JobAddress) =>
      transport.discard(
        {
          method: 'POST',
          path: `${predictionPath(job.jobId)}/cancel`,
          what: `Cancel Replicate prediction ${job.jobId}`,
        },
        { notFoundIsOk: true },
      ),
  };
}
