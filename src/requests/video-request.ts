// Validation of POST /api/videos bodies. Everything a caller can get wrong is caught here,
// before an orchestration starts or a job is billed. What a model accepts comes from its
// provider's capability table (data), never from enums written here.
//
// Three body shapes are accepted:
// - the provider-neutral body {prompt, provider?, model?, seconds?, size?, variants?, options?};
// - the Sora 2 body {prompt, model, size, seconds: "4"}, which is the neutral body;
// - the quickstart's Sora 1 body {prompt, width, height, n_seconds, n_variants, model}, for
//   models whose capabilities say they take it.
import { z } from 'zod';
import { MAX_OPTIONS_BYTES, MAX_PROMPT_LENGTH, optionsSchema, promptSchema } from './request-rules.js';
import { applyCapabilities, type FieldProblem, type ModelCapabilities } from '../providers/capabilities.js';
import type { JobSpec, ProviderKind } from '../providers/provider.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { callbackUrlShapeProblem } from '../callbacks/callback-url.js';
import type { ImageRole } from '../providers/capabilities.js';
import type { UploadStore } from '../uploads/upload-record.js';
import {
  imageCapabilityProblems,
  imageRoleSchema,
  imageSchema,
  uploadProblems,
  type RequestImage,
} from './request-image.js';

export type { FieldProblem };
export { MAX_OPTIONS_BYTES, MAX_PROMPT_LENGTH, promptSchema };

/** A validated request, normalised: the job the create activity sends (JobSpec, less the
 * webhook URL the activity adds), which provider gets it, and where the caller's event goes.
 * Plain data (it is the orchestration's input). */
export interface VideoRequest extends Omit<JobSpec, 'webhookUrl' | 'image'> {
  provider: string;
  kind: ProviderKind;
  /** The start image as the caller gave it: a link, or an upload id (resolved in the create
   * activity, so no signed link is ever part of the orchestration's input or history). */
  image?: RequestImage;
  /** What the model makes of the image (one of its capability row's roles; set with `image`). */
  imageRole?: ImageRole;
  /** Where a signed event goes when the request ends. */
  callbackUrl?: string;
}

/** What validation needs to know of the configured providers (data only). */
export interface ProviderCatalog {
  defaultProvider: string;
  providers: readonly {
    name: string;
    kind: ProviderKind;
    models: readonly ({ id: string } & ModelCapabilities)[];
  }[];
}

/** What request validation knows of the configured providers: their names, kinds and model tables. */
export function catalogOf(registry: ProviderRegistry): ProviderCatalog {
  return {
    defaultProvider: registry.defaultName,
    providers: registry.list().map(({ name, kind, models }) => ({ name, kind, models })),
  };
}

export type ParseResult = { ok: true; request: VideoRequest } | { ok: false; problems: FieldProblem[] };

const wholeNumber = (min: number, max: number) =>
  z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

const choice = {
  provider: z.string({ error: 'must be a string' }).optional(),
  model: z.string({ error: 'must be a string' }).optional(),
  // Where to POST a signed event when the request ends; the URL rules (https, public address)
  // are checked against the deployment's policy in parseVideoRequest and again with DNS.
  callbackUrl: z
    .string({ error: 'must be a string' })
    .max(2048, 'must be at most 2048 characters')
    .optional(),
};

export const neutralBody = z.strictObject({
  prompt: promptSchema,
  ...choice,
  // Sora 2 and OpenAI take seconds as a string ("4"); a number is accepted too.
  seconds: z
    .union([wholeNumber(1, 600), z.string().regex(/^[1-9]\d{0,2}$/, 'must be a whole number of seconds')], {
      error: 'must be a whole number of seconds',
    })
    .transform(Number)
    .optional(),
  size: z.string({ error: 'must be a string such as "1280x720" or "16:9"' }).optional(),
  variants: wholeNumber(1, 16).optional(),
  options: optionsSchema.optional(),
  // The start image (src/requests/request-image.ts), and what the model makes of it.
  image: imageSchema
    .optional()
    .describe(
      'The start image, for a model that takes one (GET /api/providers: `image`): {"url": "https://…"} (handed to the provider as is; Sora 2 and Veo on the Gemini API take only bytes, so there the app fetches it, ≤ 10 MiB, PNG/JPEG/WebP, and for Sora 2 it must be exactly `size`) or {"uploadId": "upl_…"} from POST /api/uploads.',
    ),
  imageRole: imageRoleSchema
    .optional()
    .describe("What the model makes of the image, one of the model's `image.roles` (default: the first)."),
});

/** The quickstart's Sora 1 body. Ranges beyond type sanity come from the capability table. */
export const quickstartBody = z.strictObject({
  prompt: promptSchema,
  ...choice,
  width: wholeNumber(1, 10_000),
  height: wholeNumber(1, 10_000),
  n_seconds: wholeNumber(1, 600).optional(),
  n_variants: wholeNumber(1, 16).optional(),
});
const QUICKSTART_FIELDS = ['width', 'height', 'n_seconds', 'n_variants'];
/** Capability problems, named by the quickstart body's own fields. */
const QUICKSTART_NAMES: Record<string, string> = {
  size: 'width',
  seconds: 'n_seconds',
  variants: 'n_variants',
};

