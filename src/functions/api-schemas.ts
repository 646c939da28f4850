// The shapes the HTTP API answers with besides the status view (../status/view-schemas.ts), as
// zod schemas. The handlers' types are inferred from them (providers-api.ts, videos-list.ts)
// and /api/openapi.json is generated from them (openapi.ts), so the document and the code
// cannot say different things. Request bodies are validated by the schemas in
// ../requests/video-request.ts, which the document reads too.
//
// Plain z.object (not strict) here: on output, zod's JSON Schema makes every object closed
// (`additionalProperties: false`), so a field a handler adds without documenting it fails the
// suites' response validation instead of slipping out unnoticed.
import { z } from 'zod';
import { videoPhaseSchema, videoStatusSchema } from '../status/view-schemas.js';
import { UPLOAD_ID_PATTERN } from '../uploads/upload-id.js';

// The status view is what GET /api/videos/{id} answers: its types, for whoever reads this API's shapes here.
export type { VideoPhase, VideoStatus } from '../status/view-schemas.js';

/** 202 to POST /api/videos: the app's own status URL, never the durable management URLs. */
export const acceptedSchema = z.object({
  id: z.string(),
  statusUri: z.string().describe('GET it to follow the request (absolute when PUBLIC_BASE_URL is set).'),
});

/** 202 to DELETE /api/videos/{id} of a running request (an ended one is deleted: 204, no body). */
export const cancelledSchema = z.object({
  id: z.string(),
  phase: z.literal('cancelled'),
  upstreamJobId: z.string().nullable().describe("The provider's job, when one had been created."),
  upstreamJobCancelled: z.boolean().describe("Whether the provider's job was cancelled."),
});

export const videoListSchema = z.object({
  items: z.array(videoStatusSchema).describe('Newest first.'),
  continuationToken: z
    .string()
    .optional()
    .describe(
      'Present when there may be more: send it back as ?continuationToken= for the next page. A page may hold fewer than limit items and still carry one.',
    ),
});

/** What the app learned of one kind of job of a model, once enough of them finished. */
export const learnedDurationSchema = z.object({
  size: z.string(),
  seconds: z.number().int(),
  variants: z.number().int().min(1),
  samples: z.number().int().min(1).describe('Finished jobs the figures come from (the newest kept).'),
  medianSeconds: z.number().describe('Half of these jobs took at most this long.'),
  p90Seconds: z.number().describe('Nine in ten took at most this long.'),
});

export const modelViewSchema = z.object({
  id: z.string(),
  seconds: z.array(z.number().int()).describe('Clip lengths the model accepts.'),
  defaultSeconds: z.number().int(),
  sizes: z.array(z.string()).describe('WIDTHxHEIGHT sizes or W:H aspect ratios, as the model names them.'),
  defaultSize: z.string(),
  maxVariants: z.number().int().min(1),
  imageInput: z.boolean().describe("Whether the model takes the request's `image` (see `image`)."),
  image: z
    .object({
      use: z
        .enum(['optional', 'required'])
        .describe('`required`: an image-to-video model, refused without `image`; `optional`: text or image.'),
      roles: z
        .array(z.enum(['first-frame', 'reference']))
        .describe('What the model makes of the image (`imageRole`); the first is the default.'),
      field: z
        .string()
        .describe("The model's own input for the image on the wire: `options` may not set it."),
      sizeRule: z
        .literal('match-size')
        .optional()
        .describe("The image's width and height must equal the request's `size` (Sora 2)."),
    })
    .optional()
    .describe('Present when the model takes an image.'),
  audio: z.boolean(),
  options: z.boolean().describe("Whether the model's other inputs may be passed in `options`."),
  learned: z
    .array(learnedDurationSchema)
    .optional()
    .describe(
      "How long this model's jobs took here, per size, seconds and variants, measured by the provider's own times (the queue apart where it says); present once enough jobs of a kind finished. Polling is paced by them; an ETA for callers.",
    ),
});

