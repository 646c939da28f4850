// Replicate video models (docs/providers/replicate.md#video-models), as capability data.
// Durations are integers on Replicate; every model here returns one URL as `output`.
import type { ImageInput, VendorLimits } from '../capabilities.js';
import type { ModelInfo } from '../provider.js';

/** A Replicate model's row: its capabilities, and which of the usual inputs it lacks. */
export interface ReplicateModel extends ModelInfo {
  /** false: no `aspect_ratio` input (the video takes the image's shape; size "auto"). */
  aspectRatio?: false;
  /** false: no `duration` input (the length is fixed by frames). */
  duration?: false;
}

/** An image input named `field`, optional or required, as the video's first frame. */
const startImage = (field: string, use: ImageInput['use']): ImageInput => ({
  use,
  roles: ['first-frame'],
  field,
});

/** 600 creates a minute per account, short bursts above allowed; accounts low on credit get
 * less (6 a minute, a burst of 1, under $5: set REPLICATE_CREATES_PER_MINUTE and
 * REPLICATE_CREATE_BURST) (docs/providers/replicate.md#rate-limits-and-errors). */
export const REPLICATE_LIMITS: VendorLimits = {
  scope: 'account',
  limits: { createsPerMinute: 600 },
  source: 'https://replicate.com/docs/topics/predictions/rate-limits (docs/providers/replicate.md)',
  asOf: '2026-12-07',
};

// A prediction echoes its input, prompt included.
const REPLICATE_COMMON = {
  limits: REPLICATE_LIMITS,
  maxVariants: 1,
  options: true,
  reservedOptions: ['prompt', 'duration', 'aspect_ratio'],
  promptEcho: true,
} as const;

/** Veo 3 / 3.1 on Replicate: 4, 6 or 8 s, 16:9 or 9:16, sound, `image` an optional first frame
 * (last_frame / reference_images and generate_audio through options). */
const veo = (id: string): ReplicateModel => ({
  id,
  ...REPLICATE_COMMON,
  seconds: [4, 6, 8],
  defaultSeconds: 8,
  sizes: ['16:9', '9:16'],
  defaultSize: '16:9',
  image: startImage('image', 'optional'),
  audio: true,
});

/** Kling 2.x on Replicate: 5 or 10 s, three ratios, `start_image` an optional first frame (the
 * aspect ratio is then ignored). */
const kling = (id: string): ReplicateModel => ({
  id,
  ...REPLICATE_COMMON,
  seconds: [5, 10],
  defaultSeconds: 5,
  sizes: ['16:9', '9:16', '1:1'],
  defaultSize: '16:9',
  image: startImage('start_image', 'optional'),
  audio: false,
});

/** MiniMax Hailuo on Replicate: 6 or 10 s (10 only at 768p), `first_frame_image` optional (the
 * video takes its aspect ratio); no aspect_ratio input (size "auto"). */
const hailuo = (id: string): ReplicateModel => ({
  id,
  ...REPLICATE_COMMON,
  image: startImage('first_frame_image', 'optional'),
  seconds: [6, 10],
  defaultSeconds: 6,
  sizes: ['auto'],
  defaultSize: 'auto',
  aspectRatio: false,
  audio: false,
});

