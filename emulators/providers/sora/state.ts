// The Azure OpenAI Sora dialect's jobs (jobs API, Sora 1) and videos (videos API, Sora 2): what
// its routes share, and where each job or video stands on the core's clock.
import type { Core, LateFailure } from '../core.js';
import { CreatesPerMinute } from '../creates-per-minute.js';
import type { InputImage } from '../image-fetch.js';
import { TERMINAL, statusAt, type CreateJobInput, type JobStatus } from '../jobs-api.js';
import { videoStateAt, type CreateVideoInput } from '../videos-api.js';

export interface Job {
  id: string;
  input: CreateJobInput;
  createdMs: number;
  totalMs: number;
  cancelled: boolean;
  moderated: boolean;
  lateFailure: LateFailure;
  expired: boolean;
  generations: Array<{ id: string; file: string; ready?: Promise<number> }>;
  /** The image of the inpaint item at frame 0, if any: every generation starts with its average colour. */
  image?: InputImage;
}

export interface Video {
  id: string;
  input: CreateVideoInput;
  createdMs: number;
  totalMs: number;
  remixedFrom: string | null;
  moderated: boolean;
  lateFailure: LateFailure;
  expired: boolean;
  file: string;
  ready?: Promise<number>;
  /** The decoded `input_reference`, if sent: the video starts with its average colour. */
  image?: InputImage;
}

export interface SoraState {
  core: Core;
  /** Deployments the jobs API serves. */
  deployments: Set<string>;
  /** Deployments the videos API serves. */
  videoDeployments: Set<string>;
  jobs: Map<string, Job>;
  generations: Map<string, { job: Job; index: number }>;
  videos: Map<string, Video>;
  /** Creates per Sora 2 deployment, for the per-minute create quota. */
  videoCreates: CreatesPerMinute;
}

export function createSoraState(core: Core): SoraState {
  return {
    core,
    deployments: new Set(core.options.jobsDeployments ?? ['sora']),
    videoDeployments: new Set(core.options.videosDeployments ?? ['sora-2']),
    jobs: new Map(),
    generations: new Map(),
    videos: new Map(),
    videoCreates: new CreatesPerMinute(),
  };
}

export function statusOf(job: Job): JobStatus {
  if (job.cancelled) return 'cancelled';
  if (job.moderated) return 'failed';
  const status = statusAt(Date.now() - job.createdMs, job.totalMs);
  return status === 'succeeded' && job.lateFailure ? 'failed' : status;
}

export function videoState(video: Video) {
  if (video.moderated) return { status: 'failed' as const, progress: 0 };
  const state = videoStateAt(Date.now() - video.createdMs, video.totalMs);
  return state.status === 'completed' && video.lateFailure
    ? { status: 'failed' as const, progress: state.progress }
    : state;
}

/** Jobs and videos of a deployment not yet final: what the running-jobs limit counts. */
export function running(state: SoraState, model: string): number {
  return (
    [...state.jobs.values()].filter((j) => j.input.model === model && !TERMINAL.has(statusOf(j))).length +
    [...state.videos.values()].filter(
      (v) => v.input.model === model && !['completed', 'failed'].includes(videoState(v).status),
    ).length
  );
}

/** Content finished at `finishedMs` is gone once expired by the admin or past contentTtlSeconds. */
export function contentGone(state: SoraState, finishedMs: number, expired: boolean): boolean {
  return expired || Date.now() > finishedMs + state.core.settings.contentTtlSeconds * 1000;
}
