// Sora 2 (videos API) rules, written on their own from docs/providers/openai-videos.md and
// docs/providers/azure-openai-sora.md#sora-2-videos-api.
import type { ApiErrorBody } from './jobs-api.js';

export const VIDEO_SIZES = ['720x1280', '1280x720'];
export const VIDEO_SECONDS = ['4', '8', '12'];

export interface CreateVideoInput {
  model: string;
  prompt: string;
  size: string;
  seconds: string;
}

const invalid = (param: string, message: string): ApiErrorBody => ({
  status: 400,
  code: 'invalid_value',
  message,
  param,
  type: 'invalid_request_error',
});

export function validateCreateVideo(fields: Record<string, unknown>): CreateVideoInput | ApiErrorBody {
  if (typeof fields.model !== 'string' || fields.model === '')
    return invalid('model', "Missing required parameter: 'model'.");
  if (typeof fields.prompt !== 'string' || fields.prompt === '')
    return invalid('prompt', "Missing required parameter: 'prompt'.");
  const size = fields.size === undefined ? '720x1280' : String(fields.size);
  if (!VIDEO_SIZES.includes(size))
    return invalid(
      'size',
      `Invalid value: '${size}'. Supported values are: ${VIDEO_SIZES.map((s) => `'${s}'`).join(' and ')}.`,
    );
  const seconds = fields.seconds === undefined ? '4' : String(fields.seconds);
  if (!VIDEO_SECONDS.includes(seconds))
    return invalid(
      'seconds',
      `Invalid value: '${seconds}'. Supported values are: ${VIDEO_SECONDS.map((s) => `'${s}'`).join(', ')}.`,
    );
  return { model: fields.model, prompt: fields.prompt, size, seconds };
}

/** Status and progress on the clock: queued for the first 10 %, then in_progress rising to 100. */
export function videoStateAt(
  elapsedMs: number,
  totalMs: number,
): { status: 'queued' | 'in_progress' | 'completed'; progress: number } {
  if (elapsedMs >= totalMs) return { status: 'completed', progress: 100 };
  if (elapsedMs < 0.1 * totalMs) return { status: 'queued', progress: 0 };
  return {
    status: 'in_progress',
    progress: Math.min(99, Math.floor(((elapsedMs - 0.1 * totalMs) / (0.9 * totalMs)) * 100)),
  };
}
