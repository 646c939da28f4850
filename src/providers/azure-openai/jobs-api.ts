// The Azure OpenAI Sora jobs API (/video/generations/jobs, Sora 1), plain REST (no SDK covers
// it): its job objects mapped straight to the pipeline's ProviderJob. HTTP and errors are the
// transport's job.
import { z } from 'zod';
import { readImageBytes } from '../http/image-bytes.js';
import type { Transport } from '../http/transport.js';
import type { ImageFetch, JobsApiCalls } from '../openai-videos/videos-api.js';
import { knownJobs, phaseOf, type JobSpec, type ProviderJob, type StatusTable } from '../provider.js';

// Wire schemas are built on first use (z.lazy), not at app load (bench/README.md "App load time").
const generationSchema = z.lazy(() =>
  z.object({
    id: z.string().min(1),
    width: z.number(),
    height: z.number(),
    n_seconds: z.number(),
  }),
);

const jobSchema = z.lazy(() =>
  z.object({
    id: z.string().min(1),
    status: z.string().min(1),
    created_at: z.number(),
    finished_at: z.number().nullish(),
    generations: z.array(generationSchema).nullish(),
    prompt: z.string().nullish(),
    failure_reason: z.string().nullish(),
    model: z.string().nullish(),
    width: z.number().nullish(),
    height: z.number().nullish(),
    n_seconds: z.number().nullish(),
    n_variants: z.number().nullish(),
  }),
);
type Job = z.output<typeof jobSchema>;

const jobListSchema = z.lazy(() => z.object({ data: z.array(jobSchema) }));

/** `queued → preprocessing → running → processing → succeeded`, or failed / cancelled; any
 * other status is refused (phaseOf). Preprocessing has not started the work yet; processing
 * is the short last stage. */
const STATUSES: StatusTable = {
  queued: { phase: 'queued', stage: 'waiting' },
  preprocessing: { phase: 'running', stage: 'waiting' },
  running: { phase: 'running', stage: 'working' },
  processing: { phase: 'running', stage: 'finishing' },
  succeeded: { phase: 'succeeded' },
  failed: { phase: 'failed' },
  cancelled: { phase: 'cancelled' },
};

function toProviderJob(job: Job, what: string): ProviderJob {
  const { phase, stage } = phaseOf(STATUSES, job.status, what);
  return {
    jobId: job.id,
    phase,
    stage,
    status: job.status,
    // A failed job can still list generations: only a success has outputs.
    outputs:
      phase === 'succeeded' ? (job.generations ?? []).map((generation) => ({ id: generation.id })) : [],
    failure: job.failure_reason ?? undefined,
    createdAt: job.created_at,
    finishedAt: job.finished_at ?? undefined,
    echo: {
      model: job.model ?? undefined,
      prompt: job.prompt ?? undefined,
      size: job.width != null && job.height != null ? `${job.width}x${job.height}` : undefined,
      seconds: job.n_seconds ?? undefined,
      variants: job.n_variants ?? undefined,
    },
  };
}

function pageSize(limit: number): number {
  if (!Number.isFinite(limit)) throw new RangeError('limit must be a finite number');
  return Math.max(1, Math.floor(limit));
}

/** The create's multipart form with a start image: the same fields as strings, the image as one of
 * `files`, and an inpainting item placing it at frame 0 over the whole frame
 * (/work/shared/docs/sora-api.md, "Multipart variant"). The API takes only the file, so a caller's
 * link is fetched as for Sora 2 (src/providers/http/image-bytes.ts). */
async function inpaintingForm(
  fields: Record<string, string | number>,
  image: NonNullable<JobSpec['image']>,
  images: ImageFetch,
  what: string,
): Promise<FormData> {
  const bytes = await readImageBytes(image, { ...images, what });
  const fileName = `start.${bytes.contentType.split('/')[1]}`;
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, String(value));
  form.append(image.field, new Blob([bytes.data], { type: bytes.contentType }), fileName);
  const whole = { left_fraction: 0, top_fraction: 0, right_fraction: 1, bottom_fraction: 1 };
  form.append(
    'inpaint_items',
    JSON.stringify([{ frame_index: 0, type: 'image', file_name: fileName, crop_bounds: whole }]),
  );
  return form;
}

export function createJobsApi(
  http: Transport,
  images: ImageFetch = { requestTimeoutMs: 30_000 },
): JobsApiCalls {
  const jobPath = (jobId: string) => `/video/generations/jobs/${encodeURIComponent(jobId)}`;
  // Content belongs to a generation (an output); the job id is not part of the path.
  const content = (generationId: string, variant: 'video' | 'thumbnail', what: string) =>
    http.content({
      method: 'GET',
      path: `/video/generations/${encodeURIComponent(generationId)}/content/${variant}`,
      what,
    });
  return {
    async createJob(spec: JobSpec) {
      // Sora sizes are WIDTHxHEIGHT (its capability table lists no other form).
      const [width, height] = spec.size.split('x').map(Number);
      const body = {
        model: spec.model,
        prompt: spec.prompt,
        width,
        height,
        n_seconds: spec.seconds,
        n_variants: spec.variants,
      };
      const what = 'Create Sora job (jobs API)';
      // With a start image the create is multipart: the file and its inpainting item.
      const payload = spec.image ? { form: await inpaintingForm(body, spec.image, images, what) } : { body };
      return toProviderJob(
        await http.json(
          { method: 'POST', path: '/video/generations/jobs', ...payload, what, create: true },
          jobSchema,
        ),
        what,
      );
    },
    async getJob(job) {
      const what = `Get Sora job ${job.jobId}`;
      return toProviderJob(
        await http.json({ method: 'GET', path: jobPath(job.jobId), what }, jobSchema),
        what,
      );
    },
    async listRecentJobs(_model, limit) {
      const what = 'List Sora jobs';
      const size = pageSize(limit);
      const { value: list, providerNow } = await http.jsonWithDate(
        { method: 'GET', path: '/video/generations/jobs', query: { limit: String(size) }, what },
        jobListSchema,
      );
      // The list order is not documented for the jobs API; adoption relies on newest first.
      const newestFirst = [...list.data].sort((a, b) => b.created_at - a.created_at).slice(0, size);
      return { jobs: knownJobs(newestFirst, (job) => toProviderJob(job, what)), providerNow };
    },
    openOutput: (_job, generationId) =>
      content(generationId, 'video', `Download Sora generation ${generationId}`),
    openThumbnail: (_job, generationId) =>
      content(generationId, 'thumbnail', `Download the thumbnail of Sora generation ${generationId}`),
    cancelJob: (job) =>
      http.discard(
        { method: 'DELETE', path: jobPath(job.jobId), what: `Delete Sora job ${job.jobId}` },
        { notFoundIsOk: true },
      ),
  };
}
