// Sora 1 (jobs API) rules, written from docs/providers/azure-openai-sora.md#sora-1-jobs-api on
// their own (the app's validator in src/ is a separate implementation on purpose).

export const JOB_SIZES = [
  '480x480',
  '480x854',
  '854x480',
  '720x720',
  '720x1280',
  '1280x720',
  '1080x1080',
  '1080x1920',
  '1920x1080',
];

export type JobStatus =
  'queued' | 'preprocessing' | 'running' | 'processing' | 'succeeded' | 'failed' | 'cancelled';
export const TERMINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);

export interface CreateJobInput {
  prompt: string;
  model: string;
  width: number;
  height: number;
  n_seconds: number;
  n_variants: number;
}

export interface ApiErrorBody {
  status: number;
  code: string;
  message: string;
  param?: string;
  type?: string;
}

const invalid = (param: string, message: string): ApiErrorBody => ({
  status: 400,
  code: 'invalid_request_error',
  message,
  param,
  type: 'invalid_request_error',
});

/** Validates a create body; returns the normalised input or the documented 400. */
export function validateCreateJob(body: unknown): CreateJobInput | ApiErrorBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return invalid('', 'The request body must be a JSON object.');
  const b = body as Record<string, unknown>;
  if (typeof b.prompt !== 'string' || b.prompt.length === 0)
    return invalid('prompt', "Missing required parameter: 'prompt'.");
  if (typeof b.model !== 'string' || b.model.length === 0)
    return invalid('model', "Missing required parameter: 'model'.");
  for (const field of ['width', 'height'] as const) {
    if (b[field] === undefined) return invalid(field, `Missing required parameter: '${field}'.`);
  }
  const width = Number(b.width);
  const height = Number(b.height);
  if (!Number.isInteger(width) || !Number.isInteger(height) || !JOB_SIZES.includes(`${width}x${height}`)) {
    return invalid(
      'width',
      `Unsupported resolution ${String(b.width)}x${String(b.height)}. Supported: ${JOB_SIZES.join(', ')}.`,
    );
  }
  const seconds = b.n_seconds === undefined ? 5 : Number(b.n_seconds);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 20)
    return invalid('n_seconds', 'n_seconds must be an integer between 1 and 20.');
  const variants = b.n_variants === undefined ? 1 : Number(b.n_variants);
  const shortSide = Math.min(width, height);
  const maxVariants = shortSide >= 1080 ? 1 : shortSide >= 720 ? 2 : 4;
  if (!Number.isInteger(variants) || variants < 1 || variants > maxVariants) {
    return invalid('n_variants', `n_variants must be between 1 and ${maxVariants} at ${width}x${height}.`);
  }
  if (shortSide >= 1080 && seconds > 10)
    return invalid('n_seconds', 'Videos at 1080p can be at most 10 seconds long.');
  return { prompt: b.prompt, model: b.model, width, height, n_seconds: seconds, n_variants: variants };
}

/** Multipart create: every inpaint item must name an uploaded file
 * (docs/providers/azure-openai-sora.md#sora-1-jobs-api). */
export function validateInpaintItems(raw: unknown, uploaded: string[]): ApiErrorBody | undefined {
  if (raw === undefined) return undefined;
  let items: unknown;
  try {
    items = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch {
    return invalid('inpaint_items', 'inpaint_items must be a JSON array.');
  }
  if (!Array.isArray(items)) return invalid('inpaint_items', 'inpaint_items must be a JSON array.');
  for (const [index, item] of items.entries()) {
    const entry = item as Record<string, unknown>;
    if (typeof entry !== 'object' || entry === null)
      return invalid('inpaint_items', `inpaint_items[${index}] must be an object.`);
    if (entry.type !== 'image' && entry.type !== 'video')
      return invalid('inpaint_items', `inpaint_items[${index}].type must be 'image' or 'video'.`);
    if (!Number.isInteger(entry.frame_index) || (entry.frame_index as number) < 0)
      return invalid('inpaint_items', `inpaint_items[${index}].frame_index must be a non-negative integer.`);
    if (typeof entry.file_name !== 'string' || !uploaded.includes(entry.file_name)) {
      return invalid(
        'inpaint_items',
        `inpaint_items[${index}].file_name '${String(entry.file_name)}' does not match an uploaded file.`,
      );
    }
  }
  return undefined;
}

/** Where a job is on its clock: the share of the total duration each phase takes. */
const PHASES: Array<[JobStatus, number]> = [
  ['queued', 0.1],
  ['preprocessing', 0.15],
  ['running', 0.6],
  ['processing', 0.15],
];

export function statusAt(elapsedMs: number, totalMs: number): JobStatus {
  let boundary = 0;
  for (const [status, share] of PHASES) {
    boundary += share * totalMs;
    if (elapsedMs < boundary) return status;
  }
  return 'succeeded';
}

/** Fast default timing: ~6 s for 480x480 × 5 s × 1, growing with pixels × seconds × variants. */
export function jobDurationMs(
  input: Pick<CreateJobInput, 'width' | 'height' | 'n_seconds' | 'n_variants'>,
  timeScale: number,
): number {
  const work = (input.width * input.height * input.n_seconds * input.n_variants) / (480 * 480 * 5);
  return Math.round((2000 + 4000 * work) * timeScale);
}
