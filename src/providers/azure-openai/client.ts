// One client for both Azure OpenAI Sora API families (/shared/docs/sora-api.md): the jobs API
// (Sora 1) and the videos API (Sora 2). Model versions retire within months, so callers see
// one interface and name the family; each family only maps its own wire shapes.
//
// The client never retries: the orchestrator owns retry timing (durable timers, deadlines),
// and a retried create can bill a second job. Instead every failure is a named error whose
// class tells the orchestrator what is safe: ProviderTransientError (try again later),
// ProviderPermanentError (never), CreateOutcomeUnknownError (a create may have happened: adopt a
// job via listRecentJobs rather than re-sending).
import { classifyFailedResponse } from '../http/classify-response.js';
import { createTransport, type AuthHeaders, type Transport } from '../http/transport.js';
import type { OutputContent } from '../provider.js';
import { createVideosFamily } from '../openai-videos/videos-api.js';
import { createJobsFamily } from './jobs-family.js';

export type SoraFamily = 'jobs' | 'videos';

export interface CreateVideoJobInput {
  family: SoraFamily;
  model: string;
  prompt: string;
  width: number;
  height: number;
  seconds: number;
  variants: number;
}

export type SoraPhase = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface VideoJobSnapshot {
  jobId: string;
  family: SoraFamily;
  phase: SoraPhase;
  /** The raw status string from Sora. */
  soraStatus: string;
  /** 0-100 when Sora says (videos family). */
  progress?: number;
  /** failure_reason (jobs) or error.code, else error.message (videos). */
  failureReason?: string;
  /** Videos family: error.message, the human-readable half of the failure. */
  failureMessage?: string;
  /** Jobs family: as Sora lists them. Videos family: one entry (id = the video id) once
   * the video is completed, none before, so both families read alike. */
  generations: { id: string; width: number; height: number; seconds: number }[];
  /** Unix seconds. */
  createdAt: number;
  /** As Sora echoed it, when it did (the videos API on Azure does not). */
  prompt?: string;
  /** What was asked for, as Sora echoes it: lets a lost create be matched to its job. */
  model?: string;
  width?: number;
  height?: number;
  seconds?: number;
  variants?: number;
}

export type VideoContent = OutputContent;

export interface SoraClient {
  createJob(input: CreateVideoJobInput): Promise<VideoJobSnapshot>;
  getJob(family: SoraFamily, jobId: string): Promise<VideoJobSnapshot>;
  /** Recent jobs (newest first, up to `limit`), used to adopt a job whose create outcome was
   * unknown, with Sora's clock (Unix seconds) when its answer said. */
  listRecentJobs(family: SoraFamily, limit: number): Promise<RecentJobs>;
  openVideoContent(family: SoraFamily, jobId: string, generationId: string): Promise<VideoContent>;
  /** The generation's JPEG thumbnail (small: a still frame). */
  openThumbnail(family: SoraFamily, jobId: string, generationId: string): Promise<VideoContent>;
  /** Cancel/delete the job; a job that is already gone (404) is not an error. */
  deleteJob(family: SoraFamily, jobId: string): Promise<void>;
}

export interface RecentJobs {
  jobs: VideoJobSnapshot[];
  providerNow?: number;
}

/** What one family implements; the family itself is implied. */
export interface FamilyClient {
  createJob(input: CreateVideoJobInput): Promise<VideoJobSnapshot>;
  getJob(jobId: string): Promise<VideoJobSnapshot>;
  listRecentJobs(limit: number): Promise<RecentJobs>;
  openVideoContent(jobId: string, generationId: string): Promise<VideoContent>;
  openThumbnail(jobId: string, generationId: string): Promise<VideoContent>;
  deleteJob(jobId: string): Promise<void>;
}

/** HTTP for one family (its api-version baked in). */
export type SoraTransport = Transport;

export interface SoraClientOptions {
  /** `https://<resource>.openai.azure.com` (no /openai suffix). */
  endpoint: string;
  auth: AuthHeaders;
  requestTimeoutMs: number;
  /** A download silent for this long is broken off; default requestTimeoutMs. */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
}

/** sora-api.md: Sora 1 samples send `preview`; the Sora 2 (OpenAI-compatible) API takes `v1`. */
const API_VERSIONS: Record<SoraFamily, string> = { jobs: 'preview', videos: 'v1' };

export function createSoraClient(options: SoraClientOptions): SoraClient {
  if (!(options.requestTimeoutMs > 0)) throw new RangeError('requestTimeoutMs must be a positive number');
  const baseUrl = `${options.endpoint.replace(/\/+$/, '')}/openai/v1`;
  const transport = (family: SoraFamily) =>
    createTransport({
      service: 'Sora', baseUrl, fixedQuery: { 'api-version': API_VERSIONS[family] }, auth: options.auth,
      requestTimeoutMs: options.requestTimeoutMs, idleTimeoutMs: options.idleTimeoutMs, fetch: options.fetch, classify: classifyFailedResponse,
    });
  const families: Record<SoraFamily, FamilyClient> = {
    jobs: createJobsFamily(transport('jobs')),
    videos: createVideosFamily(transport('videos')),
  };
  // The family often comes from stored JSON: refuse anything else plainly (and never
  // resolve prototype keys such as "constructor").
  const pick = (family: SoraFamily): FamilyClient => {
    if (!Object.hasOwn(families, family)) throw new TypeError(`Unknown Sora API family: ${String(family)}`);
    return families[family];
  };
  return {
    createJob: (input) => pick(input.family).createJob(input),
    getJob: (family, jobId) => pick(family).getJob(jobId),
    listRecentJobs: async (family, limit) => {
      const recent = await pick(family).listRecentJobs(pageSize(limit));
      return { ...recent, jobs: newestFirst(recent.jobs).slice(0, pageSize(limit)) };
    },
    openVideoContent: (family, jobId, generationId) => pick(family).openVideoContent(jobId, generationId),
    openThumbnail: (family, jobId, generationId) => pick(family).openThumbnail(jobId, generationId),
    deleteJob: (family, jobId) => pick(family).deleteJob(jobId),
  };
}

function pageSize(limit: number): number {
  if (!Number.isFinite(limit)) throw new RangeError('limit must be a finite number');
  return Math.max(1, Math.floor(limit));
}

/** The list order is not documented for the jobs API; adoption relies on newest first. */
function newestFirst(jobs: VideoJobSnapshot[]): VideoJobSnapshot[] {
  return [...jobs].sort((a, b) => b.createdAt - a.createdAt);
}
