// A deferred xAI video request and what the xAI dialect's routes share: the core and the queue
// that runs requests per API key.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { videoOnce, type Core, type RequestContext } from '../core.js';
import { originOf } from '../http-util.js';
import { jobDurationMs } from '../jobs-api.js';
import { newQueuedJob, type JobQueue, type QueuedJob } from '../queued-jobs.js';
import { aspectOfImage, outputSize } from '../video-models.js';
import type { CreateRequest } from './create-request.js';

export interface VideoRequest extends QueuedJob {
  request: CreateRequest;
  /** The origin the caller used, so the video URL leads back to this emulator. */
  origin: string;
  file: string;
  ready?: Promise<number>;
  /** Why the start image could not be used: the request fails as soon as it starts (set with `moderated`). */
  inputError?: string;
  /** Set by POST /_admin/expire/{id}: the video URL answers 404 from then on. */
  expired: boolean;
}

export interface XaiDeps {
  core: Core;
  queue: JobQueue<VideoRequest>;
}

/** The pixels the real model renders at `resolution` (its short side) and `aspect` (W:H), for the timing profile. */
export function nominalPixels(aspect: string, resolution: string): { width: number; height: number } {
  const short = Number.parseInt(resolution, 10);
  const [w, h] = aspect.split(':').map(Number);
  return w >= h
    ? { width: Math.round((short * w) / h), height: short }
    : { width: short, height: Math.round((short * h) / w) };
}

/** The request a create of `key` starts now; 10% of its duration is queue time. */
export function newVideoRequest(
  core: Core,
  ctx: RequestContext,
  key: string,
  request: CreateRequest,
): VideoRequest {
  const work = {
    ...nominalPixels(request.aspectRatio, request.resolution),
    n_seconds: request.seconds,
    n_variants: 1,
  };
  const totalMs = core.jittered(jobDurationMs(work, core.settings.timeScale));
  // xAI's request ids are UUIDs (its OpenAPI document's examples).
  const id = randomUUID();
  return {
    ...newQueuedJob(core, id, key, totalMs, request.prompt),
    request,
    origin: originOf(ctx.req),
    file: path.join(core.dataDir, `xai-${id}.mp4`),
    expired: false,
  };
}

/** The finished video, encoded on first use: image-to-video takes its ratio from the image, as
 * xAI's OpenAPI document says of `aspect_ratio`. */
export function videoOf(core: Core, r: VideoRequest): Promise<number> {
  const aspect = r.request.imageUrl ? aspectOfImage(r.image, r.request.aspectRatio) : r.request.aspectRatio;
  const { width, height } = outputSize(aspect);
  return videoOnce(
    core,
    r,
    { width, height, seconds: r.request.seconds, seed: r.request.prompt, firstFrame: r.image?.average },
    r.file,
  );
}
