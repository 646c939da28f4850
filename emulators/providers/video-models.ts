// The video models the fal and Replicate dialects serve, as small input schemas taken from
// docs/providers/fal.md#video-models and docs/providers/replicate.md#video-models, and one
// validator that reports every problem so each dialect can word it its own way.
import { createHash } from 'node:crypto';

export interface Field {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array';
  required?: boolean;
  enum?: ReadonlyArray<string | number>;
  default?: unknown;
  min?: number;
  max?: number;
}

export type Schema = Record<string, Field>;

/** Width and height of the input image, for models whose output follows the image. */
export interface ImageSize {
  width: number;
  height: number;
}

export interface VideoModel {
  id: string;
  schema: Schema;
  /** Seconds of video the (validated, defaulted) input asks for. */
  seconds(input: Record<string, unknown>): number;
  /** Aspect ratio of the output (given the input image, for models whose output follows it). */
  aspect(input: Record<string, unknown>, image?: ImageSize): string;
  /** Replicate's version id for this model. */
  version?: string;
  /** The input field holding the URL of the image the video starts from (fal `image_url`,
   * Replicate's name per model): fetched like the vendor does, and its average colour is the
   * video's first frame (image-fetch.ts). Required or not as the schema says. */
  imageField?: string;
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

/** Small frames at the requested aspect ratio keep encoding quick (sides are multiples of 16,
 * as the encoder needs); the duration is exact. */
export function outputSize(aspect: string): { width: number; height: number } {
  if (aspect === '9:16') return { width: 144, height: 256 };
  if (aspect === '1:1') return { width: 192, height: 192 };
  if (aspect === '4:3') return { width: 192, height: 144 };
  if (aspect === '3:4') return { width: 144, height: 192 };
  if (aspect === '21:9') return { width: 336, height: 144 };
  if (aspect === '9:21') return { width: 144, height: 336 };
  if (aspect === '3:2') return { width: 240, height: 160 };
  if (aspect === '2:3') return { width: 160, height: 240 };
  return { width: 256, height: 144 };
}

/** The aspect ratio of an output that follows its input image: landscape, portrait or square. */
export function aspectOfImage(image: ImageSize | undefined, otherwise = '16:9'): string {
  if (!image) return otherwise;
  if (image.width > image.height) return '16:9';
  if (image.width < image.height) return '9:16';
  return '1:1';
}

/** Nominal pixels the real model renders, for the duration profile (720p-class output). */
export function nominalSize(aspect: string, resolution?: unknown): { width: number; height: number } {
  const long = resolution === '1080p' ? 1920 : 1280;
  const short = resolution === '1080p' ? 1080 : 720;
  if (aspect === '9:16') return { width: short, height: long };
  if (aspect === '1:1') return { width: short, height: short };
  return { width: long, height: short };
}

/** The work a (validated, defaulted) input asks of the real model, in the terms of the duration profile
 * (jobs-api.ts jobDurationMs). Planned at create, before any input image has arrived: a model whose
 * output follows the image is timed as 16:9 (the same pixels as 9:16). */
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

/** Kling image-to-video on fal: no aspect ratio input, the output follows the image. */
const klingImage: Schema = {
  prompt: klingText.prompt,
  image_url: { type: 'string', required: true },
  duration: klingText.duration,
  negative_prompt: klingText.negative_prompt,
  cfg_scale: klingText.cfg_scale,
};

const hailuoText: Schema = {
  prompt: { type: 'string', required: true },
  duration: { type: 'string', enum: ['6', '10'], default: '6' },
  prompt_optimizer: { type: 'boolean', default: true },
};

/** Seedance on fal: "2" to "12" seconds. */
const SEEDANCE_SECONDS = ['2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];

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

/** MiniMax Hailuo text-to-video on fal, standard and pro tiers: 16:9; the pro tier makes one 6 s
 * 1080p video and has no `duration` input (one sent is ignored). */
function hailuoTextModels(standard: string, pro: string): Record<string, VideoModel> {
  return {
    [standard]: {
      id: standard,
      schema: hailuoText,
      seconds: (i) => Number(i.duration),
      aspect: () => '16:9',
    },
    [pro]: {
      id: pro,
      schema: { prompt: hailuoText.prompt, prompt_optimizer: hailuoText.prompt_optimizer },
      seconds: () => 6,
      aspect: () => '16:9',
    },
  };
}

/** Seedance 1 image-to-video on fal (lite and pro share it): "auto" follows the image. */
const seedanceImageModel = (id: string): VideoModel => ({
  id,
  schema: seedanceImage,
  seconds: (i) => Number(i.duration),
  aspect: (i, image) => (i.aspect_ratio === 'auto' ? aspectOfImage(image) : String(i.aspect_ratio)),
  imageField: 'image_url',
});

/** Kling 2.6 pro text-to-video on fal: Kling's text inputs and native audio. */
const kling26Text: Schema = { ...klingText, generate_audio: { type: 'boolean', default: true } };

/** Kling 3 on fal: "3" to "15" seconds; `prompt` or `multi_prompt` (so neither is required). */
const KLING_3_SECONDS = ['3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15'];
const kling3Text: Schema = {
  ...kling26Text,
  prompt: { type: 'string' },
  duration: { type: 'string', enum: KLING_3_SECONDS, default: '5' },
  multi_prompt: { type: 'array' },
  shot_type: { type: 'string', enum: ['customize', 'intelligent'], default: 'customize' },
};

/** Seedance 1 text-to-video on fal (lite and pro share it). */
const seedanceText: Schema = {
  prompt: { type: 'string', required: true },
  duration: { type: 'string', enum: SEEDANCE_SECONDS, default: '5' },
  aspect_ratio: {
    type: 'string',
    enum: ['21:9', '16:9', '4:3', '1:1', '3:4', '9:16', '9:21'],
    default: '16:9',
  },
  resolution: { type: 'string', enum: ['480p', '720p', '1080p'], default: '720p' },
  camera_fixed: { type: 'boolean', default: false },
  enable_safety_checker: { type: 'boolean', default: true },
  num_frames: { type: 'integer' },
  seed: { type: 'integer' },
};

/** Seedance 1 image-to-video on fal (lite and pro share it). */
const seedanceImage: Schema = {
  ...seedanceText,
  image_url: { type: 'string', required: true },
  aspect_ratio: {
    type: 'string',
    enum: ['21:9', '16:9', '4:3', '1:1', '3:4', '9:16', 'auto'],
    default: 'auto',
  },
  end_image_url: { type: 'string' },
};

/** Seconds from a fal duration string ("5", "8s"). */
const falSeconds = (i: Record<string, unknown>) => parseInt(String(i.duration), 10);

/** Text-to-video models that share a schema, keyed by id, each making the video its
 * `aspect_ratio` asks for. */
function textModels(
  ids: readonly string[],
  schema: Schema,
  seconds: VideoModel['seconds'],
): Record<string, VideoModel> {
  return Object.fromEntries(
    ids.map((id) => [
      id,
      { id, schema, seconds, aspect: (i: Record<string, unknown>) => String(i.aspect_ratio) },
    ]),
  );
}

/** fal model ids (durations are strings, in a different format per model). The image-to-video
 * models fetch `image_url` (required) like fal does; sources: docs/providers/fal.md#video-models and
 * each model's page (emulators/providers/README.md, "Image-to-video"). */
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
    schema: klingImage,
    seconds: (i) => Number(i.duration),
    aspect: (_i, image) => aspectOfImage(image),
    imageField: 'image_url',
  },
  'fal-ai/kling-video/v2.1/standard/image-to-video': {
    id: 'fal-ai/kling-video/v2.1/standard/image-to-video',
    schema: klingImage,
    seconds: (i) => Number(i.duration),
    aspect: (_i, image) => aspectOfImage(image),
    imageField: 'image_url',
  },
  'fal-ai/veo3': {
    id: 'fal-ai/veo3',
    schema: veo3,
    seconds: falSeconds,
    aspect: (i) => String(i.aspect_ratio),
  },
  // Text-to-video rows the app's tables name (issue 26): inputs as each model's fal page gives them
  // (README, "fal queue"); unconfirmed details follow the nearest confirmed sibling.
  'fal-ai/kling-video/v2.5-turbo/pro/text-to-video': {
    id: 'fal-ai/kling-video/v2.5-turbo/pro/text-to-video',
    schema: klingText,
    seconds: (i) => Number(i.duration),
    aspect: (i) => String(i.aspect_ratio),
  },
  'fal-ai/veo3.1': {
    id: 'fal-ai/veo3.1',
    schema: { ...veo3, resolution: { type: 'string', enum: ['720p', '1080p', '4k'], default: '720p' } },
    seconds: falSeconds,
    aspect: (i) => String(i.aspect_ratio),
  },
  ...hailuoTextModels(
    'fal-ai/minimax/hailuo-02/standard/text-to-video',
    'fal-ai/minimax/hailuo-02/pro/text-to-video',
  ),
  'fal-ai/bytedance/seedance/v1/pro/text-to-video': {
    id: 'fal-ai/bytedance/seedance/v1/pro/text-to-video',
    schema: seedanceText,
    seconds: (i) => Number(i.duration),
    aspect: (i) => String(i.aspect_ratio),
  },
  'fal-ai/wan/v2.2-a14b/text-to-video': {
    id: 'fal-ai/wan/v2.2-a14b/text-to-video',
    schema: {
      prompt: { type: 'string', required: true },
      num_frames: { type: 'integer', default: 81, min: 17, max: 161 },
      frames_per_second: { type: 'integer', default: 16, min: 4, max: 60 },
      resolution: { type: 'string', enum: ['480p', '580p', '720p'], default: '720p' },
      aspect_ratio: { type: 'string', enum: ['16:9', '9:16', '1:1'], default: '16:9' },
      negative_prompt: { type: 'string' },
      seed: { type: 'integer' },
    },
    seconds: (i) => Math.round(Number(i.num_frames) / Number(i.frames_per_second)),
    aspect: (i) => String(i.aspect_ratio),
  },
  'fal-ai/veo3/image-to-video': {
    id: 'fal-ai/veo3/image-to-video',
    schema: {
      ...veo3,
      image_url: { type: 'string', required: true },
      aspect_ratio: { type: 'string', enum: ['auto', '16:9', '9:16'], default: 'auto' },
    },
    seconds: falSeconds,
    aspect: (i, image) => (i.aspect_ratio === 'auto' ? aspectOfImage(image) : String(i.aspect_ratio)),
    imageField: 'image_url',
  },
  'fal-ai/veo3.1/image-to-video': {
    id: 'fal-ai/veo3.1/image-to-video',
    schema: {
      ...veo3,
      image_url: { type: 'string', required: true },
      aspect_ratio: { type: 'string', enum: ['auto', '16:9', '9:16'], default: 'auto' },
      resolution: { type: 'string', enum: ['720p', '1080p', '4k'], default: '720p' },
    },
    seconds: falSeconds,
    aspect: (i, image) => (i.aspect_ratio === 'auto' ? aspectOfImage(image) : String(i.aspect_ratio)),
    imageField: 'image_url',
  },
  'fal-ai/minimax/hailuo-02/standard/image-to-video': {
    id: 'fal-ai/minimax/hailuo-02/standard/image-to-video',
    schema: {
      prompt: { type: 'string', required: true },
      image_url: { type: 'string', required: true },
      duration: { type: 'string', enum: ['6', '10'], default: '6' },
      prompt_optimizer: { type: 'boolean', default: true },
      resolution: { type: 'string', enum: ['512P', '768P'], default: '768P' },
      end_image_url: { type: 'string' },
    },
    seconds: (i) => Number(i.duration),
    aspect: (_i, image) => aspectOfImage(image),
    imageField: 'image_url',
  },
  'fal-ai/bytedance/seedance/v1/pro/image-to-video': seedanceImageModel(
    'fal-ai/bytedance/seedance/v1/pro/image-to-video',
  ),
  // More rows the app's tables name (issue 26), each as the input types of @fal-ai/client 1.10.1
  // (src/types/endpoints.d.ts) and the model's fal.ai page give it (README, "fal queue").
  ...textModels(['fal-ai/veo3/fast', 'fal-ai/veo3.1/fast'], veo3, falSeconds),
  ...textModels(['fal-ai/kling-video/v2.6/pro/text-to-video'], kling26Text, (i) => Number(i.duration)),
  ...textModels(
    ['fal-ai/kling-video/v3/standard/text-to-video', 'fal-ai/kling-video/v3/pro/text-to-video'],
    kling3Text,
    (i) => Number(i.duration),
  ),
  ...textModels(['fal-ai/bytedance/seedance/v1/lite/text-to-video'], seedanceText, (i) => Number(i.duration)),
  ...hailuoTextModels(
    'fal-ai/minimax/hailuo-2.3/standard/text-to-video',
    'fal-ai/minimax/hailuo-2.3/pro/text-to-video',
  ),
  ...textModels(
    ['fal-ai/wan-25-preview/text-to-video'],
    {
      prompt: { type: 'string', required: true },
      duration: {
        type: 'string',
        enum: ['2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15'],
        default: '5',
      },
      aspect_ratio: { type: 'string', enum: ['16:9', '9:16', '1:1', '4:3', '3:4'], default: '16:9' },
      resolution: { type: 'string', enum: ['720p', '1080p'], default: '1080p' },
      audio_url: { type: 'string' },
      enable_prompt_expansion: { type: 'boolean', default: true },
      enable_safety_checker: { type: 'boolean', default: true },
      negative_prompt: { type: 'string' },
      seed: { type: 'integer' },
    },
    (i) => Number(i.duration),
  ),
  ...textModels(
    ['wan/v2.6/text-to-video'],
    {
      prompt: { type: 'string', required: true },
      duration: { type: 'string', enum: ['5', '10', '15'], default: '5' },
      aspect_ratio: { type: 'string', enum: ['16:9', '9:16', '1:1', '4:3', '3:4'], default: '16:9' },
      resolution: { type: 'string', enum: ['720p', '1080p'], default: '1080p' },
      audio_url: { type: 'string' },
      enable_prompt_expansion: { type: 'boolean', default: true },
      enable_safety_checker: { type: 'boolean', default: true },
      multi_shots: { type: 'boolean', default: true },
      negative_prompt: { type: 'string', default: '' },
      seed: { type: 'integer' },
    },
    (i) => Number(i.duration),
  ),
  'fal-ai/kling-video/v2.5-turbo/pro/image-to-video': {
    id: 'fal-ai/kling-video/v2.5-turbo/pro/image-to-video',
    schema: { ...klingImage, tail_image_url: { type: 'string' } },
    seconds: (i) => Number(i.duration),
    aspect: (_i, image) => aspectOfImage(image),
    imageField: 'image_url',
  },
  'fal-ai/kling-video/v2.6/pro/image-to-video': {
    id: 'fal-ai/kling-video/v2.6/pro/image-to-video',
    schema: {
      prompt: { type: 'string', required: true },
      start_image_url: { type: 'string', required: true },
      duration: klingText.duration,
      end_image_url: { type: 'string' },
      generate_audio: { type: 'boolean', default: true },
      negative_prompt: klingText.negative_prompt,
      voice_ids: { type: 'array' },
    },
    seconds: (i) => Number(i.duration),
    aspect: (_i, image) => aspectOfImage(image),
    imageField: 'start_image_url',
  },
  'fal-ai/kling-video/v3/pro/image-to-video': {
    id: 'fal-ai/kling-video/v3/pro/image-to-video',
    schema: {
      prompt: { type: 'string' },
      start_image_url: { type: 'string', required: true },
      duration: kling3Text.duration,
      end_image_url: { type: 'string' },
      elements: { type: 'array' },
      generate_audio: { type: 'boolean', default: true },
      multi_prompt: { type: 'array' },
      negative_prompt: klingText.negative_prompt,
      cfg_scale: klingText.cfg_scale,
      shot_type: { type: 'string', default: 'customize' },
    },
    seconds: (i) => Number(i.duration),
    aspect: (_i, image) => aspectOfImage(image),
    imageField: 'start_image_url',
  },
  'fal-ai/minimax/hailuo-2.3/standard/image-to-video': {
    id: 'fal-ai/minimax/hailuo-2.3/standard/image-to-video',
    schema: { ...hailuoText, image_url: { type: 'string', required: true } },
    seconds: (i) => Number(i.duration),
    aspect: (_i, image) => aspectOfImage(image),
    imageField: 'image_url',
  },
  'fal-ai/bytedance/seedance/v1/lite/image-to-video': seedanceImageModel(
    'fal-ai/bytedance/seedance/v1/lite/image-to-video',
  ),
};

