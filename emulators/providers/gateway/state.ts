// A video generation the AI Gateway dialect runs and what its routes share: the core, the queue
// that runs generations per API key, and the `idempotency-key`s seen, so a start sent again with
// the same key gets the same generation (docs/providers/ai-gateway.md#idempotency).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { videoOnce, type Core, type RequestContext } from '../core.js';
import { originOf } from '../http-util.js';
import { jobDurationMs } from '../jobs-api.js';
import { newQueuedJob, type JobQueue, type QueuedJob } from '../queued-jobs.js';
import { nominalSize, outputSize } from '../video-models.js';
import type { StartRequest } from './create-request.js';

/** One video of a generation: a public file. */
export interface GeneratedVideo {
  id: string;
  index: number;
  file: string;
  ready?: Promise<number>;
}

export interface Generation extends QueuedJob {
  model: string;
  request: StartRequest;
  /** The origin the caller used, so video URLs lead back to this emulator. */
  origin: string;
  videos: GeneratedVideo[];
  /** Set by POST /_admin/expire/{id}: the files answer 404 from then on. */
  expired: boolean;
}

export interface GatewayDeps {
  core: Core;
  queue: JobQueue<Generation>;
  /** `<api key> <idempotency-key>` → the generation that key started. */
  idempotent: Map<string, Generation>;
  /** Every video file by its id, with its generation. */
  files: Map<string, { generation: Generation; video: GeneratedVideo }>;
}

/** Generation and file ids (**choice**: the gateway's own form is not in the sources read). */
export const generationId = () => `vgen_${randomBytes(12).toString('hex')}`;

/** The generation a start of `key` begins now; 10% of its duration is queue time. */
export function newGeneration(
  core: Core,
  ctx: RequestContext,
  key: string,
  model: string,
  request: StartRequest,
): Generation {
  const work = {
    ...nominalSize(request.aspectRatio),
    n_seconds: request.seconds,
    n_variants: request.videos,
  };
  const totalMs = core.jittered(jobDurationMs(work, core.settings.timeScale));
  const id = generationId();
  const videos = Array.from({ length: request.videos }, (_, index) => {
    const fileId = `${id}-${index}`;
    return { id: fileId, index, file: path.join(core.dataDir, `gateway-${fileId}.mp4`) };
  });
  return {
    ...newQueuedJob(core, id, key, totalMs, request.prompt),
    model,
    request,
    origin: originOf(ctx.req),
    videos,
    expired: false,
  };
}

/** A finished video's MP4, encoded on first use; each video of a generation is its own picture. */
export function videoOf(core: Core, generation: Generation, video: GeneratedVideo): Promise<number> {
  const { width, height } = outputSize(generation.request.aspectRatio);
  const { prompt, seconds } = generation.request;
  return videoOnce(
    core,
    video,
    { width, height, seconds, seed: video.index === 0 ? prompt : `${prompt}#${video.index}` },
    video.file,
  );
}
