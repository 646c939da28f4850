// Validation of POST /api/videos bodies, for both Sora API families. Everything a caller can
// get wrong is caught here, before an orchestration starts or a Sora job is billed.
import { z } from 'zod';

/** A validated request, normalised to what the create activity sends. */
export type VideoRequest =
  | { family: 'jobs'; model: string; prompt: string; width: number; height: number; seconds: number; variants: number }
  | { family: 'videos'; model: string; prompt: string; width: number; height: number; seconds: number; variants: 1 };

export interface FieldProblem {
  /** JSON path of the offending field ('' for the body itself). */
  field: string;
  message: string;
}

export type ParseResult = { ok: true; request: VideoRequest } | { ok: false; problems: FieldProblem[] };

export const MAX_PROMPT_LENGTH = 4000;
const JOBS_SIZES = ['480x480', '480x854', '854x480', '720x720', '720x1280', '1280x720', '1080x1080', '1080x1920', '1920x1080'];
const VIDEOS_SIZES = ['720x1280', '1280x720'];
const VIDEOS_SECONDS = ['4', '8', '12'];

// Control characters (other than tab/newline/CR) and lone surrogates make prompts that
// Sora rejects or logs mangle; refuse them with a clear message instead.
const hasControlCharacters = (text: string) => /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text);
const hasLoneSurrogate = (text: string) => /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);

const prompt = z
  .string({ error: 'must be a string' })
  .refine((text) => text.trim().length > 0, 'must not be empty')
  .refine((text) => text.length <= MAX_PROMPT_LENGTH, `must be at most ${MAX_PROMPT_LENGTH} characters`)
  .refine((text) => !hasControlCharacters(text), 'must not contain control characters')
  .refine((text) => !hasLoneSurrogate(text), 'must be valid Unicode text');

const integer = (min: number, max: number) =>
  z.number({ error: 'must be a number' }).int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

const jobsBody = z
  .strictObject({
    model: z.string(),
    prompt,
    width: integer(1, 10_000),
    height: integer(1, 10_000),
    n_seconds: integer(1, 20).default(5),
    n_variants: integer(1, 4).default(1),
  })
  .superRefine((body, ctx) => {
    const size = `${body.width}x${body.height}`;
    if (!JOBS_SIZES.includes(size)) {
      ctx.addIssue({ code: 'custom', path: ['width'], message: `${size} is not a supported size; use one of ${JOBS_SIZES.join(', ')}` });
      return;
    }
    const shortSide = Math.min(body.width, body.height);
    const maxVariants = shortSide >= 1080 ? 1 : shortSide >= 720 ? 2 : 4;
    if (body.n_variants > maxVariants) {
      ctx.addIssue({ code: 'custom', path: ['n_variants'], message: `must be at most ${maxVariants} at ${size}` });
    }
    if (shortSide >= 1080 && body.n_seconds > 10) {
      ctx.addIssue({ code: 'custom', path: ['n_seconds'], message: 'must be at most 10 at 1080p' });
    }
  });

const videosBody = z.strictObject({
  model: z.string(),
  prompt,
  size: z.enum(VIDEOS_SIZES, { error: `must be one of ${VIDEOS_SIZES.join(', ')}` }).default('720x1280'),
  // The API takes strings; a number is accepted as its string for convenience.
  seconds: z
    .union([z.string(), z.number()], { error: `must be one of ${VIDEOS_SECONDS.map((s) => `"${s}"`).join(', ')}` })
    .transform((value) => String(value))
    .refine((value) => VIDEOS_SECONDS.includes(value), `must be one of ${VIDEOS_SECONDS.map((s) => `"${s}"`).join(', ')}`)
    .default('4'),
});

/**
 * Validates a parsed JSON body. `model` picks the family: the Sora 2 deployment uses the
 * videos API, the Sora deployment (also the default when `model` is absent) the jobs API.
 */
export function parseVideoRequest(body: unknown, deployments: { jobs: string; videos: string }): ParseResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, problems: [{ field: '', message: 'the body must be a JSON object' }] };
  }
  const record = body as Record<string, unknown>;
  const model = record.model ?? deployments.jobs;
  if (typeof model !== 'string' || ![deployments.jobs, deployments.videos].includes(model)) {
    return { ok: false, problems: [{ field: 'model', message: `must be one of ${deployments.jobs}, ${deployments.videos}` }] };
  }
  const withModel = { ...record, model };
  if (model === deployments.videos) {
    const parsed = videosBody.safeParse(withModel);
    if (!parsed.success) return { ok: false, problems: toProblems(parsed.error) };
    const [width, height] = parsed.data.size.split('x').map(Number);
    return { ok: true, request: { family: 'videos', model, prompt: parsed.data.prompt, width, height, seconds: Number(parsed.data.seconds), variants: 1 } };
  }
  const parsed = jobsBody.safeParse(withModel);
  if (!parsed.success) return { ok: false, problems: toProblems(parsed.error) };
  const { prompt: text, width, height, n_seconds, n_variants } = parsed.data;
  return { ok: true, request: { family: 'jobs', model, prompt: text, width, height, seconds: n_seconds, variants: n_variants } };
}

function toProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.flatMap((issue) => {
    // A strict object reports all unknown keys in one issue: name each of them.
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ field: key, message: 'is not a known field' }));
    return [{ field: issue.path.join('.'), message: issue.message }];
  });
}
