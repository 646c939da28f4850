// The job core every dialect shares: settings, the seeded random streams (outcomes, duration
// jitter, webhook drops), deny-list moderation, encode-once MP4 production, fault injection
// and the counters behind GET /_admin/stats. Dialects add only their own wire shapes.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { copyFile, rename } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fetchImage, imageOf, type ImageFailure, type InputImage } from './image-fetch.js';
import { FaultInjector, seededRandom, type ChosenFaults } from './faults.js';
import { initialSettings, type ProviderEmulatorOptions, type Settings } from './options.js';
import { encodeVideoFile, type VideoSpec } from './video-encoder.js';

export type LateFailure = 'output_moderation' | 'internal_error' | null;

/** Exact timing for benchmarks (GET /_admin/jobs/{id}), ms since the epoch. */
export interface Timing {
  id: string;
  createdAtMs: number;
  durationMs: number;
  finishedAtMs: number | null;
  status: string;
  /** The emulator's own phase, the same words for every queued dialect (fal, Replicate, Gemini):
   * `queued|running|succeeded|failed|cancelled|expired`, so a test can tell a cancelled job where
   * the public status cannot (fal reports a cancelled request COMPLETED). Absent for Sora. */
  phase?: string;
  /** The input image the job was given (fetched or uploaded) and its average colour; null without one. */
  image?: InputImage | null;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** The matched route template, e.g. "GET /fal/{owner}/{app}/requests/{request_id}/status". */
  template: string;
  params: Record<string, string>;
  url: URL;
  injected: ChosenFaults;
}

/** One route as the server matches it: its template (stats and fault rules name it), the pattern of `METHOD /path`, and its handler. */
export interface Route {
  template: string;
  pattern: RegExp;
  handle(ctx: RequestContext): Promise<unknown>;
}

/** One API surface (Sora, fal, Replicate, Gemini, xAI, AI Gateway) on the shared core. */
export interface Dialect {
  /** Matched in order; the first match serves the request. */
  routes: Route[];
  timing(id: string): Timing | undefined;
  /** Makes that job's content answer 404 from now on; false when the id is not this dialect's. */
  expire(id: string): boolean;
  reset(): void;
  /** Non-terminal jobs per model/deployment, for stats. */
  running(): Record<string, number>;
  close?(): void;
}

export type DialectName = 'jobs' | 'videos' | 'fal' | 'replicate' | 'gemini' | 'xai' | 'gateway';

export interface Stats {
  jobsCreated: Record<string, number>;
  /** Upstream jobs created per dialect, so a test can tell whether a retry made a second one. */
  creates: Record<DialectName, number>;
  requests: Record<string, Record<string, number>>;
  peakRunningJobs: Record<string, number>;
  webhooks: WebhookStats;
  /** Input images fetched (or taken from a multipart file) and decoded, and those refused
   * (download failed, too large, not an image), so a test can tell an image reached the provider. */
  images: { fetched: number; refused: number };
}

export interface WebhookStats {
  /** Attempts made, successes, give-ups, drops and retries since start or the last reset. */
  sent: number;
  delivered: number;
  failed: number;
  dropped: number;
  retried: number;
  /** Webhooks handed to the sender and not yet delivered or given up (now, not reset). */
  pending: number;
  /** Jobs whose events may still send a webhook (now, not reset). With `pending`, both 0 means
   * no webhook is on its way and none will be sent until a new job asks for one. */
  watching: number;
}

export type Core = ReturnType<typeof createCore>;

