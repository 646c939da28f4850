// The video models the fal and Replicate dialects serve, as small input schemas taken from
// docs/providers/fal.md#video-models and docs/providers/replicate.md#video-models, and one
// validator that reports every problem so each dialect can word it its own way.

export interface Field {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array';
  required?: boolean;
  enum?: ReadonlyArray<string | number>;
  default?: unknown;
  min?: number;
  max?: number;
}

export type Schema = Record<string, Field>;

export interface VideoModel {
  id: string;
  schema: Schema;
  /** Seconds of video the (validated, defaulted) input asks for. */
  seconds(input: Record<string, unknown>): number;
  /** Aspect ratio of the output. */
  aspect(input: Record<string, unknown>): string;
  /** Replicate's version id for this model. */
  version?: string;
}

export interface Problem {
  field: string;
  kind: 'missing' | 'type' | 'enum' | 'range';
  field_type: Field['type'];
  expected?: ReadonlyArray<string | number>;
  value?: unknown;
  min?: number;
  max?: number;
}

/** Checks `input` against `schema`; returns the input with defaults filled in, or the problems. Unknown fields are kept and ignored. */
export function validateInput(
  schema: Schema,
  input: Record<string, unknown>,
): { input: Record<string, unknown> } | { problems: Problem[] } {
  const problems: Problem[] = [];
  const out: Record<string, unknown> = { ...input };
  for (const [field, spec] of Object.entries(schema)) {
    const value = input[field];
    if (value === undefined || value === null) {
      if (spec.required) problems.push({ field, kind: 'missing', field_type: spec.type });
      else if (spec.default !== undefined) out[field] = spec.default;
      continue;
    }
    const typeOk =
      spec.type === 'string'
        ? typeof value === 'string'
        : spec.type === 'number'
          ? typeof value === 'number' && Number.isFinite(value)
          : spec.type === 'integer'
            ? Number.isInteger(value)
            : spec.type === 'boolean'
              ? typeof value === 'boolean'
              : Array.isArray(value);
    if (!typeOk) {
      problems.push({ field, kind: 'type', field_type: spec.type, value, expected: spec.enum });
      continue;
    }
    if (spec.enum && !spec.enum.includes(value as string | number))
      problems.push({ field, kind: 'enum', field_type: spec.type, expected: spec.enum, value });
    else if (
      typeof value === 'number' &&
      ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max))
    ) {
      problems.push({ field, kind: 'range', field_type: spec.type, value, min: spec.min, max: spec.max });
    }
  }
  return problems.length > 0 ? { problems } : { input: out };
}

/** Small frames at the requested aspect ratio keep encoding quick; the duration is exact. */
export function outputSize(aspect: string): { width: number; height: number } {
  if (aspect === '9:16') return { width: 144, height: 256 };
  if (aspect === '1:1') return { width: 192, height: 192 };
  return { width: 256, height: 144 };
}

/** Nominal pixels the real model renders, for the duration profile (720p-class output). */
export function nominalSize(aspect: string, resolution?: unknown): { width: number; height: number } {
  const long = resolution === '1080p' ? 1920 : 1280;
  const short = resolution === '1080p' ? 1080 : 720;
  if (aspect === '9:16') return { width: short, height: long };
  if (aspect === '1:1') return { width: short, height: short };
  return { width: long, height: short };
}

/** The work a (validated, defaulted) input asks of the real model, in the terms of the duration profile (jobs-api.ts jobDurationMs). */
export function nominalWork(model: VideoModel, input: Record<string, unknown>) {
  const { width, height } = nominalSize(model.aspect(input), input.resolution);
  return { width, height, n_seconds: model.seconds(input), n_variants: 1 };
}

const klingText: Schema = {
  prompt: { type: 'string', required: true },
  duration: { type: 'string', enum: ['5', '10'], default: '5' },
  aspect_ratio: { type: 'string', enum: ['16:9', '9:16', '1:1'], default: '16:9' },
  negative_prompt: { type: 'string', default: 'blur, distort, and low quality' },
  cfg_scale: { type: 'number', default: 0.5, min: 0, max: 1 },
};

