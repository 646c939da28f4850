// The one interface every video provider adapter implements. The orchestrator, the
// activities and the HTTP functions see only this: they never name a provider, and each
// adapter maps only its own wire shapes onto these types.
//
// Adapters never retry. The orchestrator owns retry timing (durable timers, deadlines), and a
// retried create can bill a second job. Every failure is a named error from ../errors.ts:
// ProviderTransientError (try again later), ProviderPermanentError / ContentFilteredError
// (never), CreateOutcomeUnknownError (a create was sent and may have made a job).
import type { Readable } from 'node:stream';
import { ProviderPermanentError } from '../errors.js';
import type { ImageRole, ModelCapabilities } from './capabilities.js';
import type { ImageContentType as CheckedImageType } from '../images/image-check.js';

/** The kinds of provider this app can talk to (one adapter folder each). */
export type ProviderKind = 'azure-openai' | 'openai-videos' | 'fal' | 'replicate' | 'ai-sdk';

/** Where a job is, in the pipeline's words. `expired`: done, but its outputs are gone. */
export type JobPhase = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'expired';

/** How far along a waiting job is, for pacing the status calls: not started yet, working,
 * or in a short last stage (the adapter knows which raw statuses mean which). */
export type JobStage = 'waiting' | 'working' | 'finishing';

/** What each of a provider's status strings means in the pipeline's terms: one table per adapter. */
export type StatusTable = Readonly<Record<string, { phase: JobPhase; stage?: JobStage }>>;

/**
 * The phase (and stage) of a provider's status, by its table. A status the table does not know
 * is a contract change, and every adapter treats it the same way: a permanent error naming it,
 * never a guess (guessing "running" polls a finished job until the deadline; guessing "failed"
 * abandons a job that may yet succeed). `what` names the call, as in the transport's errors.
 */
export function phaseOf(
  table: StatusTable,
  status: string,
  what: string,
): { phase: JobPhase; stage?: JobStage } {
  // hasOwn: statuses come from the wire, so never resolve prototype keys such as "constructor".
  if (Object.hasOwn(table, status)) return table[status];
  throw new ProviderPermanentError(
    `${what}: the provider answered an unknown status "${status.slice(0, 40)}"`,
    200,
    'invalid_response',
  );
}

/** A job list read with `map`, leaving out jobs in a status no table knows: such a job is no
 * candidate for adoption (phaseOf refuses it everywhere else). */
export function knownJobs<T>(items: readonly T[], map: (item: T) => ProviderJob): ProviderJob[] {
  return items.flatMap((item) => {
    try {
      return [map(item)];
    } catch (error) {
      if (error instanceof ProviderPermanentError && error.code === 'invalid_response') return [];
      throw error;
    }
  });
}

/** A validated, provider-neutral request for one job, as the create activity sends it. */
export interface JobSpec {
  model: string;
  prompt: string;
  seconds: number;
  /** One of the model's sizes: `WIDTHxHEIGHT` or an aspect ratio `W:H`. */
  size: string;
  variants: number;
  /** The model's other documented inputs, passed through as given (validated as a JSON object). */
  options?: Record<string, unknown>;
  /** Where the provider should POST when the job ends, for adapters that support it. */
  webhookUrl?: string;
  /** The request's image, resolved by the create activity (never stored: it may hold a signed link). */
  image?: JobImage;
}

/** The image types the app takes (src/images/image-check.ts). */
export type ImageContentType = CheckedImageType;

/** An image's bytes, for providers that take the file itself (Sora 2's `input_reference`, Veo
 * through @ai-sdk/google): type by magic bytes, dimensions decoded. */
export interface ImageBytes {
  data: Buffer;
  contentType: ImageContentType;
  width: number;
  height: number;
}

/** The request's image as an adapter sends it. */
export interface JobImage {
  role: ImageRole;
  /** The model's own input for it (its capability row's `image.field`). */
  field: string;
  /** A link the provider fetches itself: the caller's https URL as given, or a short-lived read
   * link to an upload (made in the create activity, never kept). */
  url: string;
  /** Where it came from: a provider that takes only bytes reads an upload from the store, and a
   * caller's link through the adapter's own foreign-URL rule (src/providers/http/image-bytes.ts). */
  source:
    | { kind: 'link' }
    | {
        kind: 'upload';
        uploadId: string;
        open(): Promise<{ stream: Readable; contentType: ImageContentType; bytes: number }>;
      };
}

/** One downloadable result of a job. Ids are safe blob-name segments; no URL is kept here, so
 * no signed link ever reaches the durable history (the adapter finds it again when opening). */