/** A stand-in version id for models whose Replicate version the sources read do not give
 * (64 hex digits derived from the name; marked in emulators/providers/README.md). */
const standInVersion = (id: string) => createHash('sha256').update(`replicate-version:${id}`).digest('hex');

/** Veo 3 on Replicate (google/veo-3-fast; google/veo-3.1 adds last_frame and reference_images). */
const replicateVeo: Schema = {
  prompt: { type: 'string', required: true },
  aspect_ratio: { type: 'string', enum: ['16:9', '9:16'], default: '16:9' },
  duration: { type: 'integer', enum: [4, 6, 8], default: 8 },
  image: { type: 'string' },
  negative_prompt: { type: 'string' },
  resolution: { type: 'string', enum: ['720p', '1080p'], default: '1080p' },
  generate_audio: { type: 'boolean', default: true },
  seed: { type: 'integer' },
};

/** Replicate models (durations are integers). The image input's name differs per model
 * (`imageField`); an image is fetched at the prediction's start, as Replicate's runners do. */
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
    // The aspect ratio is ignored when a start image is given: the output follows the image.
    aspect: (i, image) => (i.start_image ? aspectOfImage(image) : String(i.aspect_ratio)),
    imageField: 'start_image',
  },
  'kwaivgi/kling-v2.1': {
    id: 'kwaivgi/kling-v2.1',
    version: standInVersion('kwaivgi/kling-v2.1'),
    schema: {
      prompt: { type: 'string', required: true },
      start_image: { type: 'string', required: true },
      mode: { type: 'string', enum: ['standard', 'pro'], default: 'standard' },
      duration: { type: 'integer', enum: [5, 10], default: 5 },
      negative_prompt: { type: 'string', default: '' },
      end_image: { type: 'string' },
    },
    seconds: (i) => Number(i.duration),
    aspect: (_i, image) => aspectOfImage(image),
    imageField: 'start_image',
  },
  'minimax/hailuo-02': {
    id: 'minimax/hailuo-02',
    version: standInVersion('minimax/hailuo-02'),
    schema: {
      prompt: { type: 'string', required: true },
      first_frame_image: { type: 'string' },
      last_frame_image: { type: 'string' },
      duration: { type: 'integer', enum: [6, 10], default: 6 },
      resolution: { type: 'string', enum: ['512p', '768p', '1080p'], default: '1080p' },
      prompt_optimizer: { type: 'boolean', default: true },
    },
    seconds: (i) => Number(i.duration),
    aspect: (_i, image) => aspectOfImage(image),
    imageField: 'first_frame_image',
  },
  'wan-video/wan-2.2-i2v-fast': {
    id: 'wan-video/wan-2.2-i2v-fast',
    version: standInVersion('wan-video/wan-2.2-i2v-fast'),
    schema: {
      prompt: { type: 'string', required: true },
      image: { type: 'string', required: true },
      num_frames: { type: 'integer', default: 81, min: 81, max: 121 },
      frames_per_second: { type: 'integer', default: 16, min: 5, max: 30 },
      resolution: { type: 'string', enum: ['480p', '720p'], default: '480p' },
      aspect_ratio: { type: 'string', enum: ['16:9', '9:16'], default: '16:9' },
      go_fast: { type: 'boolean', default: true },
      seed: { type: 'integer' },
    },
    // No duration input: frames at a frame rate (81 at 16 fps ≈ 5 s).
    seconds: (i) => Math.round(Number(i.num_frames) / Number(i.frames_per_second)),
    aspect: (i) => String(i.aspect_ratio),
    imageField: 'image',
  },
  'wan-video/wan-2.2-t2v-fast': {
    id: 'wan-video/wan-2.2-t2v-fast',
    version: standInVersion('wan-video/wan-2.2-t2v-fast'),
    schema: {
      prompt: { type: 'string', required: true },
      num_frames: { type: 'integer', default: 81, min: 81, max: 121 },
      frames_per_second: { type: 'integer', default: 16, min: 5, max: 30 },
      resolution: { type: 'string', enum: ['480p', '720p'], default: '480p' },
      aspect_ratio: { type: 'string', enum: ['16:9', '9:16'], default: '16:9' },
      go_fast: { type: 'boolean', default: true },
      seed: { type: 'integer' },
    },
    seconds: (i) => Math.round(Number(i.num_frames) / Number(i.frames_per_second)),
    aspect: (i) => String(i.aspect_ratio),
  },
  'bytedance/seedance-1-pro': {
    id: 'bytedance/seedance-1-pro',
    version: standInVersion('bytedance/seedance-1-pro'),
    schema: {
      prompt: { type: 'string', required: true },
      image: { type: 'string' },
      last_frame_image: { type: 'string' },
      duration: { type: 'integer', default: 5, min: 2, max: 12 },
      resolution: { type: 'string', enum: ['480p', '720p', '1080p'], default: '1080p' },
      aspect_ratio: {
        type: 'string',
        enum: ['16:9', '4:3', '1:1', '3:4', '9:16', '21:9', '9:21'],
        default: '16:9',
      },
      fps: { type: 'integer', enum: [24], default: 24 },
      camera_fixed: { type: 'boolean', default: false },
      seed: { type: 'integer' },
    },
    seconds: (i) => Number(i.duration),
    // The aspect ratio is ignored when an image is given.
    aspect: (i, image) =>
      i.image ? aspectOfImage(image) : i.aspect_ratio === '9:21' ? '9:16' : String(i.aspect_ratio),
    imageField: 'image',
  },
  // Rows the app's tables name (issue 26), each from the model's replicate.com version page or
  // the mirror the app's row names (README, "Replicate predictions").
  'google/veo-3-fast': {
    id: 'google/veo-3-fast',
    version: '368d4063e21ecf73746b8e6d27989837d97ba07b5eca43a4e5488c852e10c2ec',
    schema: replicateVeo,
    seconds: (i) => Number(i.duration),
    aspect: (i) => String(i.aspect_ratio),
    imageField: 'image',
  },
  'kwaivgi/kling-v2.5-turbo-pro': {
    id: 'kwaivgi/kling-v2.5-turbo-pro',
    version: standInVersion('kwaivgi/kling-v2.5-turbo-pro'),
    schema: {
      prompt: { type: 'string', required: true },
      negative_prompt: { type: 'string', default: '' },
      aspect_ratio: { type: 'string', enum: ['16:9', '9:16', '1:1'], default: '16:9' },
      start_image: { type: 'string' },
      image: { type: 'string' },
      duration: { type: 'integer', enum: [5, 10], default: 5 },
    },
    seconds: (i) => Number(i.duration),
    aspect: (i, image) => (i.start_image ? aspectOfImage(image) : String(i.aspect_ratio)),
    imageField: 'start_image',
  },
  'kwaivgi/kling-v3-video': {
    id: 'kwaivgi/kling-v3-video',
    version: '4a8ba2743bd9dc2b487e0c4319988aacd658d33c2d064b8a420f4ee1732c30bd',
    schema: {
      // `prompt` or `multi_prompt`.
      prompt: { type: 'string' },
      negative_prompt: { type: 'string' },
      start_image: { type: 'string' },
      end_image: { type: 'string' },
      mode: { type: 'string', enum: ['standard', 'pro'], default: 'pro' },
      aspect_ratio: { type: 'string', enum: ['16:9', '9:16', '1:1'], default: '16:9' },
      duration: { type: 'integer', default: 5, min: 3, max: 15 },
      generate_audio: { type: 'boolean', default: false },
      multi_prompt: { type: 'string' },
    },
    seconds: (i) => Number(i.duration),
    aspect: (i, image) => (i.start_image ? aspectOfImage(image) : String(i.aspect_ratio)),
    imageField: 'start_image',
  },
  'minimax/hailuo-2.3': {
    id: 'minimax/hailuo-2.3',
    version: '23a02633b5a44780345a59d4d43f8bd510efa239c56f08f29639ff24fa6615e1',
    schema: {
      prompt: { type: 'string', required: true },
      duration: { type: 'integer', enum: [6, 10], default: 6 },
      resolution: { type: 'string', enum: ['768p', '1080p'], default: '768p' },
      prompt_optimizer: { type: 'boolean', default: true },
      first_frame_image: { type: 'string' },
    },
    seconds: (i) => Number(i.duration),
    aspect: (_i, image) => aspectOfImage(image),
    imageField: 'first_frame_image',
  },
  'bytedance/seedance-1-lite': {
    id: 'bytedance/seedance-1-lite',
    version: standInVersion('bytedance/seedance-1-lite'),
    schema: {
      prompt: { type: 'string', required: true },
      duration: { type: 'integer', enum: [5, 10], default: 5 },
      resolution: { type: 'string', enum: ['480p', '720p', '1080p'], default: '720p' },
      aspect_ratio: { type: 'string', enum: ['16:9', '9:16', '4:3', '3:4', '1:1', '21:9'], default: '16:9' },
      camera_fixed: { type: 'boolean', default: false },
      seed: { type: 'integer' },
    },
    seconds: (i) => Number(i.duration),
    aspect: (i) => String(i.aspect_ratio),
  },
  'google/veo-3.1': {
    id: 'google/veo-3.1',
    version: 'ed5b1767b711dd15d954b162af1e890d27882680f463a85e94f02d604012b972',
    schema: {
      ...replicateVeo,
      last_frame: { type: 'string' },
      reference_images: { type: 'array', default: [] },
    },
    seconds: (i) => Number(i.duration),
    aspect: (i) => String(i.aspect_ratio),
    imageField: 'image',
  },
};