const veo3: Schema = {
  prompt: { type: 'string', required: true },
  duration: { type: 'string', enum: ['4s', '6s', '8s'], default: '8s' },
  aspect_ratio: { type: 'string', enum: ['16:9', '9:16'], default: '16:9' },
  resolution: { type: 'string', enum: ['720p', '1080p'], default: '720p' },
  generate_audio: { type: 'boolean', default: true },
  negative_prompt: { type: 'string' },
  seed: { type: 'integer' },
  auto_fix: { type: 'boolean', default: true },
  safety_tolerance: { type: 'string', enum: ['1', '2', '3', '4', '5', '6'], default: '4' },
};

/** fal model ids (durations are strings, in a different format per model). */
export const FAL_MODELS: Record<string, VideoModel> = {
  'fal-ai/kling-video/v2/master/text-to-video': {
    id: 'fal-ai/kling-video/v2/master/text-to-video',
    schema: klingText,
    seconds: (i) => Number(i.duration),
    aspect: (i) => String(i.aspect_ratio),
  },
  'fal-ai/kling-video/v2.1/master/text-to-video': {
    id: 'fal-ai/kling-video/v2.1/master/text-to-video',
    schema: klingText,
    seconds: (i) => Number(i.duration),
    aspect: (i) => String(i.aspect_ratio),
  },
  'fal-ai/kling-video/v2/master/image-to-video': {
    id: 'fal-ai/kling-video/v2/master/image-to-video',
    schema: {
      prompt: klingText.prompt,
      image_url: { type: 'string', required: true },
      duration: klingText.duration,
      negative_prompt: klingText.negative_prompt,
      cfg_scale: klingText.cfg_scale,
    },
    seconds: (i) => Number(i.duration),
    aspect: () => '16:9',
  },
  'fal-ai/veo3': {
    id: 'fal-ai/veo3',
    schema: veo3,
    seconds: (i) => parseInt(String(i.duration), 10),
    aspect: (i) => String(i.aspect_ratio),
  },
  'fal-ai/veo3/image-to-video': {
    id: 'fal-ai/veo3/image-to-video',
    schema: {
      ...veo3,
      image_url: { type: 'string', required: true },
      aspect_ratio: { type: 'string', enum: ['auto', '16:9', '9:16'], default: 'auto' },
    },
    seconds: (i) => parseInt(String(i.duration), 10),
    aspect: (i) => (i.aspect_ratio === 'auto' ? '16:9' : String(i.aspect_ratio)),
  },
};

/** Replicate models (durations are integers). */
export const REPLICATE_MODELS: Record<string, VideoModel> = {
  'kwaivgi/kling-v2.0': {
    id: 'kwaivgi/kling-v2.0',
    version: 'c17ab6fb62ef8b427c30147c3fef6b4d3bb94af3ba6095c67f8f82304829008a',
    schema: {
      prompt: { type: 'string', required: true },
      negative_prompt: { type: 'string', default: '' },
      aspect_ratio: { type: 'string', enum: ['16:9', '9:16', '1:1'], default: '16:9' },
      start_image: { type: 'string' },
      cfg_scale: { type: 'number', default: 0.5, min: 0, max: 1 },
      duration: { type: 'integer', enum: [5, 10], default: 5 },
    },
    seconds: (i) => Number(i.duration),
    // The aspect ratio is ignored when a start image is given (the image decides; we use 16:9).
    aspect: (i) => (i.start_image ? '16:9' : String(i.aspect_ratio)),
  },
  'google/veo-3.1': {
    id: 'google/veo-3.1',
    version: 'ed5b1767b711dd15d954b162af1e890d27882680f463a85e94f02d604012b972',
    schema: {
      prompt: { type: 'string', required: true },
      aspect_ratio: { type: 'string', enum: ['16:9', '9:16'], default: '16:9' },
      duration: { type: 'integer', enum: [4, 6, 8], default: 8 },
      image: { type: 'string' },
      last_frame: { type: 'string' },
      reference_images: { type: 'array', default: [] },
      negative_prompt: { type: 'string' },
      resolution: { type: 'string', enum: ['720p', '1080p'], default: '1080p' },
      generate_audio: { type: 'boolean', default: true },
      seed: { type: 'integer' },
    },
    seconds: (i) => Number(i.duration),
    aspect: (i) => String(i.aspect_ratio),
  },
};
