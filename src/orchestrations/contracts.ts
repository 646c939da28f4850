// What the orchestrator, its activities and the HTTP API exchange. Everything here crosses
// the durable history as JSON, so it is plain data: no classes, no Dates, no video bytes.
import type { VideoRequest } from '../functions/video-request.js';
import type { SoraFamily, SoraPhase, VideoJobSnapshot } from '../sora/client.js';

export type { SoraFamily, SoraPhase };

/** The orchestration's input: the validated request plus the settings it must not read from env. */
export interface GenerateVideoInput {
  request: VideoRequest;
  deadlineMinutes: number;
  poll: { minSeconds: number; maxSeconds: number };
}

/** A Sora job as the orchestrator needs it: a subset of the client's snapshot (createdAt is
 * Unix seconds, Sora's clock), with generations reduced to their ids. */
export type JobSummary = Pick<VideoJobSnapshot, 'jobId' | 'family' | 'phase' | 'soraStatus' | 'progress' | 'failureReason' | 'createdAt'> & {
  generationIds: string[];
};

/** Activities report expected failures as data, so the orchestrator decides deterministically. */
export type ActivityFailure =
  | { ok: false; kind: 'transient'; message: string; status?: number; retryAfterSeconds?: number }
  | { ok: false; kind: 'permanent' | 'content-filtered'; message: string; status?: number; code?: string };

export type JobResult = { ok: true; job: JobSummary; adopted?: boolean } | ActivityFailure;

export interface CreateVideoJobInput {
  instanceId: string;
  request: VideoRequest;
}

export interface JobRef {
  family: SoraFamily;
  jobId: string;
}

/** Cleanup after a failure: the Sora job, and any video a sibling download already stored. */
export interface CancelVideoJobInput extends JobRef {
  instanceId?: string;
}

export interface DownloadVideoInput extends JobRef {
  instanceId: string;
  generationId: string;
  model: string;
  size: string;
  seconds: number;
  prompt: string;
}

export interface StoredBlobRef {
  blobName: string;
  bytes: number;
  contentType: string;
}

export interface StoredVideoRef extends StoredBlobRef {
  generationId: string;
  /** The generation's still, when Sora served one (best effort: never fails the video). */
  thumbnail?: StoredBlobRef;
}

export type DownloadResult = { ok: true; video: StoredVideoRef } | ActivityFailure;

export type PipelinePhase = 'creating' | 'queued' | 'running' | 'downloading' | 'cleaning-up';

/** The orchestration's custom status, updated at every step (what GET /api/videos/{id} shows). */
export interface GenerateVideoProgress {
  phase: PipelinePhase;
  family: SoraFamily;
  jobId?: string;
  soraStatus?: string;
  progress?: number;
  polls: number;
  /** ISO time of the next status call, when waiting. */
  nextPollAt?: string;
}

export interface GenerateVideoOutput {
  jobId: string;
  family: SoraFamily;
  model: string;
  polls: number;
  videos: StoredVideoRef[];
}

export const activityNames = {
  createVideoJob: 'createVideoJob',
  getVideoJobStatus: 'getVideoJobStatus',
  downloadVideo: 'downloadVideo',
  cancelVideoJob: 'cancelVideoJob',
} as const;

export const GENERATE_VIDEO = 'generateVideo';
