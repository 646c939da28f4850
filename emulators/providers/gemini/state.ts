// A Veo long-running operation and what the Gemini dialect's routes share: the core, the queue
// that runs operations per API key, the per-minute create quota and the generated files by id.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { videoOnce, type Core, type RequestContext } from '../core.js';
import type { CreatesPerMinute } from '../creates-per-minute.js';
import { originOf } from '../http-util.js';
import { jobDurationMs } from '../jobs-api.js';
import { newQueuedJob, type JobQueue, type QueuedJob } from '../queued-jobs.js';
import { nominalSize, outputSize } from '../video-models.js';
import type { CreateRequest } from './create-request.js';
import type { VeoModel } from './models.js';

/** One generated sample: a file of the Files API. */
export interface Sample {
  id: string;
  index: number;
  file: string;
  ready?: Promise<number>;
}

export interface Operation extends QueuedJob {
  model: VeoModel;
  request: CreateRequest;
  /** The origin the caller used, so file URIs lead back to this emulator. */
  origin: string;
  samples: Sample[];
  /** Set by POST /_admin/expire/{id}: the files answer 404 from then on. */
  expired: boolean;
}

export interface GeminiDeps {
  core: Core;
  queue: JobQueue<Operation>;
  /** Creates per API key, for the per-minute quota. */
  creates: CreatesPerMinute;
  /** Every generated file by its id, with its operation. */
  files: Map<string, { op: Operation; sample: Sample }>;
}

/** Operation and file ids: 12 lowercase letters and digits, as Google's look. */
export function resourceId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(12)].map((b) => alphabet[b % 36]).join('');
}

/** The operation a create of `key` starts now; 10% of its duration is queue time. */
export function newOperation(
  core: Core,
  ctx: RequestContext,
  key: string,
  model: VeoModel,
  request: CreateRequest,
): Operation {
  // 4k renders four times the pixels of 1080p.
  const fourK = request.resolution === '4k';
  const nominal = nominalSize(request.aspectRatio, fourK ? '1080p' : request.resolution);
  const work = {
    width: nominal.width * (fourK ? 4 : 1),
    height: nominal.height,
    n_seconds: request.seconds,
    n_variants: request.samples,
  };
  const totalMs = core.jittered(jobDurationMs(work, core.settings.timeScale));
  const id = resourceId();
  const samples = Array.from({ length: request.samples }, (_, index) => {
    const fileId = resourceId();
    return { id: fileId, index, file: path.join(core.dataDir, `gemini-${fileId}.mp4`) };
  });
  return {
    ...newQueuedJob(core, id, key, totalMs, request.prompt),
    model,
    request,
    origin: originOf(ctx.req),
    samples,
    expired: false,
  };
}

/** A succeeded sample's MP4, encoded on first use; each sample of an operation is its own picture. */
export function videoOf(core: Core, op: Operation, sample: Sample): Promise<number> {
  const { width, height } = outputSize(op.request.aspectRatio);
  const seed = sample.index === 0 ? op.request.prompt : `${op.request.prompt}#${sample.index}`;
  return videoOnce(
    core,
    sample,
    { width, height, seconds: op.request.seconds, seed, firstFrame: op.image?.average },
    sample.file,
  );
}
