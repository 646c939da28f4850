// What the orchestrator, its activities and the HTTP API exchange. Everything here crosses
// the durable history as JSON, so it is plain data: no classes, no Dates, no video bytes,
// no signed links. Nothing here names a provider: jobs are addressed by the provider
// instance's name, whatever its kind.
import type { RequestPrice } from '../admission/cost.js';
import type { AdmissionAnswer, WaitReason } from '../admission/line.js';
import type { AdmissionLimits } from '../providers/capabilities.js';
import type { JobPhase, JobStage, ProviderJob } from '../providers/provider.js';
import type { VideoRequest } from '../requests/video-request.js';
import type { DurationClock, JobKind } from './duration-estimate.js';

export type { AdmissionAnswer, AdmissionLimits, JobPhase, JobStage, WaitReason };

/** The durable entity that keeps each provider account's line (src/admission/admission-entity.ts). */
export const ADMISSION_ENTITY = 'admission';

/** Which account a request counts against, and its limits (resolved by the starter from the
 * vendor's limits and the settings, so the orchestrator reads no settings). */
export interface AdmissionInput {
  account: string;
  limits: AdmissionLimits;
  /** When the request arrived (the starter's clock, ms): its place in line. */
  arrivedAt?: number;
}

/** The admission entity's `release` operation: the request is done with its account. */
export interface ReleaseInput {
  instanceId: string;
  runId?: string;
  now: number;
}

/** Where the request is in its account's line (the status view's `admission`). */
export interface AdmissionProgress {
  account: string;
  state: 'waiting' | 'admitted';
  position?: number;
  ahead?: number;
  reason?: WaitReason;
}

/** The orchestration's input: the validated request plus the settings it must not read from env. */
export interface GenerateVideoInput {
  request: VideoRequest;
  deadlineMinutes: number;
  poll: { minSeconds: number; maxSeconds: number };
  /** This start's own id: claims, intents, cancel marks and blobs are kept per run, so an
   * instance id started again after a purge begins clean. Absent in instances started before. */
  runId?: string;
  /** Read and record learned job durations (the readJobDurations and recordJobDuration
   * activities). Absent in instances started before those existed: their histories have no such
   * calls, so they replay without them. */
  learnDurations?: boolean;
  /** With an Idempotency-Key: a keyed digest of the normalised request, so a POST finding the
   * key taken can tell "this exact body is running" (202) from another body (422). */
  requestHash?: string;
  /** Absent: nothing limits the provider (or started before admission control): no line. */
  admission?: AdmissionInput;
  /** The account whose ledger counts this request (GET /api/usage), governed or not: the
   * admission entity's key. Absent in instances started before every provider kept one. */
  usageAccount?: string;
  /** The model's published price for this request; absent: none recorded (no cost shown). */
  price?: RequestPrice;
}

/** A provider job as the orchestrator needs it (createdAt is Unix seconds on the provider's
 * clock, when it says), with outputs reduced to their ids. */
export type JobSummary = Pick<
  ProviderJob,
  | 'jobId'
  | 'phase'
  | 'stage'
  | 'status'
  | 'progress'
  | 'queuePosition'
  | 'failure'
  | 'createdAt'
  | 'startedAt'
  | 'finishedAt'
  | 'runSeconds'
> & {
  outputIds: string[];
};

/** Activities report expected failures as data, so the orchestrator decides deterministically. */
export type ActivityFailure =
  | { ok: false; kind: 'transient'; message: string; status?: number; retryAfterSeconds?: number }
  | { ok: false; kind: 'permanent' | 'content-filtered'; message: string; status?: number; code?: string };

/** `webhook`: the provider will POST when the job ends (the orchestrator waits for that event). */
export type JobResult = { ok: true; job: JobSummary; adopted?: boolean; webhook?: boolean } | ActivityFailure;

/** The external event a verified provider webhook raises on the instance that owns the job. */
export const UPSTREAM_JOB_EVENT = 'upstreamJobEvent';

export interface CreateVideoJobInput {
  instanceId: string;
  runId?: string;
  request: VideoRequest;
}

/** A job at its provider: the provider instance's name, the model and the provider's job id. */
export interface JobRef {
  provider: string;
  model: string;
  jobId: string;
}

/** holdUpload's input: keep the request's uploaded image until the request's deadline. */
export interface HoldUploadInput {
  uploadId: string;
  untilIso: string;
}