export const providerViewSchema = z.object({
  name: z.string(),
  kind: z.string(),
  default: z.literal(true).optional().describe('The provider used when a request names none.'),
  models: z.array(modelViewSchema).describe("The first is the provider's default model."),
});

/** 200 to a provider's webhook (POST /api/callbacks/{provider}). */
export const callbackReceiptSchema = z.object({
  received: z.literal(true),
  instanceId: z.string().describe('The request the job belongs to.'),
  ignored: z
    .literal(true)
    .optional()
    .describe('The request had already finished: the event changed nothing.'),
});

export const fieldProblemSchema = z.object({
  field: z
    .string()
    .describe("JSON path of the offending field ('' for the body itself), or the parameter or header name."),
  message: z.string(),
});

/** RFC 9457 problem details, the body of every 4xx/5xx the API answers. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string(),
  errors: z.array(fieldProblemSchema).optional().describe('One entry per bad field.'),
  budgetUsd: z.number().optional().describe("A daily budget refusal: the provider's daily budget in USD."),
  spentUsd: z
    .number()
    .optional()
    .describe("A daily budget refusal: what today's requests are estimated to cost."),
  estimatedUsd: z.number().optional().describe("A daily budget refusal: this request's estimate."),
  resetAt: z.iso
    .datetime({ offset: false })
    .optional()
    .describe('A daily budget refusal: when the budget resets (the next UTC midnight).'),
});

export { DAILY_BUDGET_PROBLEM } from './problem-types.js';

export type Accepted = z.infer<typeof acceptedSchema>;
export type Cancelled = z.infer<typeof cancelledSchema>;
export type VideoList = z.infer<typeof videoListSchema>;
export type ProviderView = z.infer<typeof providerViewSchema>;
export type LearnedDuration = z.infer<typeof learnedDurationSchema>;
export type Problem = z.infer<typeof problemSchema>;
export type CallbackReceipt = z.infer<typeof callbackReceiptSchema>;

export { MAX_LIST_LIMIT, listQuerySchema, type ListQuery } from './list-query.js';

/** One provider on one UTC day (GET /api/usage). */
export const usageDaySchema = z.object({
  day: z
    .string()
    .describe(
      'The UTC day, YYYY-MM-DD (a request counts on the day it started; its job and cost on the day it was admitted, or created when ungoverned).',
    ),
  provider: z.string(),
  requests: z.number().int().min(0).describe('Requests started for the provider that day.'),
  upstreamJobs: z
    .number()
    .int()
    .min(0)
    .describe('Jobs the provider accepted (a request cancelled or refused before its create makes none).'),
  secondsDelivered: z.number().min(0).describe('Seconds of video delivered (stored) by completed requests.'),
  estimatedUsd: z
    .number()
    .min(0)
    .optional()
    .describe(
      'The sum of the cost views of the requests that made (or, admitted, may still make) a job: estimates, delivered figures once completed. Absent for a provider with no recorded price.',
    ),
  refusedByBudget: z.number().int().min(0).describe("Requests refused for the provider's daily budget."),
});

export const usageSchema = z.object({
  from: z.string(),
  to: z.string(),
  days: z
    .array(usageDaySchema)
    .describe(
      'Per provider and UTC day with any use, oldest first; every configured provider keeps a ledger, governed or not.',
    ),
});

export type UsageDay = z.infer<typeof usageDaySchema>;

/** 201 to POST /api/uploads: the upload's id (sent back as `image: {uploadId}`) and what was checked. */
export const uploadSchema = z.object({
  uploadId: z
    .string()
    .regex(UPLOAD_ID_PATTERN)
    .describe('Send it as `image: {"uploadId": ...}` in POST /api/videos before expiresAt.'),
  expiresAt: z.iso
    .datetime()
    .describe(
      'After it the upload is unknown and deleted (UPLOAD_TTL_HOURS; a request using it keeps it longer).',
    ),
  width: z.number().int().positive().describe('Pixels, from the image headers.'),
  height: z.number().int().positive(),
  contentType: z.enum(['image/png', 'image/jpeg', 'image/webp']),
});
export type UploadView = z.infer<typeof uploadSchema>;