/** Each `id` is `owner/name` (an official model: created through /models/{owner}/{name}/predictions). */
export const REPLICATE_MODELS: readonly ReplicateModel[] = [
  // start_image (docs/providers/replicate.md#video-models).
  kling('kwaivgi/kling-v2.0'),
  veo('google/veo-3.1'),
  // Text-to-video (an image optional where the model takes one), read 2026-12-08 (issue 26).
  // replicate.com/google/veo-3-fast/versions/368d4063…/api: prompt, aspect_ratio (default 16:9),
  // duration (default 8), image (optional first frame), negative_prompt, resolution (default
  // 1080p), generate_audio (default true), seed. The page lists no choices for duration and
  // aspect_ratio: 4 | 6 | 8 and 16:9 | 9:16 are google/veo-3.1's (unconfirmed for 3 fast).
  veo('google/veo-3-fast'),
  // Only a mirror of Replicate's schema was found (api.core.today, kwaivgi/kling-v2.5-turbo-pro):
  // duration 5 | 10, aspect_ratio 16:9 | 9:16 | 1:1 (ignored with a start image), start_image
  // optional, negative_prompt (unconfirmed on replicate.com).
  kling('kwaivgi/kling-v2.5-turbo-pro'),
  {
    // replicate.com/kwaivgi/kling-v3-video/versions/4a8ba274…/api: duration integer 3-15 (default
    // 5), start_image optional (the aspect ratio is then ignored), end_image, mode standard (720p) |
    // pro (1080p, default), generate_audio (default false), multi_prompt. The page lists no
    // aspect_ratio choices beyond the default 16:9: 9:16 and 1:1 are Kling 3's on fal (unconfirmed).
    id: 'kwaivgi/kling-v3-video',
    ...REPLICATE_COMMON,
    seconds: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    defaultSeconds: 5,
    sizes: ['16:9', '9:16', '1:1'],
    defaultSize: '16:9',
    image: startImage('start_image', 'optional'),
    audio: true,
  },
  // replicate.com/minimax/hailuo-2.3/versions/23a02633…/api: duration 6 | 10 (10 only at 768p),
  // resolution 768p (default) | 1080p, prompt_optimizer, first_frame_image optional; no aspect_ratio.
  hailuo('minimax/hailuo-2.3'),
  {
    // Third-party copies only (runbase.net bytedance/seedance-1-lite): duration 5 | 10, aspect_ratio
    // 16:9, 9:16, 4:3, 3:4, 1:1, 21:9, resolution 480p | 720p | 1080p. Text only here: the sources
    // do not agree on the image input's name (unconfirmed on replicate.com).
    id: 'bytedance/seedance-1-lite',
    ...REPLICATE_COMMON,
    seconds: [5, 10],
    defaultSeconds: 5,
    sizes: ['16:9', '9:16', '4:3', '3:4', '1:1', '21:9'],
    defaultSize: '16:9',
    audio: false,
  },
  // Image-to-video (issue 23), read 2026-12-07 (/work/brief/i23-models.md "Changes").
  {
    // Only a mirror of Replicate's schema was found (api.core.today, kwaivgi/kling-v2.1): start_image
    // required, duration 5 | 10, mode standard | pro; no aspect_ratio (unconfirmed on replicate.com).
    id: 'kwaivgi/kling-v2.1',
    ...REPLICATE_COMMON,
    image: startImage('start_image', 'required'),
    seconds: [5, 10],
    defaultSeconds: 5,
    sizes: ['auto'],
    defaultSize: 'auto',
    aspectRatio: false,
    audio: false,
  },
  // replicate.com/minimax/hailuo-02/versions/c43b610e…/api: first_frame_image optional, duration
  // 6 | 10 (10 only at 768p), resolution, prompt_optimizer; no aspect_ratio input.
  hailuo('minimax/hailuo-02'),
  {
    // Not found on replicate.com in our sources; a mirror (segmind wan-2.2-i2v-fast) shows `image`,
    // num_frames (81) and frames_per_second (16), about 5 s, aspect_ratio 16:9 | 9:16, and no
    // duration input (unconfirmed).
    id: 'wan-video/wan-2.2-i2v-fast',
    ...REPLICATE_COMMON,
    image: startImage('image', 'required'),
    seconds: [5],
    defaultSeconds: 5,
    sizes: ['16:9', '9:16'],
    defaultSize: '16:9',
    duration: false,
    audio: false,
  },
  {
    // A mirror (docs.skills.video, seedance-1-pro): `image` optional (first frame), duration 2-12,
    // aspect_ratio ignored with an image; 5 | 10 kept here, in every source (unconfirmed).
    id: 'bytedance/seedance-1-pro',
    ...REPLICATE_COMMON,
    image: startImage('image', 'optional'),
    seconds: [5, 10],
    defaultSeconds: 5,
    sizes: ['16:9', '9:16', '1:1', '4:3', '3:4', '21:9'],
    defaultSize: '16:9',
    audio: false,
  },
];
