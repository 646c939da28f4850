// What a Veo create (`POST models/{model}:predictLongRunning`) must carry: one instance (prompt,
// image, lastFrame, referenceImages) and parameters the model accepts
// (docs/providers/gemini.md#models-and-parameters). Each refusal is a 400 INVALID_ARGUMENT whose
// message this file words; the duration one is Google's own observed wording.
import { ASPECT_RATIOS, MAX_REFERENCE_IMAGES, MAX_SAMPLES, type VeoModel } from './models.js';

/** A create that passed every check, with the defaults filled in. */
export interface CreateRequest {
  prompt: string;
  seconds: number;
  aspectRatio: string;
  /** `720p` when not given (Veo 2 renders 720p and takes no resolution). */
  resolution: string;
  samples: number;
  /** An image input (first frame, last frame or reference images) was given. */
  withImage: boolean;
  /** The bytes of `instances[0].image` (the first frame), when given: decoded by the route. */
  firstFrame?: Buffer;
}

type Json = Record<string, unknown>;

const INSTANCE_FIELDS = ['prompt', 'image', 'lastFrame', 'referenceImages'];
const PARAMETERS = [
  'sampleCount',
  'durationSeconds',
  'aspectRatio',
  'resolution',
  'personGeneration',
  'negativePrompt',
  'enhancePrompt',
];
const IMAGE_TYPES: Record<string, (bytes: Buffer) => boolean> = {
  'image/png': (b) => b.length > 8 && b.readUInt32BE(0) === 0x89504e47,
  'image/jpeg': (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8,
  'image/webp': (b) =>
    b.length > 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP',
};

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const unsupported = (name: string) =>
  `\`${name}\` isn't supported by this model. Please remove it or refer to the Gemini API documentation for supported usage.`;

/** An image as the Gemini API takes it: `{bytesBase64Encoded, mimeType}` (no gcsUri outside Vertex AI). */
function imageProblem(field: string, image: unknown): string | undefined {
  if (!isObject(image)) return `\`${field}\` must be an object with bytesBase64Encoded and mimeType.`;
  if (image.gcsUri !== undefined)
    return `\`${field}.gcsUri\` isn't supported by the Gemini API; send the image as bytesBase64Encoded.`;
  const check = IMAGE_TYPES[String(image.mimeType)];
  if (!check) return `\`${field}.mimeType\` must be one of ${Object.keys(IMAGE_TYPES).join(', ')}.`;
  const text = image.bytesBase64Encoded;
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(text))
    return `\`${field}.bytesBase64Encoded\` must be base64-encoded image bytes.`;
  if (!check(Buffer.from(text, 'base64')))
    return `\`${field}\` is not a valid ${String(image.mimeType)} image.`;
  return undefined;
}

/** The instance's inputs, or what is wrong with them. */
function instanceOf(
  model: VeoModel,
  body: Json,
): { prompt: string; withImage: boolean; references: number; firstFrame?: Buffer } | string {
  const { instances } = body;
  if (!Array.isArray(instances) || instances.length !== 1 || !isObject(instances[0]))
    return '`instances` must hold exactly one instance object.';
  const instance = instances[0];
  for (const name of Object.keys(instance)) if (!INSTANCE_FIELDS.includes(name)) return unsupported(name);
  if (instance.prompt !== undefined && typeof instance.prompt !== 'string')
    return '`prompt` must be a string.';
  if (instance.lastFrame !== undefined && !model.lastFrame) return unsupported('lastFrame');
  if (instance.referenceImages !== undefined && !model.referenceImages) return unsupported('referenceImages');
  if (instance.lastFrame !== undefined && instance.image === undefined)
    return '`lastFrame` needs `image` (the first frame) as well.';
  for (const field of ['image', 'lastFrame'])
    if (instance[field] !== undefined) {
      const problem = imageProblem(field, instance[field]);
      if (problem) return problem;
    }
  const references = instance.referenceImages;
  if (references !== undefined) {
    if (!Array.isArray(references) || references.length === 0 || references.length > MAX_REFERENCE_IMAGES)
      return `\`referenceImages\` must hold 1 to ${MAX_REFERENCE_IMAGES} images.`;
    for (const [i, reference] of references.entries()) {
      const problem = imageProblem(
        `referenceImages[${i}].image`,
        isObject(reference) ? reference.image : undefined,
      );
      if (problem) return problem;
    }
  }
  const prompt = typeof instance.prompt === 'string' ? instance.prompt : '';
  const withImage = instance.image !== undefined || references !== undefined;
  if (prompt.trim() === '' && !withImage) return '`prompt` is required when no image is given.';
  return {
    prompt,
    withImage,
    references: Array.isArray(references) ? references.length : 0,
    firstFrame: isObject(instance.image)
      ? Buffer.from(String(instance.image.bytesBase64Encoded), 'base64')
      : undefined,
  };
}