/** What this deployment allows of callbackUrl: none at all without a signing secret. */
export interface CallbackPolicy {
  /** OUTBOUND_WEBHOOK_SECRET is set: events can be signed. */
  enabled: boolean;
  /** ALLOW_LOCAL_CALLBACKS: plain http to loopback, for local development (image links too). */
  allowLoopback: boolean;
}

const NO_CALLBACKS: CallbackPolicy = { enabled: false, allowLoopback: false };

/** The callbackUrl's problem, by what the URL itself says (DNS is checked by the caller). */
function callbackProblem(url: string | undefined, policy: CallbackPolicy): FieldProblem[] {
  if (url === undefined) return [];
  if (!policy.enabled)
    return [
      {
        field: 'callbackUrl',
        message: 'is not available: this deployment has no OUTBOUND_WEBHOOK_SECRET to sign events with',
      },
    ];
  const problem = callbackUrlShapeProblem(url, { allowLoopback: policy.allowLoopback });
  return problem ? [{ field: 'callbackUrl', message: problem }] : [];
}

export function parseVideoRequest(
  body: unknown,
  catalog: ProviderCatalog,
  callbacks: CallbackPolicy = NO_CALLBACKS,
): ParseResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, problems: [{ field: '', message: 'the body must be a JSON object' }] };
  }
  const record = body as Record<string, unknown>;

  // Which provider and model: checked first, since every other rule depends on them.
  const providerName = record.provider ?? catalog.defaultProvider;
  const provider =
    typeof providerName === 'string' ? catalog.providers.find((p) => p.name === providerName) : undefined;
  if (!provider) {
    return {
      ok: false,
      problems: [
        { field: 'provider', message: `must be one of ${catalog.providers.map((p) => p.name).join(', ')}` },
      ],
    };
  }
  const modelId = record.model ?? provider.models[0]?.id;
  const model = typeof modelId === 'string' ? provider.models.find((m) => m.id === modelId) : undefined;
  if (!model) {
    return {
      ok: false,
      problems: [
        { field: 'model', message: `${provider.name} offers ${provider.models.map((m) => m.id).join(', ')}` },
      ],
    };
  }

  const quickstartFields = QUICKSTART_FIELDS.filter((field) => Object.hasOwn(record, field));
  const base = { provider: provider.name, kind: provider.kind, model: model.id };
  if (quickstartFields.length > 0) {
    if (!model.quickstartBody) {
      return {
        ok: false,
        problems: quickstartFields.map((field) => ({
          field,
          message: `is not a field of ${model.id}; use size, seconds and variants`,
        })),
      };
    }
    const parsed = quickstartBody.safeParse(record);
    if (!parsed.success) return { ok: false, problems: toProblems(parsed.error) };
    const { prompt, width, height, n_seconds, n_variants, callbackUrl } = parsed.data;
    const checked = applyCapabilities(model.id, model, {
      size: `${width}x${height}`,
      seconds: n_seconds,
      variants: n_variants,
    });
    const problems = [
      ...(checked.ok
        ? []
        : checked.problems.map((p) => ({ ...p, field: QUICKSTART_NAMES[p.field] ?? p.field }))),
      ...callbackProblem(callbackUrl, callbacks),
    ];
    if (!checked.ok || problems.length > 0) return { ok: false, problems };
    return {
      ok: true,
      request: { ...base, prompt, ...checked.shape, ...(callbackUrl ? { callbackUrl } : {}) },
    };
  }

  const parsed = neutralBody.safeParse(record);
  if (!parsed.success) return { ok: false, problems: toProblems(parsed.error) };
  const { prompt, seconds, size, variants, callbackUrl, image, imageRole } = parsed.data;
  const checked = applyCapabilities(model.id, model, {
    seconds,
    size,
    variants,
    options: parsed.data.options,
  });
  const imaged = imageCapabilityProblems(model.id, model.image, image, imageRole, callbacks.allowLoopback);
  const problems = [
    ...(checked.ok ? [] : checked.problems),
    ...imaged.problems,
    ...callbackProblem(callbackUrl, callbacks),
  ];
  if (!checked.ok || problems.length > 0) return { ok: false, problems };
  const extra = {
    ...(parsed.data.options && Object.keys(parsed.data.options).length > 0
      ? { options: parsed.data.options }
      : {}),
    ...(image && imaged.role ? { image, imageRole: imaged.role } : {}),
    ...(callbackUrl ? { callbackUrl } : {}),
  };
  return { ok: true, request: { ...base, prompt, ...checked.shape, ...extra } };
}

/** The checks that read state, once the body is valid: the upload an image names exists, has not
 * expired, and fits the model (src/requests/request-image.ts). */
export async function checkRequestImage(
  request: VideoRequest,
  catalog: ProviderCatalog,
  uploads: UploadStore | undefined,
): Promise<FieldProblem[]> {
  const model = catalog.providers
    .find((provider) => provider.name === request.provider)
    ?.models.find((candidate) => candidate.id === request.model);
  return uploadProblems(request.image, model?.image, request.size, uploads);
}

function toProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.flatMap((issue) => {
    // A strict object reports all unknown keys in one issue: name each of them.
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ field: key, message: 'is not a known field' }));
    return [{ field: issue.path.join('.'), message: issue.message }];
  });
}
