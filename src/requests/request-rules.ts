// Rules every video request obeys, whatever the provider: the prompt's text, and the shape of a
// normalised request. Pure (zod only), so the HTTP starter validates with them and the
// orchestrator checks its own input with them again (a defect elsewhere, or a start through
// the durable management API, must not send a malformed request to a provider).
import { z } from 'zod';
import { UPLOAD_ID_PATTERN } from '../uploads/upload-record.js';

/** In code points, not UTF-16 units: an emoji is one character to a caller. */
export const MAX_PROMPT_LENGTH = 4000;
/** `options` is a handful of model inputs; anything bigger is a mistake or abuse. */
export const MAX_OPTIONS_BYTES = 8 * 1024;
/** Levels of objects and arrays in `options`, itself included: a model input is flat or nearly
 * so, and a deep one would overflow the stack of every recursive walk after validation
 * (JSON.stringify, the request digest, the durable host's serialisation). */
export const MAX_OPTIONS_DEPTH = 16;

/** How deeply objects and arrays nest in a JSON value (0 for a scalar), walked without
 * recursion and stopping once `limit` is passed, so no input can overflow the stack here. */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (pending.length > 0) {
    const { value: item, depth } = pending.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const member of Object.values(item)) pending.push({ value: member, depth: depth + 1 });
  }
  return false;
}

/** `options`: a JSON object of model inputs, shallow and small. The depth is checked first and
 * alone, since measuring the size serialises the value. */
export const optionsSchema = z
  .record(z.string(), z.unknown(), { error: 'must be a JSON object' })
  .superRefine((value, context) => {
    if (jsonDepthExceeds(value, MAX_OPTIONS_DEPTH))
      context.addIssue({ code: 'custom', message: `must nest at most ${MAX_OPTIONS_DEPTH} levels deep` });
    else if (Buffer.byteLength(JSON.stringify(value)) > MAX_OPTIONS_BYTES)
      context.addIssue({ code: 'custom', message: `must be at most ${MAX_OPTIONS_BYTES} bytes of JSON` });
  });

// C0 controls other than tab/newline/CR, DEL and C1 controls corrupt logs and terminals; line
// and paragraph separators break JSON-in-JS and table storage; bidi overrides make a prompt
// read differently from what it says (Trojan Source). Lone surrogates are not text at all.
const hasControlCharacters = (text: string) =>
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(text);
const hasInvisibleFormatting = (text: string) => /[\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(text);
const hasLoneSurrogate = (text: string) =>
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
const codePoints = (text: string) => [...text].length;

export const promptSchema = z
  .string({ error: 'must be a string' })
  .refine((text) => text.trim().length > 0, 'must not be empty')
  .refine((text) => codePoints(text) <= MAX_PROMPT_LENGTH, `must be at most ${MAX_PROMPT_LENGTH} characters`)
  .refine((text) => !hasControlCharacters(text), 'must not contain control characters')
  .refine(
    (text) => !hasInvisibleFormatting(text),
    'must not contain line/paragraph separators or bidirectional overrides',
  )
  .refine((text) => !hasLoneSurrogate(text), 'must be valid Unicode text');

/** A normalised request (VideoRequest), as the orchestration receives it. Capabilities were
 * checked when it was accepted; this checks what must hold for any provider. */
export const normalisedRequestSchema = z.object({
  provider: z.string().min(1).max(100),
  kind: z.enum(['azure-openai', 'openai-videos', 'fal', 'replicate', 'ai-sdk']),
  model: z.string().min(1).max(200),
  prompt: promptSchema,
  seconds: z.number().int().min(1).max(600),
  // "auto": the model takes no size; its video follows the image (image-to-video models).
  size: z.string().regex(/^(\d{1,5}x\d{1,5}|\d{1,3}:\d{1,3}|auto)$/),
  variants: z.number().int().min(1).max(16),
  options: optionsSchema.optional(),
  callbackUrl: z.string().max(2048).optional(),
  // A link or an upload id, never a signed link (src/requests/request-image.ts).
  image: z
    .union([
      z.strictObject({ url: z.string().min(1).max(2048) }),
      z.strictObject({ uploadId: z.string().regex(UPLOAD_ID_PATTERN) }),
    ])
    .optional(),
  imageRole: z.enum(['first-frame', 'reference']).optional(),
});
