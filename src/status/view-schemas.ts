// The status view of a video request as zod schemas: what GET /api/videos/{id}, each item of
// GET /api/videos and the event sent to a callbackUrl carry. Its types are inferred from these
// (video-status.ts), and /api/openapi.json describes them from the same schemas.
//
// Plain z.object (not strict) here: on output, zod's JSON Schema makes every object closed
// (`additionalProperties: false`), so a field added to the view without documenting it fails the
// suites' response validation instead of slipping out unnoticed.
import { z } from 'zod';
import { videoPhaseSchema } from './video-phase.js';

export { finishedPhases, videoPhases, videoPhaseSchema, type VideoPhase } from './video-phase.js';

const isoTime = z.iso.datetime({ offset: false });

/** A stored blob, with a read-only link once the status endpoint has signed one. */
export const blobViewSchema = z.object({
  blobName: z.string(),
  bytes: z.number().int().min(0),
  contentType: z.string(),
  url: z.string().optional().describe('A read-only link (a SAS URL), valid until urlExpiresOn.'),
  urlExpiresOn: isoTime.optional(),
});

export const videoViewSchema = blobViewSchema.extend({
  outputId: z.string().describe("The provider's id of this generation."),
  thumbnail: blobViewSchema.optional().describe("The provider's still of the video, when it served one."),
});

/** The job at the provider, as far as the orchestration has seen it. */
export const upstreamViewSchema = z.object({
  provider: z.string().optional().describe('The configured provider name, e.g. fal.'),
  kind: z.string().optional().describe('The provider kind (which API it speaks).'),
  model: z.string().optional(),
  jobId: z.string().optional().describe("The provider's job id."),
  status: z.string().optional().describe("The provider's own status string."),
  progress: z.number().min(0).max(100).optional().describe('0-100, when the provider reports it.'),
  queuePosition: z.number().int().min(0).optional().describe('When the provider reports it.'),
  finishedAfterCancel: z
    .literal(true)
    .optional()
    .describe(
      'On a cancelled request: the provider did not honour the cancel and finished the job anyway, so it may be billed. Nothing was downloaded.',
    ),
});

/** The request's turn in its provider account's line (admission control, docs/admission.md). */
export const admissionViewSchema = z
  .object({
    state: z
      .enum(['waiting', 'admitted'])
      .describe('waiting: in line for a running slot or a create at the provider; admitted: its turn came.'),
    position: z.number().int().min(1).optional().describe('While waiting: 1 = next in line.'),
    ahead: z.number().int().min(0).optional().describe('While waiting: requests ahead of this one.'),
    reason: z
      .enum(['running-jobs', 'create-rate', 'in-line'])
      .optional()
      .describe(
        "While waiting: every running slot at the provider is taken, the account's create rate, or the requests ahead go first.",
      ),
  })
  .describe(
    "Only for a provider account with limits, while the request runs: its place in the account's line.",
  );

/** What the request costs at its provider, from the model's published price. */
export const costViewSchema = z
  .object({
    estimatedUsd: z.number().min(0).describe('USD, rounded to cents.'),
    basis: z
      .string()
      .describe(
        'How it was reckoned: "estimate: <seconds asked> …" before the videos are stored, "delivered: <seconds stored> …" once completed; the price, the model, its source and date.',
      ),
  })
  .describe('Only for a model whose price is recorded in its capability table (with source and date).');

/** What was asked (the normalised request this instance runs). */
export const requestViewSchema = z.object({
  prompt: z.string(),
  provider: z.string(),
  model: z.string(),
  seconds: z.number().int(),
  size: z.string(),
  variants: z.number().int(),
  callbackUrl: z.string().optional().describe('Where the signed event goes when the request ends.'),
  image: z
    .union([
      z.object({ url: z.string().describe("The caller's link, as given.") }),
      z.object({ uploadId: z.string().describe('The upload (POST /api/uploads) the image came from.') }),
    ])
    .optional()
    .describe('The start image, as the request gave it (never the link the provider was handed).'),
  imageRole: z.enum(['first-frame', 'reference']).optional(),
});

/** The signed event to the caller's callbackUrl, as far as it got. */
export const callbackViewSchema = z.object({
  type: z.enum(['video.completed', 'video.failed', 'video.cancelled']),
  delivered: z.boolean().describe('The receiver answered 2xx.'),
  attempts: z.number().int().min(0),
  lastStatus: z.number().int().optional().describe("The receiver's last HTTP status."),
  lastError: z.string().optional(),
});

export const videoStatusSchema = z.object({
  id: z.string(),
  phase: videoPhaseSchema,
  runtimeStatus: z
    .string()
    .describe('The Durable Functions runtime status (Pending, Running, Completed, Failed, Terminated, ...).'),
  request: requestViewSchema.optional(),
  upstream: upstreamViewSchema,
  admission: admissionViewSchema.optional(),
  cost: costViewSchema.optional(),
  polls: z.number().int().min(0).describe('Status calls made to the provider so far.'),
  events: z
    .number()
    .int()
    .min(0)
    .describe('Verified provider webhooks that woke the request so far (each saves a status call).'),
  nextPollAt: isoTime.optional(),
  expectedReadyAt: isoTime
    .optional()
    .describe(
      'While the job runs: when it most likely ends, judged by how long jobs of its kind took here (absent until enough of them finished).',
    ),
  createdTime: isoTime,
  lastUpdatedTime: isoTime,
  videos: z
    .array(videoViewSchema)
    .optional()
    .describe('Once completed: one entry per generated video, with read links.'),
  error: z.string().optional().describe('Why the request failed or was cancelled.'),
  callback: callbackViewSchema
    .optional()
    .describe("With a callbackUrl, once the request has ended: the event's delivery."),
});

export type BlobView = z.infer<typeof blobViewSchema>;
export type VideoView = z.infer<typeof videoViewSchema>;
export type UpstreamView = z.infer<typeof upstreamViewSchema>;
export type AdmissionView = z.infer<typeof admissionViewSchema>;
export type CostView = z.infer<typeof costViewSchema>;
export type RequestView = z.infer<typeof requestViewSchema>;
export type VideoStatus = z.infer<typeof videoStatusSchema>;
