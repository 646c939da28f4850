// What a `POST /v4/ai/video-model/start` body carries: the AI SDK's video call options as
// @ai-sdk/gateway 4.0.158 serializes them (docs/providers/ai-gateway.md#start): `prompt`, `n`,
// `aspectRatio` (W:H), `resolution` (WxH), `duration`, `fps`, `seed`, `generateAudio`,
// `providerOptions`, image inputs as the spec's file objects (bytes as base64), and
// `callbackUrl`. The gateway's own checks and words are not in the sources read, so every bound
// and message here is the emulator's (README, "AI Gateway").
import { ASPECT_RATIOS, DEFAULT_SECONDS, MAX_SECONDS, MAX_VIDEOS } from './models.js';

/** A start that passed every check, with the defaults filled in. */
export interface StartRequest {
  prompt: string;
  videos: number;
  seconds: number;
  aspectRatio: string;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A file of the v4 spec: `{type: 'url', url}` or `{type: 'file', data, mediaType}`. */
const isFile = (value: unknown) =>
  isObject(value) &&
  ((value.type === 'url' && typeof value.url === 'string') ||
    (value.type === 'file' && typeof value.data === 'string' && typeof value.mediaType === 'string'));

const wholeIn = (value: unknown, min: number, max: number) =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

/** The image inputs: checked for shape, not used. */
function imagesProblem(body: Json): string | undefined {
  if (body.image !== undefined && !isFile(body.image)) return '`image` must be a url or file object.';
  const frames = body.frameImages;
  if (
    frames !== undefined &&
    (!Array.isArray(frames) || !frames.every((f) => isObject(f) && isFile(f.image)))
  )
    return '`frameImages` must be a list of {frameType, image} with url or file images.';
  const references = body.inputReferences;
  if (references !== undefined && (!Array.isArray(references) || !references.every(isFile)))
    return '`inputReferences` must be a list of url or file objects.';
  return undefined;
}

/** The start the body asks for, or the message of its 400 `invalid_request_error`. */
export function parseStartRequest(body: Json): StartRequest | string {
  if (body.prompt !== undefined && typeof body.prompt !== 'string') return '`prompt` must be a string.';
  const prompt = typeof body.prompt === 'string' ? body.prompt : '';
  const withImage = body.image !== undefined || body.frameImages !== undefined;
  if (prompt.trim() === '' && !withImage) return '`prompt` is required without an image.';
  const videos = body.n ?? 1;
  if (!wholeIn(videos, 1, MAX_VIDEOS)) return `\`n\` must be a whole number from 1 to ${MAX_VIDEOS}.`;
  const seconds = body.duration ?? DEFAULT_SECONDS;
  if (!wholeIn(seconds, 1, MAX_SECONDS))
    return `\`duration\` must be a whole number of seconds from 1 to ${MAX_SECONDS}.`;
  const aspectRatio = body.aspectRatio ?? '16:9';
  if (!(ASPECT_RATIOS as readonly unknown[]).includes(aspectRatio))
    return `\`aspectRatio\` must be one of ${ASPECT_RATIOS.join(', ')}.`;
  if (body.resolution !== undefined && !/^\d+x\d+$/.test(String(body.resolution)))
    return '`resolution` must be WIDTHxHEIGHT, e.g. 1280x720.';
  if (body.generateAudio !== undefined && typeof body.generateAudio !== 'boolean')
    return '`generateAudio` must be a boolean.';
  if (body.providerOptions !== undefined && !isObject(body.providerOptions))
    return '`providerOptions` must be an object.';
  const images = imagesProblem(body);
  if (images) return images;
  return { prompt, videos: videos as number, seconds: seconds as number, aspectRatio: aspectRatio as string };
}
