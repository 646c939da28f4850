// Sora 1: the jobs API (/video/generations/jobs), plain REST (no SDK covers it). Maps its
// job objects to the family-neutral snapshot; HTTP and errors are the transport's job.
import { z } from 'zod';
import type { CreateVideoJobInput, FamilyClient, SoraPhase, SoraTransport, VideoJobSnapshot } from './client.js';

const generationSchema = z.object({
  id: z.string().min(1),
  width: z.number(),
  height: z.number(),
  n_seconds: z.number(),
});

const jobSchema = z.object({
  id: z.string().min(1),
  status: z.string().min(1),
  created_at: z.number(),
  generations: z.array(generationSchema).nullish(),
  prompt: z.string().nullish(),
  failure_reason: z.string().nullish(),
  model: z.string().nullish(),
  width: z.number().nullish(),
  height: z.number().nullish(),
  n_seconds: z.number().nullish(),
  n_variants: z.number().nullish(),
});
type Job = z.output<typeof jobSchema>;

const jobListSchema = z.object({ data: z.array(jobSchema) });

/** `queued → preprocessing → running → processing → succeeded`, or failed / cancelled. */
const PHASES = new Map<string, SoraPhase>([
  ['queued', 'queued'],
  ['preprocessing', 'running'],
  ['running', 'running'],
  ['processing', 'running'],
  ['succeeded', 'succeeded'],
  ['failed', 'failed'],
  ['cancelled', 'cancelled'],
]);

/** An unknown status is treated as still running: the orchestrator keeps polling until its
 * deadline, which is safer than declaring a job that may yet succeed dead. */
const phaseOf = (status: string): SoraPhase => PHASES.get(status) ?? 'running';

function toSnapshot(job: Job): VideoJobSnapshot {
  return {
    jobId: job.id,
    family: 'jobs',
    phase: phaseOf(job.status),
    soraStatus: job.status,
    failureReason: job.failure_reason ?? undefined,
    // Listed as Sora lists them: a failed job can still list generations, so callers go by phase.
    generations: (job.generations ?? []).map((g) => ({ id: g.id, width: g.width, height: g.height, seconds: g.n_seconds })),
    createdAt: job.created_at,
    prompt: job.prompt ?? undefined,
    model: job.model ?? undefined,
    width: job.width ?? undefined,
    height: job.height ?? undefined,
    seconds: job.n_seconds ?? undefined,
    variants: job.n_variants ?? undefined,
  };
}

export function createJobsFamily(http: SoraTransport): FamilyClient {
  const jobPath = (jobId: string) => `/video/generations/jobs/${encodeURIComponent(jobId)}`;
  return {
    async createJob(input: CreateVideoJobInput) {
      const body = { model: input.model, prompt: input.prompt, width: input.width, height: input.height, n_seconds: input.seconds, n_variants: input.variants };
      return toSnapshot(await http.json({ method: 'POST', path: '/video/generations/jobs', body, what: 'Create Sora job (jobs API)', create: true }, jobSchema));
    },
    async getJob(jobId) {
      return toSnapshot(await http.json({ method: 'GET', path: jobPath(jobId), what: `Get Sora job ${jobId}` }, jobSchema));
    },
    async listRecentJobs(limit) {
      const { value: list, providerNow } = await http.jsonWithDate({ method: 'GET', path: '/video/generations/jobs', query: { limit: String(limit) }, what: 'List Sora jobs' }, jobListSchema);
      return { jobs: list.data.map(toSnapshot), providerNow };
    },
    // Content belongs to a generation; the job id is not part of the path.
    openVideoContent: (_jobId, generationId) =>
      http.content({ method: 'GET', path: `/video/generations/${encodeURIComponent(generationId)}/content/video`, what: `Download Sora generation ${generationId}` }),
    openThumbnail: (_jobId, generationId) =>
      http.content({ method: 'GET', path: `/video/generations/${encodeURIComponent(generationId)}/content/thumbnail`, what: `Download the thumbnail of Sora generation ${generationId}` }),
    deleteJob: (jobId) => http.discard({ method: 'DELETE', path: jobPath(jobId), what: `Delete Sora job ${jobId}` }, { notFoundIsOk: true }),
  };
}
