// The friendly status of a video request, computed from the durable instance status:
// what was asked, what phase it is in, what the provider says, and when done where the videos are.
import type {
  GenerateVideoInput,
  GenerateVideoOutput,
  GenerateVideoProgress,
} from '../orchestrations/contracts.js';
import { deliveredCost, estimatedCost, type RequestPrice } from '../admission/cost.js';
import type { AdmissionView, VideoStatus } from './view-schemas.js';

export interface DurableStatusLike {
  instanceId: string;
  runtimeStatus: string;
  customStatus?: unknown;
  input?: unknown;
  output?: unknown;
  createdTime: Date | string;
  lastUpdatedTime: Date | string;
}

// The view's types are inferred from the zod schemas that /api/openapi.json is generated from.
export type {
  AdmissionView,
  BlobView,
  RequestView,
  UpstreamView,
  VideoPhase,
  VideoStatus,
} from './view-schemas.js';

const FAILURE_PREFIX = /^Orchestrator function '[^']*' failed: /;
const iso = (value: Date | string) =>
  value instanceof Date ? value.toISOString() : new Date(value).toISOString();

function progressOf(custom: unknown): Partial<GenerateVideoProgress> {
  return typeof custom === 'object' && custom !== null ? (custom as Partial<GenerateVideoProgress>) : {};
}

function priceOf(input: unknown): RequestPrice | undefined {
  const price = (input as Partial<GenerateVideoInput> | null | undefined)?.price;
  return typeof price === 'object' && price !== null && typeof price.usdPerSecond === 'number'
    ? price
    : undefined;
}

function requestOf(input: unknown): GenerateVideoInput['request'] | undefined {
  const request = (input as Partial<GenerateVideoInput> | null | undefined)?.request;
  return typeof request === 'object' && request !== null && typeof request.prompt === 'string'
    ? request
    : undefined;
}

/** The line's answer as callers see it (the account's key stays inside). */
function admissionView(admission: NonNullable<GenerateVideoProgress['admission']>): AdmissionView {
  const { state, position, ahead, reason } = admission;
  return state === 'admitted' ? { state } : { state, position, ahead, reason };
}

export function toVideoStatus(status: DurableStatusLike): VideoStatus {
  const progress = progressOf(status.customStatus);
  const asked = requestOf(status.input);
  const price = priceOf(status.input);
  const base: VideoStatus = {
    id: status.instanceId,
    phase: 'pending',
    runtimeStatus: status.runtimeStatus,
    ...(asked
      ? {
          request: {
            prompt: asked.prompt,
            provider: asked.provider,
            model: asked.model,
            seconds: asked.seconds,
            size: asked.size,
            variants: asked.variants,
            ...(asked.callbackUrl ? { callbackUrl: asked.callbackUrl } : {}),
            // The image as asked: a link or an upload id (a signed link is never in the input).
            ...(asked.image
              ? {
                  image: 'url' in asked.image ? { url: asked.image.url } : { uploadId: asked.image.uploadId },
                  ...(asked.imageRole ? { imageRole: asked.imageRole } : {}),
                }
              : {}),
          },
        }
      : {}),
    upstream: {
      provider: progress.provider ?? asked?.provider,
      kind: asked?.kind,
      model: progress.model ?? asked?.model,
      jobId: progress.jobId,
      status: progress.upstreamStatus,
      progress: progress.progress,
      queuePosition: progress.queuePosition,
    },
    ...(price && asked ? { cost: estimatedCost(price, asked) } : {}),
    polls: progress.polls ?? 0,
    events: progress.events ?? 0,
    createdTime: iso(status.createdTime),
    lastUpdatedTime: iso(status.lastUpdatedTime),
  };
  switch (status.runtimeStatus) {
    case 'Completed': {
      const output = status.output as GenerateVideoOutput;
      return {
        ...base,
        phase: 'completed',
        polls: output.polls,
        events: output.events ?? 0,
        upstream: { ...base.upstream, jobId: output.jobId },
        ...(price && asked ? { cost: deliveredCost(price, asked.seconds, output.videos.length) } : {}),
        videos: output.videos.map((v) => ({ ...v, thumbnail: v.thumbnail && { ...v.thumbnail } })),
      };
    }
    case 'Failed':
      return {
        ...base,
        phase: 'failed',
        error: String(status.output ?? 'unknown failure').replace(FAILURE_PREFIX, ''),
      };
    case 'Terminated':
    case 'Canceled':
      return {
        ...base,
        phase: 'cancelled',
        error: typeof status.output === 'string' && status.output ? status.output : 'cancelled',
      };
    case 'Pending':
      return base;
    default:
      return {
        ...base,
        phase: progress.phase ?? 'pending',
        nextPollAt: progress.nextPollAt,
        ...(progress.expectedReadyAt ? { expectedReadyAt: progress.expectedReadyAt } : {}),
        ...(progress.admission ? { admission: admissionView(progress.admission) } : {}),
      };
  }
}
