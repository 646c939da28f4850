// The friendly status of a video request, computed from the durable instance status:
// what phase it is in, what Sora says, and when done where the videos are.
import type { GenerateVideoOutput, GenerateVideoProgress, SoraFamily } from '../orchestrations/contracts.js';

export interface DurableStatusLike {
  instanceId: string;
  runtimeStatus: string;
  customStatus?: unknown;
  output?: unknown;
  createdTime: Date | string;
  lastUpdatedTime: Date | string;
}

/** A stored blob, with a read-only link once the status endpoint has signed one. */
export interface BlobView {
  blobName: string;
  bytes: number;
  contentType: string;
  url?: string;
  urlExpiresOn?: string;
}

export type VideoPhase = 'pending' | 'creating' | 'queued' | 'running' | 'downloading' | 'cleaning-up' | 'completed' | 'failed' | 'cancelled';

export interface VideoStatus {
  id: string;
  phase: VideoPhase;
  runtimeStatus: string;
  sora: { family?: SoraFamily; jobId?: string; status?: string; progress?: number };
  polls: number;
  nextPollAt?: string;
  createdTime: string;
  lastUpdatedTime: string;
  videos?: (BlobView & { generationId: string; thumbnail?: BlobView })[];
  error?: string;
}

const FAILURE_PREFIX = /^Orchestrator function '[^']*' failed: /;
const iso = (value: Date | string) => (value instanceof Date ? value.toISOString() : new Date(value).toISOString());

function progressOf(custom: unknown): Partial<GenerateVideoProgress> {
  return typeof custom === 'object' && custom !== null ? (custom as Partial<GenerateVideoProgress>) : {};
}

export function toVideoStatus(status: DurableStatusLike): VideoStatus {
  const progress = progressOf(status.customStatus);
  const base: VideoStatus = {
    id: status.instanceId,
    phase: 'pending',
    runtimeStatus: status.runtimeStatus,
    sora: { family: progress.family, jobId: progress.jobId, status: progress.soraStatus, progress: progress.progress },
    polls: progress.polls ?? 0,
    createdTime: iso(status.createdTime),
    lastUpdatedTime: iso(status.lastUpdatedTime),
  };
  switch (status.runtimeStatus) {
    case 'Completed': {
      const output = status.output as GenerateVideoOutput;
      return { ...base, phase: 'completed', polls: output.polls, sora: { ...base.sora, jobId: output.jobId, family: output.family }, videos: output.videos.map((v) => ({ ...v, thumbnail: v.thumbnail && { ...v.thumbnail } })) };
    }
    case 'Failed':
      return { ...base, phase: 'failed', error: String(status.output ?? 'unknown failure').replace(FAILURE_PREFIX, '') };
    case 'Terminated':
    case 'Canceled':
      return { ...base, phase: 'cancelled', error: typeof status.output === 'string' && status.output ? status.output : 'cancelled' };
    case 'Pending':
      return base;
    default:
      return { ...base, phase: progress.phase ?? 'pending', nextPollAt: progress.nextPollAt };
  }
}
