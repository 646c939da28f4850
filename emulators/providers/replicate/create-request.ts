// What a Replicate create must carry (docs/providers/replicate.md#endpoints,
// docs/providers/replicate.md#request-headers): a model (from the path, or a
// `version` of POST /predictions), an `input` the model's schema accepts, an optional webhook
// and event filter, and an optional Cancel-After header. Each refusal is answered here as
// Replicate words it; the checks run in the order Replicate's answers suggest.
import type { RequestContext } from '../core.js';
import { readJsonObject } from '../http-util.js';
import { REPLICATE_MODELS, validateInput, type VideoModel } from '../video-models.js';
import { EVENTS, type CreateRequest, type WebhookEvent } from './state.js';
import { describeProblem, problem } from './wire.js';

/** Replicate's documented minimum Cancel-After (docs/providers/replicate.md#request-headers). */
export const MIN_CANCEL_AFTER_MS = 5000;

/** A Cancel-After value (`500ms`, `30s`, `5m`, `1h30m`; a bare number is seconds) in ms, or null when malformed. */
export function durationMs(text: string): number | null {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(trimmed)) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  let total = 0;
  for (const [, value, , name] of trimmed.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g))
    total += Number(value) * unit[name as keyof typeof unit];
  return total;
}

/** The model a POST /predictions `version` names: a 64-hex id, owner/name:id, or owner/name. */
function modelForVersion(version: string): VideoModel | undefined {
  const [name, id] = version.includes(':')
    ? version.split(':')
    : /^[0-9a-f]{64}$/.test(version)
      ? [undefined, version]
      : [version, undefined];
  return Object.values(REPLICATE_MODELS).find(
    (m) => (name === undefined || m.id === name) && (id === undefined || m.version === id),
  );
}

const required = (ctx: RequestContext, field: string) =>
  problem(ctx.res, 422, 'Input validation failed', `- ${field}: ${field} is required`, {
    invalid_fields: [{ type: 'required', field, description: `${field} is required` }],
  });

/** The model the create names, or undefined once 404 (or a missing version) is answered. */
function modelOf(ctx: RequestContext, body: Record<string, unknown>): VideoModel | undefined {
  if (ctx.template === 'POST /replicate/v1/predictions') {
    if (typeof body.version !== 'string' || body.version === '') return void required(ctx, 'version');
    const model = modelForVersion(body.version);
    if (!model) problem(ctx.res, 404, 'Not found', `The requested version ${body.version} does not exist.`);
    return model;
  }
  const model = REPLICATE_MODELS[`${ctx.params.owner}/${ctx.params.name}`];
  if (!model)
    problem(
      ctx.res,
      404,
      'Not found',
      `The requested model ${ctx.params.owner}/${ctx.params.name} does not exist.`,
    );
  return model;
}

/** `webhook` and `webhook_events_filter` when valid, or undefined once 422 is answered. */
function webhookOf(
  ctx: RequestContext,
  body: Record<string, unknown>,
): Pick<CreateRequest, 'webhook' | 'filter'> | undefined {
  if (
    body.webhook !== undefined &&
    (typeof body.webhook !== 'string' || !/^https?:\/\//.test(body.webhook))
  ) {
    return void problem(
      ctx.res,
      422,
      'Input validation failed',
      '- webhook: Must be a valid HTTP or HTTPS URL',
    );
  }
  const filter = body.webhook_events_filter;
  if (
    filter !== undefined &&
    (!Array.isArray(filter) || !filter.every((e) => (EVENTS as readonly unknown[]).includes(e)))
  ) {
    return void problem(
      ctx.res,
      422,
      'Input validation failed',
      `- webhook_events_filter: each entry must be one of ${EVENTS.join(', ')}`,
    );
  }
  return { webhook: body.webhook as string | undefined, filter: filter as WebhookEvent[] | undefined };
}

/** The top-level fields each create body may carry: the OpenAPI request schemas
 * (`schemas_prediction_request`, `schemas_version_prediction_request`) say
 * `additionalProperties: false` (docs/providers/replicate.md#endpoints). */
const BODY_FIELDS = ['input', 'stream', 'webhook', 'webhook_events_filter'];
const VERSION_BODY_FIELDS = [...BODY_FIELDS, 'version'];

/** True once a 422 naming the first field the schema does not allow (e.g. a misspelt
 * `webhook_url`) is answered, in the words of Replicate's other schema refusals. */
function refusedUnknownField(ctx: RequestContext, body: Record<string, unknown>): boolean {
  const allowed = ctx.template === 'POST /replicate/v1/predictions' ? VERSION_BODY_FIELDS : BODY_FIELDS;
  const unknown = Object.keys(body).filter((field) => !allowed.includes(field));
  if (unknown.length === 0) return false;
  const descriptions = unknown.map((field) => `Additional property ${field} is not allowed`);
  problem(ctx.res, 422, 'Input validation failed', descriptions.map((d) => `- (root): ${d}\n`).join(''), {
    invalid_fields: descriptions.map((description) => ({
      type: 'additional_property_not_allowed',
      field: '(root)',
      description,
    })),
  });
  return true;
}

/** The create the request carries, or undefined once a refusal is answered (400, 404 or 422). */
export async function readCreateRequest(ctx: RequestContext): Promise<CreateRequest | undefined> {
  const body = await readJsonObject(ctx.req);
  if (body === 'invalid' || body === undefined)
    return void problem(ctx.res, 400, 'Invalid request', 'The request body must be a JSON object.');
  if (refusedUnknownField(ctx, body)) return undefined;
  const model = modelOf(ctx, body);
  if (!model) return undefined;
  if (typeof body.input !== 'object' || body.input === null || Array.isArray(body.input))
    return void required(ctx, 'input');
  const input = body.input as Record<string, unknown>;
  const checked = validateInput(model.schema, input);
  if ('problems' in checked) {
    const lines = checked.problems.map(describeProblem);
    return void problem(ctx.res, 422, 'Input validation failed', lines.map((l) => `- ${l}\n`).join(''), {
      invalid_fields: checked.problems.map((p, i) => ({
        type: p.kind === 'missing' ? 'required' : p.kind,
        field: `input.${p.field}`,
        description: lines[i],
      })),
    });
  }
  // `stream` is deprecated and ignored, but the schema still types it.
  if (body.stream !== undefined && typeof body.stream !== 'boolean')
    return void problem(
      ctx.res,
      422,
      'Input validation failed',
      `- stream: Invalid type. Expected: boolean, given: ${Array.isArray(body.stream) ? 'array' : typeof body.stream}\n`,
      {
        invalid_fields: [
          { type: 'invalid_type', field: 'stream', description: 'Invalid type. Expected: boolean' },
        ],
      },
    );
  const webhook = webhookOf(ctx, body);
  if (!webhook) return undefined;
  const cancelAfter = ctx.req.headers['cancel-after'];
  const deadlineMs = cancelAfter === undefined ? undefined : durationMs(String(cancelAfter));
  // The OpenAPI header parameter: "The minimum allowed duration is 5 seconds."
  if (deadlineMs === null || (deadlineMs !== undefined && deadlineMs < MIN_CANCEL_AFTER_MS))
    return void problem(
      ctx.res,
      400,
      'Invalid Cancel-After',
      `Cancel-After must be a duration of at least 5s, such as 30s, 5m or 1h30m, got "${String(cancelAfter)}".`,
    );
  return { model, input, resolved: checked.input, ...webhook, deadlineMs };
}
