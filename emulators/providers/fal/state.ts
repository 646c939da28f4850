// A fal request (fal's word for a job) and what the fal dialect's routes share: the core, the
// queue that runs requests per key, the webhook signer and the watcher that sends webhooks.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { videoOnce, type Core, type RequestContext } from '../core.js';
import { originOf } from '../http-util.js';
import { jobDurationMs } from '../jobs-api.js';
import type { JobQueue, QueuedJob } from '../queued-jobs.js';
import { nominalWork, outputSize, type VideoModel } from '../video-models.js';
import type { Watcher } from '../webhooks.js';
import type { FalSigner } from './signing.js';
import { resultBody } from './wire.js';

export interface FalRequest extends QueuedJob {
  model: VideoModel;
  /** owner/app: the first two segments of the model id (three for workflows/ and comfy/). */
  app: string;
  input: Record<string, unknown>;
  /** The model's pydantic-style 422 items when it refuses the input: fal queues such a request
   * anyway and the refusal is its outcome (docs/providers/fal.md#submit-answer). */
  inputErrors?: unknown[];
  origin: string;
  webhookUrl?: string;
  fileTtlSeconds: number;
  expired: boolean;
  file: string;
  ready?: Promise<number>;
}

export interface FalDeps {
  core: Core;
  queue: JobQueue<FalRequest>;
  signer: FalSigner;
  /** Sends a request's webhook once it is final. */
  watcher: Watcher<FalRequest>;
}

/** Status/result/cancel address a request by owner/app only
 * (docs/providers/fal.md#model-id-and-request-paths). */
export function appOf(modelId: string): string {
  const parts = modelId.split('/');
  return ['workflows', 'comfy'].includes(parts[0])
    ? parts.slice(0, 3).join('/')
    : parts.slice(0, 2).join('/');
}

/** The output's lifetime that `X-Fal-Object-Lifecycle-Preference` asks for: JSON
 * `{"expiration_duration_seconds": N}` with N a whole number ≥ 1, or null for no expiry (fal's
 * storage settings' range, docs/providers/fal.md#request-headers). Anything else is ignored
 * (undefined: the account's default), the emulator's choice where fal does not say. */
function fileTtlOf(ctx: RequestContext): number | undefined {
  const header = ctx.req.headers['x-fal-object-lifecycle-preference'];
  if (typeof header !== 'string') return undefined;
  try {
    const value = (JSON.parse(header) as { expiration_duration_seconds?: unknown })
      .expiration_duration_seconds;
    if (value === null) return Infinity;
    return Number.isInteger(value) && (value as number) >= 1 ? (value as number) : undefined;
  } catch {
    return undefined;
  }
}

/** A submitted request of `key` for `model` with its validated input (or, with `inputErrors`,
 * the input as sent: the runner refuses it as soon as it starts); 10% of its duration is queue time. */
export function newFalRequest(
  core: Core,
  ctx: RequestContext,
  key: string,
  model: VideoModel,
  input: Record<string, unknown>,
  inputErrors?: unknown[],
): FalRequest {
  const { settings } = core;
  // A refused input has no nominal size: it waits the fixed part of a job's time, then fails at its start.
  const totalMs = inputErrors
    ? Math.round(2000 * settings.timeScale)
    : core.jittered(jobDurationMs(nominalWork(model, input), settings.timeScale));
  const id = randomUUID();
  // X-Fal-Request-Timeout: seconds the request may wait for its start (queue time, not inference).
  const timeout = Number(ctx.req.headers['x-fal-request-timeout'] ?? NaN);

  return {
    id,
    account: key,
    createdMs: Date.now(),
    queueMs: Math.round(totalMs * 0.1),
    runMs: totalMs - Math.round(totalMs * 0.1),
    startDeadlineMs: timeout > 0 ? Date.now() + timeout * 1000 : undefined,
    // Refused input fails the moment a runner takes it, like a moderated prompt.
    moderated: inputErrors !== undefined || core.denied(String(input.prompt)),
    lateFailure: inputErrors ? null : core.drawLateFailure(),
    model,
    app: appOf(model.id),
    input,
    inputErrors,
    origin: originOf(ctx.req),
    webhookUrl: ctx.url.searchParams.get('fal_webhook') ?? undefined,
    fileTtlSeconds: fileTtlOf(ctx) ?? settings.falFileTtlSeconds,
    expired: false,
    file: path.join(core.dataDir, `fal-${id}.mp4`),
  };
}

/** The finished video's result; encodes the MP4 on first use. */
export async function resultOf(core: Core, r: FalRequest) {
  const { width, height } = outputSize(r.model.aspect(r.input, r.image));
  const bytes = await videoOnce(
    core,
    r,
    {
      width,
      height,
      seconds: r.model.seconds(r.input),
      seed: String(r.input.prompt),
      firstFrame: r.image?.average,
    },
    r.file,
  );
  return resultBody(r, bytes);
}
