// The OpenAI videos API (/videos), as any OpenAI-compatible endpoint serves it: its Video
// objects mapped straight to the pipeline's ProviderJob. One video per job, so a completed
// video is its own single output. HTTP and errors are the transport's job.
import { z } from 'zod';
import { ProviderPermanentError } from '../../errors.js';
import { readImageBytes, sizeMismatch, type ImageFetchOptions } from '../http/image-bytes.js';
import type { Transport } from '../http/transport.js';
import {
  knownJobs,
  phaseOf,
  type JobAddress,
  type JobSpec,
  type ProviderJob,
  type StatusTable,
  type VideoProvider,
} from '../provider.js';

/** The calls one jobs API answers, in the adapter interface's own terms. */
export type JobsApiCalls = Required<
  Pick<
    VideoProvider,
    'createJob' | 'getJob' | 'listRecentJobs' | 'openOutput' | 'openThumbnail' | 'cancelJob'
  >
>;

// Wire schemas are built on first use (z.lazy), not at app load (bench/README.md "App load time").
const videoSchema = z.lazy(() =>
  z.object({
    id: z.string().min(1),
    status: z.string().min(1),
    progress: z.number().nullish(),
    created_at: z.number(),
    completed_at: z.number().nullish(),
    size: z.string().regex(/^\d+x\d+$/, 'must look like WIDTHxHEIGHT'),
    // A string on the wire ("4"); a number is accepted in case a proxy or version sends one.
    seconds: z.union([z.string(), z.number()]).transform(Number).pipe(z.number().positive()),
    prompt: z.string().nullish(),
    error: z.object({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
    model: z.string().nullish(),
  }),
);
type Video = z.output<typeof videoSchema>;

const videoListSchema = z.lazy(() => z.object({ data: z.array(videoSchema) }));

/** `queued → in_progress → completed | failed`; any other status is refused (phaseOf). */
const STATUSES: StatusTable = {
  queued: { phase: 'queued', stage: 'waiting' },
  in_progress: { phase: 'running', stage: 'working' },
  completed: { phase: 'succeeded' },
  failed: { phase: 'failed' },
};

function toProviderJob(video: Video, what: string): ProviderJob {
  const { phase, stage } = phaseOf(STATUSES, video.status, what);
  const [width, height] = video.size.split('x').map(Number);
  const code = video.error?.code ?? undefined;
  const message = video.error?.message ?? undefined;
  return {
    jobId: video.id,
    phase,
    stage,
    status: video.status,
    progress: video.progress ?? undefined,
    // The video is its own (only) output.
    outputs: phase === 'succeeded' ? [{ id: video.id }] : [],
    failure: code && message && code !== message ? `${code}: ${message}` : (code ?? message),
    createdAt: video.created_at,
    finishedAt: video.completed_at ?? undefined,
    echo: {
      model: video.model ?? undefined,
      prompt: video.prompt ?? undefined,
      size: `${width}x${height}`,
      seconds: video.seconds,
      variants: 1,
    },
  };
}

/** How a caller's image link is fetched when a create carries one (the API takes only the file). */
export type ImageFetch = Omit<ImageFetchOptions, 'what'>;

/** The create's multipart body: the JSON fields, and the image's bytes as `input_reference`. The
 * API takes only the file, so a caller's {url} is the one image link this app fetches itself
 * (src/providers/http/image-bytes.ts: the foreign-URL rule, ≤ 10 MiB, PNG/JPEG/WebP by magic
 * bytes) and checks against the video's size, which the API requires it to match exactly. */
async function createForm(
  fields: Record<string, string>,
  image: NonNullable<JobSpec['image']>,
  size: string,
  fetchOptions: ImageFetch,
  what: string,
): Promise<FormData> {
  const bytes = await readImageBytes(image, { ...fetchOptions, what });
  const mismatch = sizeMismatch(bytes, size);
  if (mismatch) throw new ProviderPermanentError(`${what}: ${mismatch}`, 400, 'image_size_mismatch');
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  const extension = bytes.contentType.split('/')[1];
  form.append(image.field, new Blob([bytes.data], { type: bytes.contentType }), `reference.${extension}`);
  return form;
}

/** `label` names a video in error messages ("video", or what the serving API calls it); `images`
 * says how a caller's image link may be fetched (absent: a link is refused, uploads still go). */
export function createVideosApi(
  http: Transport,
  label = 'video',
  images: ImageFetch = { requestTimeoutMs: 30_000 },
): JobsApiCalls {
  const videoPath = (videoId: string) => `/videos/${encodeURIComponent(videoId)}`;
  const get = async (what: string, path: string) =>
    toProviderJob(await http.json({ method: 'GET', path, what }, videoSchema), what);
  const content = (job: JobAddress, variant: 'video' | 'thumbnail', what: string) =>
    http.content({ method: 'GET', path: `${videoPath(job.jobId)}/content`, query: { variant }, what });
  return {
    async createJob(spec: JobSpec) {
      // Refused before sending: silently making one video when several were asked for would
      // hide a caller's bug (the request validator already allows only 1 here).
      if (spec.variants !== 1)
        throw new ProviderPermanentError(
          `The videos API makes one video per job; got variants=${spec.variants}`,
          400,
          'invalid_variants',
        );
      const body = { model: spec.model, prompt: spec.prompt, size: spec.size, seconds: String(spec.seconds) };
      const what = `Create ${label} (videos API)`;
      // With an image the create is multipart (input_reference is a file), as the API documents.
      const payload = spec.image
        ? { form: await createForm(body, spec.image, spec.size, images, what) }
        : { body };
      return toProviderJob(
        await http.json({ method: 'POST', path: '/videos', ...payload, what, create: true }, videoSchema),
        what,
      );
    },
    getJob: (job) => get(`Get ${label} ${job.jobId}`, videoPath(job.jobId)),
    async listRecentJobs(_model, limit) {
      const what = `List ${label}s`;
      const { value: list, providerNow } = await http.jsonWithDate(
        { method: 'GET', path: '/videos', query: { limit: String(limit), order: 'desc' }, what },
        videoListSchema,
      );
      return { jobs: knownJobs(list.data, (video) => toProviderJob(video, what)), providerNow };
    },
    openOutput: (job) => content(job, 'video', `Download ${label} ${job.jobId}`),
    openThumbnail: (job) => content(job, 'thumbnail', `Download the thumbnail of ${label} ${job.jobId}`),
    cancelJob: (job) =>
      http.discard(
        { method: 'DELETE', path: videoPath(job.jobId), what: `Delete ${label} ${job.jobId}` },
        { notFoundIsOk: true },
      ),
  };
}