export function createCore(options: ProviderEmulatorOptions) {
  if (options.durationJitter !== undefined && !(options.durationJitter >= 0 && options.durationJitter < 1)) {
    throw new RangeError(`durationJitter must be at least 0 and below 1, got ${options.durationJitter}`);
  }
  const settings: Settings = initialSettings(options);
  const seed = options.seed ?? 1;
  const outcomeRandom = seededRandom(seed);
  // Streams of their own, so turning jitter or webhook drops on does not change which jobs fail.
  const jitterRandom = seededRandom((seed ^ 0x5bd1e995) >>> 0);
  const webhookRandom = seededRandom((seed ^ 0x27d4eb2f) >>> 0);
  const faults = new FaultInjector();
  if (options.faults) faults.set(options.faults);
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'provider-emulator-'));
  // A --data-dir that does not exist yet is created, rather than failing every download.
  mkdirSync(dataDir, { recursive: true });
  const stats: Stats = {
    jobsCreated: {},
    creates: { jobs: 0, videos: 0, fal: 0, replicate: 0, gemini: 0, xai: 0, gateway: 0 },
    requests: {},
    peakRunningJobs: {},
    webhooks: { sent: 0, delivered: 0, failed: 0, dropped: 0, retried: 0, pending: 0, watching: 0 },
    images: { fetched: 0, refused: 0 },
  };

  function countImage(result: { image: InputImage } | { failure: ImageFailure }) {
    if ('image' in result) stats.images.fetched++;
    else stats.images.refused++;
  }

  /** Equal input gives equal bytes, so each distinct video is encoded once and copied for later jobs. */
  const encoded = new Map<string, Promise<{ file: string; bytes: number }>>();
  function produceVideo(spec: VideoSpec, file: string): Promise<number> {
    const key = JSON.stringify([
      spec.width,
      spec.height,
      spec.seconds,
      spec.seed,
      spec.padToBytes ?? 0,
      spec.firstFrame ?? null,
    ]);
    const first = encoded.get(key);
    if (first) {
      return first.then(async (made) => {
        if (made.file === file) return made.bytes;
        await copyFile(made.file, `${file}.partial`);
        await rename(`${file}.partial`, file);
        return made.bytes;
      });
    }
    const made = encodeVideoFile(spec, file).then((bytes) => ({ file, bytes }));
    encoded.set(key, made);
    made.catch(() => encoded.delete(key));
    return made.then((m) => m.bytes);
  }

  return {
    options,
    settings,
    dataDir,
    faults,
    stats,
    /** The nominal duration times a seeded factor in [1 - jitter, 1 + jitter]; one draw per job, even at 0. */
    jittered: (nominalMs: number) =>
      Math.round(nominalMs * (1 + settings.durationJitter * (2 * jitterRandom() - 1))),
    /** Decided at creation from the seed, revealed when the job would have succeeded. */
    drawLateFailure(): LateFailure {
      const draw = outcomeRandom();
      if (draw < settings.outputModerationRate) return 'output_moderation';
      if (draw < settings.outputModerationRate + settings.internalErrorRate) return 'internal_error';
      return null;
    },
    denied: (prompt: string) =>
      settings.denyList.some((word) => prompt.toLowerCase().includes(word.toLowerCase())),
    /** True when this webhook delivery should be silently dropped (webhookDropRate). */
    dropWebhook: () => webhookRandom() < settings.webhookDropRate,
    produceVideo,
    /** Fetches and decodes a job's input image as the vendor would (image-fetch.ts), counted in stats. */
    async fetchInputImage(url: string) {
      const fetched = await fetchImage(url, { caFile: options.imageCaFile });
      countImage(fetched);
      return fetched;
    },
    /** Decodes an image sent as a file in the request (multipart), counted in stats. */
    inputImageOf(bytes: Buffer) {
      const decoded = imageOf(bytes, 'upload');
      countImage(decoded);
      return decoded;
    },
    countCreate(dialect: DialectName, model: string, runningNow: number) {
      stats.creates[dialect]++;
      stats.jobsCreated[model] = (stats.jobsCreated[model] ?? 0) + 1;
      stats.peakRunningJobs[model] = Math.max(stats.peakRunningJobs[model] ?? 0, runningNow);
    },
    resetStats() {
      for (const table of [stats.jobsCreated, stats.requests, stats.peakRunningJobs])
        for (const key of Object.keys(table)) delete table[key];
      for (const key of Object.keys(stats.creates) as DialectName[]) stats.creates[key] = 0;
      for (const key of ['sent', 'delivered', 'failed', 'dropped', 'retried'] as const)
        stats.webhooks[key] = 0;
      stats.images.fetched = 0;
      stats.images.refused = 0;
    },
  };
}

/**
 * The MP4 of a job or video that keeps its `ready` promise, made on first use. A failed attempt
 * is forgotten, so a later request tries again instead of failing forever.
 */
export function videoOnce(
  core: Core,
  holder: { ready?: Promise<number> },
  spec: VideoSpec,
  file: string,
): Promise<number> {
  holder.ready ??= core.produceVideo(spec, file).catch((error: unknown) => {
    holder.ready = undefined;
    throw error;
  });
  return holder.ready;
}