/** Cleanup after a failure: the provider's job, and any video a sibling download already stored. */
export interface CancelVideoJobInput extends JobRef {
  instanceId?: string;
  runId?: string;
}

export interface DownloadVideoInput extends JobRef {
  instanceId: string;
  runId?: string;
  outputId: string;
  size: string;
  seconds: number;
}

export interface StoredBlobRef {
  blobName: string;
  bytes: number;
  contentType: string;
}

export interface StoredVideoRef extends StoredBlobRef {
  outputId: string;
  /** The output's still, when the provider served one (best effort: never fails the video). */
  thumbnail?: StoredBlobRef;
}

export type DownloadResult = { ok: true; video: StoredVideoRef } | ActivityFailure;

export type PipelinePhase = 'creating' | 'queued' | 'running' | 'downloading' | 'cleaning-up';

/** The orchestration's custom status, updated at every step (what GET /api/videos/{id} shows). */
export interface GenerateVideoProgress {
  phase: PipelinePhase;
  provider: string;
  model: string;
  jobId?: string;
  /** The provider's own status string. */
  upstreamStatus?: string;
  progress?: number;
  queuePosition?: number;
  /** Status calls made. */
  polls: number;
  /** Verified provider webhooks that woke the orchestration. */
  events: number;
  /** ISO time of the next status call, when waiting. */
  nextPollAt?: string;
  /** ISO time the job most likely ends, judged by how long jobs of its kind took (when known). */
  expectedReadyAt?: string;
  /** The request's place in its account's line, when the account is governed. */
  admission?: AdmissionProgress;
}

export interface GenerateVideoOutput {
  provider: string;
  model: string;
  jobId: string;
  polls: number;
  events: number;
  videos: StoredVideoRef[];
}

/** What an event to the caller's callbackUrl reports: the request, and how it ended. */
export interface CallbackEvent {
  type: 'video.completed' | 'video.failed' | 'video.cancelled';
  instanceId: string;
  request: VideoRequest;
  output?: GenerateVideoOutput;
  error?: string;
  /** ISO time the request was created (the status view's createdTime). */
  createdTime: string;
}

export interface DeliverCallbackInput {
  event: CallbackEvent;
  retry: { firstSeconds: number; maxSeconds: number; attempts: number };
}

/** sendCallback's result: one delivery attempt, as callbacks/send-event.ts reports it. */
export type { DeliveryResult } from '../callbacks/send-event.js';

/** The delivery orchestration's custom status and output (GET /api/videos/{id} → callback). */
export interface CallbackProgress {
  type: CallbackEvent['type'];
  delivered: boolean;
  attempts: number;
  lastStatus?: number;
  lastError?: string;
}

/** 5 s, 10 s, 20 s … capped at 10 minutes: twelve attempts span about an hour (Standard
 * Webhooks asks senders to retry with backoff; a receiver down for minutes still gets it). */
export const CALLBACK_RETRY: DeliverCallbackInput['retry'] = {
  firstSeconds: 5,
  maxSeconds: 600,
  attempts: 12,
};

/** The delivery orchestration of a request: one per request, so scheduling it twice is harmless. */
export const callbackInstanceId = (instanceId: string) => `${instanceId}-callback`;
export const DELIVER_CALLBACK = 'deliverCallback';

export const activityNames = {
  scheduleCallback: 'scheduleCallback',
  sendCallback: 'sendCallback',
  createVideoJob: 'createVideoJob',
  getVideoJobStatus: 'getVideoJobStatus',
  downloadVideo: 'downloadVideo',
  cancelVideoJob: 'cancelVideoJob',
  readJobDurations: 'readJobDurations',
  recordJobDuration: 'recordJobDuration',
  holdUpload: 'holdUpload',
  wakeAdmissionWaiters: 'wakeAdmissionWaiters',
} as const;

/** Raised to a request waiting in its account's line when a slot or a create may have come free
 * (the wakeAdmissionWaiters activity): it asks again at once instead of at its timer. */
export const ADMISSION_TURN_EVENT = 'admissionTurn';

/** wakeAdmissionWaiters' input: the instances to tell. */
export interface WakeWaitersInput {
  instanceIds: string[];
}

/** recordJobDuration's input: one finished job's duration, for its kind, and the clock it counts
 * on (absent in histories from before it was kept). */
export interface JobDurationSample {
  kind: JobKind;
  seconds: number;
  clock?: DurationClock;
}

export const GENERATE_VIDEO = 'generateVideo';
