// A Replicate prediction and what the Replicate dialect's routes share: the core, the queue
// that runs predictions per token, the per-minute create quota, the webhook secret and sender,
// and the watcher that sends webhooks as predictions move.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { videoOnce, type Core, type RequestContext } from '../core.js';
import type { CreatesPerMinute } from '../creates-per-minute.js';
import { originOf } from '../http-util.js';
import { jobDurationMs } from '../jobs-api.js';
import type { InputImage } from '../image-fetch.js';
import type { JobQueue, QueuedJob } from '../queued-jobs.js';
import { nominalWork, outputSize, type VideoModel } from '../video-models.js';
import type { Watcher, WebhookSender } from '../webhooks.js';

export const EVENTS = ['start', 'output', 'logs', 'completed'] as const;
export type WebhookEvent = (typeof EVENTS)[number];

export interface Prediction extends QueuedJob {
  model: VideoModel;
  /** As sent (the prediction shows it so). */
  input: Record<string, unknown>;
  /** With the model's defaults filled in (what the run uses). */
  resolved: Record<string, unknown>;
  origin: string;
  webhook?: string;
  /** As sent; undefined = Replicate's default (new output and completion). */
  filter?: WebhookEvent[];
  dataRemoved: boolean;
  file: string;
  ready?: Promise<number>;
  lastLogs: string;
  lastLogsSentMs: number;
  /** Why the image input could not be used: the prediction fails as soon as it starts (set with `moderated`). */
  inputError?: string;
}

export interface ReplicateDeps {
  core: Core;
  queue: JobQueue<Prediction>;
  /** Creates per token, for the per-minute create quota. */
  creates: CreatesPerMinute;
  /** The default webhook secret (`whsec_…`), new each start. */
  secret: string;
  webhooks: WebhookSender;
  /** Sends a prediction's webhooks as it moves, until its terminal one. */
  watcher: Watcher<Prediction>;
}

/** A create that passed every check: the model, the input as sent and with defaults, the webhook and the Cancel-After deadline. */
export interface CreateRequest {
  model: VideoModel;
  input: Record<string, unknown>;
  resolved: Record<string, unknown>;
  webhook?: string;
  filter?: WebhookEvent[];
  deadlineMs?: number;
}

/** Replicate's ids: 26 lowercase base32 characters. */
export function predictionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...randomBytes(26)].map((b) => alphabet[b % 32]).join('');
}

/** The prediction a create of `token` starts at `now`; 10% of its duration is boot (queue) time. */
export function newPrediction(
  core: Core,
  ctx: RequestContext,
  token: string,
  request: CreateRequest,
  now: number,
): Prediction {
  const { model, deadlineMs } = request;
  const totalMs = core.jittered(jobDurationMs(nominalWork(model, request.resolved), core.settings.timeScale));
  const id = predictionId();
  return {
    id,
    account: token,
    createdMs: now,
    queueMs: Math.round(totalMs * 0.1),
    runMs: totalMs - Math.round(totalMs * 0.1),
    startDeadlineMs: deadlineMs === undefined ? undefined : now + deadlineMs,
    runDeadlineMs: deadlineMs === undefined ? undefined : now + deadlineMs,
    moderated: core.denied(String(request.resolved.prompt)),
    lateFailure: core.drawLateFailure(),
    model,
    input: request.input,
    resolved: request.resolved,
    origin: originOf(ctx.req),
    webhook: request.webhook,
    filter: request.filter,
    dataRemoved: false,
    file: path.join(core.dataDir, `replicate-${id}.mp4`),
    lastLogs: '',
    lastLogsSentMs: 0,
  };
}

/** The succeeded prediction's MP4, encoded on first use. */
export function videoOf(core: Core, p: Prediction): Promise<number> {
  const { width, height } = outputSize(p.model.aspect(p.resolved, p.image));
  return videoOnce(
    core,
    p,
    {
      width,
      height,
      seconds: p.model.seconds(p.resolved),
      seed: String(p.resolved.prompt),
      firstFrame: p.image?.average,
    },
    p.file,
  );
}
