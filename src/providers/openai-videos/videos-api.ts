// The OpenAI videos API (/videos): Sora 2 on Azure and any OpenAI-compatible endpoint. One video per job, so the snapshot
// lists the video itself as the single generation once it is completed.
import { z } from 'zod';
import { ProviderPermanentError } from '../../errors.js';
import type { CreateVideoJobInput, FamilyClient, SoraPhase, SoraTransport, VideoJobSnapshot } from '../azure-openai/client.js';

const videoSchema = z.object({
  id: z.string().min(1),
  status: z.string().min(1),
  progress: z.number().nullish(),
  created_at: z.number(),
  size: z.string().regex(/^\d+x\d+$/, 'must look like WIDTHxHEIGHT'),
  // A string on the wire ("4"); a number is accepted in case a proxy or version sends one.
  seconds: z.union([z.string(), z.number()]).transform(Number).pipe(z.number().positive()),
  prompt: z.string().nullish(),
  error: z.object({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
  model: z.string().nullish(),
});
type Video = z.output<typeof videoSchema>;

const videoListSchema = z.object({ data: z.array(videoSchema) });

const PHASES = new Map<string, SoraPhase>([
  ['queued', 'queued'],
  ['in_progress', 'running'],
  ['completed', 'succeeded'],
  ['failed', 'failed'],
]);

/** An unknown status is treated as still running (see the jobs family for why). */
const phaseOf = (status: string): SoraPhase => PHASES.get(status) ?? 'running';

function toSnapshot(video: Video): VideoJobSnapshot {
  const phase = phaseOf(video.status);
  const [width, height] = video.size.split('x').map(Number);
  return {
    jobId: video.id,
    family: 'videos',
    phase,
    soraStatus: video.status,
    progress: video.progress ?? undefined,
    failureReason: video.error?.code ?? video.error?.message ?? undefined,
    failureMessage: video.error?.message ?? undefined,
    // Like the jobs API, which lists generations once a job succeeded.
    generations: phase === 'succeeded' ? [{ id: video.id, width, height, seconds: video.seconds }] : [],
    createdAt: video.created_at,
    prompt: video.prompt ?? undefined,
    model: video.model ?? undefined,
    width,
    height,
    seconds: video.seconds,
    variants: 1,
  };
}

export function createVideosFamily(http: SoraTransport): FamilyClient {
  const videoPath = (videoId: string) => `/videos/${encodeURIComponent(videoId)}`;
  return {
    async createJob(input: CreateVideoJobInput) {
      // Refused before sending: silently making one video when several were asked for would
      // hide a caller's bug (the request validator already allows only 1 here).
      if (input.variants !== 1) throw new ProviderPermanentError(`The Sora videos API makes one video per job; got variants=${input.variants}`, 400, 'invalid_variants');
      const body = { model: input.model, prompt: input.prompt, size: `${input.width}x${input.height}`, seconds: String(input.seconds) };
      return toSnapshot(await http.json({ method: 'POST', path: '/videos', body, what: 'Create Sora video (videos API)', create: true }, videoSchema));
    },
    async getJob(videoId) {
      return toSnapshot(await http.json({ method: 'GET', path: videoPath(videoId), what: `Get Sora video ${videoId}` }, videoSchema));
    },
    async listRecentJobs(limit) {
      const { value: list, providerNow } = await http.jsonWithDate({ method: 'GET', path: '/videos', query: { limit: String(limit), order: 'desc' }, what: 'List Sora videos' }, videoListSchema);
      return { jobs: list.data.map(toSnapshot), providerNow };
    },
    // The video is its own (only) generation.
    openVideoContent: (videoId) =>
      http.content({ method: 'GET', path: `${videoPath(videoId)}/content`, query: { variant: 'video' }, what: `Download Sora video ${videoId}` }),
    openThumbnail: (videoId) =>
      http.content({ method: 'GET', path: `${videoPath(videoId)}/content`, query: { variant: 'thumbnail' }, what: `Download the thumbnail of Sora video ${videoId}` }),
    deleteJob: (videoId) => http.discard({ method: 'DELETE', path: videoPath(videoId), what: `Delete Sora video ${videoId}` }, { notFoundIsOk: true }),
  };
}
