// Sora's job snapshots (both families) in the pipeline's terms. Shared by the azure-openai
// adapter and the openai-videos adapter, whose wire shape is Sora 2's.
import type { JobStage, ProviderJob } from '../provider.js';
import type { VideoJobSnapshot } from './client.js';

/** Sora 1 stages `queued → preprocessing → running → processing`; Sora 2 `queued → in_progress`.
 * Preprocessing has not started the work yet; processing is the short last stage. */
const STAGES = new Map<string, JobStage>([
  ['queued', 'waiting'],
  ['preprocessing', 'waiting'],
  ['running', 'working'],
  ['in_progress', 'working'],
  ['processing', 'finishing'],
]);

export function toProviderJob(job: VideoJobSnapshot): ProviderJob {
  const size = job.width !== undefined && job.height !== undefined ? `${job.width}x${job.height}` : undefined;
  return {
    jobId: job.jobId,
    phase: job.phase,
    stage: STAGES.get(job.soraStatus) ?? (job.phase === 'queued' ? 'waiting' : 'working'),
    status: job.soraStatus,
    progress: job.progress,
    // A failed Sora 1 job can still list generations: only a success has outputs.
    outputs: job.phase === 'succeeded' ? job.generations.map((generation) => ({ id: generation.id })) : [],
    failure: job.failureMessage && job.failureReason && job.failureMessage !== job.failureReason ? `${job.failureReason}: ${job.failureMessage}` : job.failureReason ?? job.failureMessage,
    createdAt: job.createdAt,
    echo: { model: job.model, prompt: job.prompt, size, seconds: job.seconds, variants: job.variants },
  };
}

/** Sora 1 labels its JPEG stills image/jpg, which is not a registered type: browsers want image/jpeg. */
export function normaliseImageType(contentType: string): string {
  return /^image\/jpg\b/i.test(contentType) ? 'image/jpeg' : contentType;
}
