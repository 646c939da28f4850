// What a `POST /v1/videos/generations` body must carry (xAI's GenerateVideoRequest,
// docs/providers/xai.md#create): the model, a prompt (optional with a start image), a duration of
// 1-15 s given as a number or a digit string (`seconds` is its OpenAI-style alias), one of seven
// ratios, a resolution the model renders, and image inputs as `{url}` objects. Fields the
// emulator does not model (audio references, storage options, `user`, `generate_audio`) are
// taken and ignored; xAI's refusal words are not in the sources read, so each message is worded
// here (docs/providers/xai.md says which are choices).
import {
  ASPECT_RATIOS,
  DEFAULT_MODEL,
  DEFAULT_RESOLUTION,
  DEFAULT_SECONDS,
  GROK_VIDEO_MODELS,
  MAX_KEYFRAMES,
  MAX_REFERENCE_IMAGES,
  MAX_SECONDS,
  MIN_SECONDS,
  type GrokVideoModel,
} from './models.js';

/** A create that passed every check, with the defaults filled in. */
export interface CreateRequest {
  model: GrokVideoModel;
  prompt: string;
  seconds: number;
  aspectRatio: string;
  resolution: string;
  /** The start image's URL (`image.url`, or its alias `input_reference.url`): https, http or data. */
  imageUrl?: string;
}

/** Why a create is refused: 404 for a model that does not exist, else 400. */
export interface Refusal {
  status: 400 | 404;
  message: string;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const refuse = (message: string, status: 400 | 404 = 400): Refusal => ({ status, message });

/** `{url: "<non-empty string>"}`, as xAI's ImageUrl; the message names the field otherwise. */
function imageUrlOf(field: string, value: unknown): string | Refusal {
  if (!isObject(value) || typeof value.url !== 'string' || value.url === '')
    return refuse(`\`${field}\` must be an object with a non-empty \`url\`.`);
  return value.url;
}

/** `duration` (or `seconds`) as a whole number of seconds: a number or a digit string, as xAI takes both. */
function secondsOf(body: Json): number | Refusal {
  const value = body.duration ?? body.seconds;
  if (value === undefined || value === null) return DEFAULT_SECONDS;
  const seconds =
    typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value)) ? Number(value) : NaN;
  if (!Number.isInteger(seconds) || seconds < MIN_SECONDS || seconds > MAX_SECONDS)
    return refuse(
      `\`duration\` must be a whole number of seconds from ${MIN_SECONDS} to ${MAX_SECONDS}, got ${JSON.stringify(value)}.`,
    );
  return seconds;
}

/** The image inputs besides the start image: checked for shape and the model's support, not fetched. */
function otherImagesProblem(model: GrokVideoModel, body: Json, withImage: boolean): Refusal | undefined {
  const references = body.reference_images;
  if (references !== undefined && references !== null) {
    if (!Array.isArray(references) || references.length === 0 || references.length > MAX_REFERENCE_IMAGES)
      return refuse(`\`reference_images\` must hold 1 to ${MAX_REFERENCE_IMAGES} images.`);
    if (withImage) return refuse('`reference_images` cannot be combined with `image`.');
    for (const [i, reference] of references.entries()) {
      const url = imageUrlOf(`reference_images[${i}]`, reference);
      if (typeof url !== 'string') return url;
    }
  }
  for (const field of ['last_frame', 'keyframes'])
    if (body[field] !== undefined && body[field] !== null && !model.pinnedFrames)
      return refuse(`\`${field}\` is not supported by model ${model.id}.`);
  if (body.last_frame !== undefined && body.last_frame !== null) {
    const url = imageUrlOf('last_frame', body.last_frame);
    if (typeof url !== 'string') return url;
  }
  const keyframes = body.keyframes;
  if (keyframes !== undefined && keyframes !== null) {
    if (!Array.isArray(keyframes) || keyframes.length > MAX_KEYFRAMES)
      return refuse(`\`keyframes\` must hold at most ${MAX_KEYFRAMES} entries.`);
    for (const [i, keyframe] of keyframes.entries()) {
      if (!isObject(keyframe) || typeof keyframe.timestamp_s !== 'number')
        return refuse(`\`keyframes[${i}]\` must have an \`image\` and a numeric \`timestamp_s\`.`);
      const url = imageUrlOf(`keyframes[${i}].image`, keyframe.image);
      if (typeof url !== 'string') return url;
    }
  }
  return undefined;
}

/** The create the body asks for, or why it is refused. */
export function parseCreateRequest(body: Json): CreateRequest | Refusal {
  const modelId = body.model ?? DEFAULT_MODEL;
  if (typeof modelId !== 'string') return refuse('`model` must be a string.');
  const model = GROK_VIDEO_MODELS[modelId];
  if (!model)
    return refuse(`The model ${modelId} does not exist or your team does not have access to it.`, 404);
  if (body.prompt !== undefined && body.prompt !== null && typeof body.prompt !== 'string')
    return refuse('`prompt` must be a string.');
  const prompt = typeof body.prompt === 'string' ? body.prompt : '';
  const image = body.image ?? body.input_reference;
  const imageUrl = image === undefined || image === null ? undefined : imageUrlOf('image', image);
  if (typeof imageUrl === 'object') return imageUrl;
  if (prompt.trim() === '' && imageUrl === undefined)
    return refuse('`prompt` is required for text-to-video and reference-to-video generation.');
  const seconds = secondsOf(body);
  if (typeof seconds !== 'number') return seconds;
  const aspectRatio = body.aspect_ratio ?? '16:9';
  if (!(ASPECT_RATIOS as readonly unknown[]).includes(aspectRatio))
    return refuse(`\`aspect_ratio\` must be one of ${ASPECT_RATIOS.join(', ')}.`);
  const resolution = body.resolution ?? DEFAULT_RESOLUTION;
  if (!model.resolutions.includes(resolution as string))
    return refuse(`\`resolution\` must be one of ${model.resolutions.join(', ')} for model ${model.id}.`);
  if (body.output !== undefined && body.output !== null)
    return refuse('`output.upload_url` (delivery to your own storage) is not available here.');
  const problem = otherImagesProblem(model, body, imageUrl !== undefined);
  if (problem) return problem;
  return {
    model,
    prompt,
    seconds,
    aspectRatio: aspectRatio as string,
    resolution: resolution as string,
    ...(imageUrl !== undefined ? { imageUrl } : {}),
  };
}