export interface JobOutput {
  id: string;
}

/** A job as the provider reports it, mapped to the pipeline's terms. */
export interface ProviderJob {
  jobId: string;
  phase: JobPhase;
  stage?: JobStage;
  /** The provider's own status string, shown to callers as is. */
  status: string;
  /** 0-100, when the provider says. */
  progress?: number;
  /** Requests ahead of this one, when the provider says. */
  queuePosition?: number;
  /** Empty until the job succeeded. */
  outputs: JobOutput[];
  /** Why it failed, in the provider's words. */
  failure?: string;
  /** Unix seconds on the provider's clock, when it says. */
  createdAt?: number;
  /** When the job left the queue and started working (Unix seconds, provider's clock), when it says. */
  startedAt?: number;
  /** When the job ended (Unix seconds, provider's clock), when it says. */
  finishedAt?: number;
  /** Seconds the job spent working, queue apart, when the provider reports only that. */
  runSeconds?: number;
  /** What the provider echoes of the request: lets a lost create be matched to its job. */
  echo?: {
    model?: string;
    prompt?: string;
    size?: string;
    seconds?: number;
    variants?: number;
    /** The image link the job was given, where the provider echoes it (null: it was given none). */
    image?: string | null;
  };
}

/** Identifies a job at its provider (the model is part of the address for some kinds). */
export interface JobAddress {
  model: string;
  jobId: string;
}

export interface OutputContent {
  body: Readable;
  contentLength: number | undefined;
  contentType: string;
}

/** How an adapter keeps "one request, one job" when a create's answer is lost. */
export type LostCreatePolicy =
  /** The provider lists recent jobs: the activity adopts the one the lost create made. */
  | 'adopt'
  /** No job list: wait out the settle time, then send again (the README states the residual risk). */
  | 'settle';

export interface ModelInfo extends ModelCapabilities {
  id: string;
  /** The provider's job list echoes this model's prompts, which ties a listed job to the
   * request that made it. Without it, a job whose create answer was lost cannot be told
   * from another client's job with the same settings, so it is never adopted. */
  promptEcho: boolean;
}

/** A provider's webhook, verified: which job it is about and, since its body is
 * authenticated, the job's state as the provider reported it. */
export interface WebhookEvent {
  /** The delivery's id where the provider gives one (duplicates are harmless anyway). */
  messageId?: string;
  jobId: string;
  job?: ProviderJob;
}

export interface ProviderWebhooks {
  /** Checks the signature and timestamp of a delivery and reads it. `headers` are lower-case.
   * Anything unsigned, forged, stale or malformed is a WebhookVerificationError (../errors.ts). */
  verify(headers: Readonly<Record<string, string>>, rawBody: Buffer): Promise<WebhookEvent>;
}

/** Where an adapter keeps what it needs to reach a job again when its id is not enough (the AI
 * SDK's opaque `operation`): beside the job's claim in Blob Storage (src/storage/job-claims.ts),
 * never in durable history, since it may hold a signed link. */
export interface JobHandles {
  save(provider: string, jobId: string, handle: string): Promise<void>;
  load(provider: string, jobId: string): Promise<string | undefined>;
}

export interface VideoProvider {
  /** The instance name callers use (`provider` in the request). */
  readonly name: string;
  readonly kind: ProviderKind;
  readonly models: readonly ModelInfo[];
  readonly lostCreate: LostCreatePolicy;
  /** Sends one create. Never retried inside; a lost answer is CreateOutcomeUnknownError. */
  createJob(spec: JobSpec): Promise<ProviderJob>;
  getJob(job: JobAddress): Promise<ProviderJob>;
  /** Streams one output; the adapter knows whether it is a content endpoint or a URL. */
  openOutput(job: JobAddress, outputId: string): Promise<OutputContent>;
  /** A still of the output, when the provider serves one. */
  openThumbnail?(job: JobAddress, outputId: string): Promise<OutputContent>;
  /** Recent jobs, newest first (for `lostCreate: 'adopt'`), and the provider's clock (Unix
   * seconds, from the answer's Date header) to compare their creation times with. */
  listRecentJobs?(model: string, limit: number): Promise<{ jobs: ProviderJob[]; providerNow?: number }>;
  /** Cancels or deletes the job; a job already gone is not an error. */
  cancelJob(job: JobAddress): Promise<void>;
  /** Present when the provider can POST a signed event when a job ends (JobSpec.webhookUrl). */
  readonly webhooks?: ProviderWebhooks;
}
