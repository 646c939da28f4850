// Everything the emulator can be started with, for every dialect it serves.
import type { FaultConfig } from './faults.js';

export interface ProviderEmulatorOptions {
  port?: number;
  /** Accepted Azure/OpenAI key; unset = any non-empty key or bearer token. */
  apiKey?: string;
  /** Multiplies every job duration (0.01 = 100× faster). */
  timeScale?: number;
  /** Where videos are written; default a fresh temp folder. */
  dataDir?: string;
  /** Most non-terminal jobs per deployment before create answers 429. */
  maxRunningJobs?: number;
  /** Jobs API deployments that exist. */
  jobsDeployments?: string[];
  /** Videos API deployments that exist. */
  videosDeployments?: string[];
  /** Pads every video file to this size (for memory benchmarks). */
  padToBytes?: number;
  /** Prompts containing any of these (case-insensitive) fail input moderation. */
  denyList?: string[];
  /** Share of jobs (0..1) that fail output moderation when they would have succeeded. */
  outputModerationRate?: number;
  /** Share of jobs (0..1) that fail with internal_error when they would have succeeded. */
  internalErrorRate?: number;
  /** Seed for those outcomes, the duration jitter (and the default fault seed). */
  seed?: number;
  /** Spread of job durations: 0.3 = each job takes its nominal time × a seeded uniform factor in [0.7, 1.3]. 0 (default) = exact. */
  durationJitter?: number;
  /** How long finished content stays downloadable (the service keeps it about 24 h). */
  contentTtlSeconds?: number;
  /** Sora 2 creates allowed per minute per deployment (the service's default quota is 2). */
  videosCreatesPerMinute?: number;
  /** Fault injection from the start (same shape as PUT /_admin/faults). */
  faults?: FaultConfig;

  /** Accepted fal key (`Authorization: Key …`); unset = any non-empty key. */
  falKey?: string;
  /** fal requests IN_PROGRESS at once per key; more wait IN_QUEUE (fal's default for new accounts is 2). */
  falConcurrency?: number;
  /** How long fal output files stay downloadable (fal keeps media at least 7 days). */
  falFileTtlSeconds?: number;
  /** A cancel of an IN_PROGRESS fal request is answered 202 but does not take: the app runs on
   * and the request ends as it would have (fal leaves a running cancel to the app). */
  falIgnoreRunningCancel?: boolean;
  /** Accepted Replicate token (`Authorization: Bearer …`); unset = any non-empty token. */
  replicateToken?: string;
  /** Replicate creates allowed per minute per token (Replicate documents 600). */
  replicateCreatesPerMinute?: number;
  /** Replicate creates a token may send back to back (the bucket's size); unset: 1 at 6 a
   * minute or less (Replicate's low-credit tier), else a minute's worth. */
  replicateCreateBurst?: number;
  /** How long after completion Replicate keeps output, input and logs (1 h for API predictions). */
  replicateDataTtlSeconds?: number;
  /** Answer every Replicate create with 402 (credit exhausted). */
  replicateCreditExhausted?: boolean;
  /** Accepted Gemini API key (`x-goog-api-key` or `?key=`); unset = any non-empty key. */
  geminiKey?: string;
  /** Veo creates allowed per minute per API key and model (Google's per-project request quota). */
  geminiCreatesPerMinute?: number;
  /** How long generated Veo files stay downloadable (Google keeps them 2 days). */
  geminiFileTtlSeconds?: number;
  /** Accepted xAI API key (`Authorization: Bearer …`); unset = any non-empty key. */
  xaiKey?: string;
  /** Accepted AI Gateway API key (`Authorization: Bearer …`); unset = any non-empty key. */
  gatewayKey?: string;
  /** Share of outgoing webhooks (0..1) silently not sent. */
  webhookDropRate?: number;
  /** Delay before each webhook delivery attempt. */
  webhookDelayMs?: number;
  /** Delivery attempts for a terminal webhook (the first plus retries). */
  webhookMaxAttempts?: number;
  /** First retry delay; doubles per retry. */
  webhookRetryBaseMs?: number;
  /** A PEM file of extra CAs trusted (beside Node's own roots) when fetching input images over
   * https, e.g. a test server's self-signed certificate (image-fetch.ts). */
  imageCaFile?: string;
}