/** `durationSeconds` as a whole number (a digit string is taken too), or NaN. */
const secondsOf = (value: unknown) =>
  typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value)) ? Number(value) : NaN;

/** The parameters with defaults, or what is wrong with them. */
function parametersOf(
  model: VeoModel,
  body: Json,
  input: { withImage: boolean; references: number },
): Omit<CreateRequest, 'prompt' | 'withImage' | 'firstFrame'> | string {
  if (body.parameters !== undefined && !isObject(body.parameters)) return '`parameters` must be an object.';
  const p: Json = body.parameters ?? {};
  for (const name of Object.keys(p)) if (!PARAMETERS.includes(name)) return unsupported(name);
  const seconds = p.durationSeconds === undefined ? 8 : secondsOf(p.durationSeconds);
  if (!model.durations.includes(seconds))
    return `The number value for \`durationSeconds\` is out of bound. Please provide a value between ${Math.min(...model.durations)} and ${Math.max(...model.durations)}, inclusive.`;
  const aspectRatio = p.aspectRatio ?? '16:9';
  if (!(ASPECT_RATIOS as readonly unknown[]).includes(aspectRatio))
    return `\`aspectRatio\` must be one of ${ASPECT_RATIOS.join(', ')}.`;
  if (p.resolution !== undefined && model.resolutions.length === 0) return unsupported('resolution');
  const resolution = p.resolution ?? '720p';
  if (model.resolutions.length > 0 && !model.resolutions.includes(resolution as string))
    return `\`resolution\` must be one of ${model.resolutions.join(', ')}.`;
  if (model.eightSecondsOnly.includes(resolution as string) && seconds !== 8)
    return `\`resolution\` ${String(resolution)} needs \`durationSeconds\` 8.`;
  if (input.references > 0 && (seconds !== 8 || aspectRatio !== '16:9'))
    return '`referenceImages` need `durationSeconds` 8 and `aspectRatio` 16:9.';
  const samples = p.sampleCount ?? 1;
  if (!Number.isInteger(samples) || (samples as number) < 1 || (samples as number) > MAX_SAMPLES)
    return `\`sampleCount\` must be an integer from 1 to ${MAX_SAMPLES}.`;
  const allowed = input.withImage ? model.personGeneration.image : model.personGeneration.text;
  if (p.personGeneration !== undefined && !allowed.includes(p.personGeneration as string))
    return `\`personGeneration\` must be ${allowed.join(' or ')} for ${input.withImage ? 'image' : 'text'}-to-video with this model.`;
  if (p.negativePrompt !== undefined && typeof p.negativePrompt !== 'string')
    return '`negativePrompt` must be a string.';
  if (p.enhancePrompt !== undefined && typeof p.enhancePrompt !== 'boolean')
    return '`enhancePrompt` must be a boolean.';
  return {
    seconds,
    aspectRatio: aspectRatio as string,
    resolution: resolution as string,
    samples: samples as number,
  };
}

/** The create the body asks for, or the message of its 400 INVALID_ARGUMENT. */
export function parseCreateRequest(model: VeoModel, body: Json): CreateRequest | string {
  const instance = instanceOf(model, body);
  if (typeof instance === 'string') return instance;
  const parameters = parametersOf(model, body, instance);
  if (typeof parameters === 'string') return parameters;
  return {
    prompt: instance.prompt,
    withImage: instance.withImage,
    firstFrame: instance.firstFrame,
    ...parameters,
  };
}