/** Options that PATCH /_admin/config may change while running, with their kind. */
export const RUNTIME_OPTIONS = {
  timeScale: 'number',
  durationJitter: 'fraction',
  maxRunningJobs: 'number',
  videosCreatesPerMinute: 'number',
  denyList: 'strings',
  outputModerationRate: 'rate',
  internalErrorRate: 'rate',
  contentTtlSeconds: 'number',
  falConcurrency: 'number',
  falFileTtlSeconds: 'number',
  falIgnoreRunningCancel: 'boolean',
  replicateCreatesPerMinute: 'number',
  replicateCreateBurst: 'number',
  replicateDataTtlSeconds: 'number',
  replicateCreditExhausted: 'boolean',
  geminiCreatesPerMinute: 'number',
  geminiFileTtlSeconds: 'number',
  webhookDropRate: 'rate',
  webhookDelayMs: 'number',
  webhookMaxAttempts: 'number',
  webhookRetryBaseMs: 'number',
} as const;

export type Settings = {
  timeScale: number;
  durationJitter: number;
  maxRunningJobs: number;
  videosCreatesPerMinute: number;
  denyList: string[];
  outputModerationRate: number;
  internalErrorRate: number;
  contentTtlSeconds: number;
  falConcurrency: number;
  falFileTtlSeconds: number;
  falIgnoreRunningCancel: boolean;
  replicateCreatesPerMinute: number;
  /** Unset: replicateDefaultBurst(replicateCreatesPerMinute). */
  replicateCreateBurst?: number;
  replicateDataTtlSeconds: number;
  replicateCreditExhausted: boolean;
  geminiCreatesPerMinute: number;
  geminiFileTtlSeconds: number;
  webhookDropRate: number;
  webhookDelayMs: number;
  webhookMaxAttempts: number;
  webhookRetryBaseMs: number;
};

export function initialSettings(options: ProviderEmulatorOptions): Settings {
  return {
    timeScale: options.timeScale ?? 1,
    durationJitter: options.durationJitter ?? 0,
    maxRunningJobs: options.maxRunningJobs ?? 2,
    videosCreatesPerMinute: options.videosCreatesPerMinute ?? 2,
    denyList: options.denyList ?? [],
    outputModerationRate: options.outputModerationRate ?? 0,
    internalErrorRate: options.internalErrorRate ?? 0,
    contentTtlSeconds: options.contentTtlSeconds ?? 86400,
    falConcurrency: options.falConcurrency ?? 2,
    falFileTtlSeconds: options.falFileTtlSeconds ?? 7 * 86400,
    falIgnoreRunningCancel: options.falIgnoreRunningCancel ?? false,
    replicateCreatesPerMinute: options.replicateCreatesPerMinute ?? 600,
    ...(options.replicateCreateBurst !== undefined
      ? { replicateCreateBurst: options.replicateCreateBurst }
      : {}),
    replicateDataTtlSeconds: options.replicateDataTtlSeconds ?? 3600,
    replicateCreditExhausted: options.replicateCreditExhausted ?? false,
    geminiCreatesPerMinute: options.geminiCreatesPerMinute ?? 10,
    geminiFileTtlSeconds: options.geminiFileTtlSeconds ?? 2 * 86400,
    webhookDropRate: options.webhookDropRate ?? 0,
    webhookDelayMs: options.webhookDelayMs ?? 0,
    webhookMaxAttempts: options.webhookMaxAttempts ?? 4,
    webhookRetryBaseMs: options.webhookRetryBaseMs ?? 250,
  };
}

/** Checks one PATCH /_admin/config entry; returns a message when it is not acceptable. */
export function runtimeOptionProblem(name: string, value: unknown): string | undefined {
  const kind = (RUNTIME_OPTIONS as Record<string, string>)[name];
  const ok =
    kind === 'strings'
      ? Array.isArray(value) && value.every((v) => typeof v === 'string')
      : kind === 'boolean'
        ? typeof value === 'boolean'
        : kind !== undefined &&
          typeof value === 'number' &&
          value >= 0 &&
          (kind !== 'rate' || value <= 1) &&
          (kind !== 'fraction' || value < 1);
  return ok
    ? undefined
    : `'${name}' is not a runtime option or has the wrong type (options: ${Object.keys(RUNTIME_OPTIONS).join(', ')}).`;
}
