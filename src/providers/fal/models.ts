// fal video models, text- and image-to-video (docs/providers/fal.md#video-models), as capability
// data plus how each names its inputs on the wire. Durations are strings on fal, and their format
// differs per model.
import type { ImageInput, VendorLimits } from '../capabilities.js';
import type { ModelInfo } from '../provider.js';

export interface FalModel extends ModelInfo {
  /** The model's duration value for a number of seconds; false: the model has no `duration` input
   * (one fixed length, or a length set by frames). */
  duration: ((seconds: number) => string) | false;
  /** false: the model has no `aspect_ratio` input (its video follows the image, size "auto", or
   * has one fixed shape). */
  aspectRatio?: false;
}

/** fal's image-to-video endpoints: the start image as `image_url`, required. */
const FAL_START_IMAGE: ImageInput = { use: 'required', roles: ['first-frame'], field: 'image_url' };

/** An image-to-video model whose video takes the image's shape: no aspect_ratio input, size "auto". */
const FOLLOWS_IMAGE = { sizes: ['auto'], defaultSize: 'auto', aspectRatio: false } as const;

/** Requests IN_PROGRESS at once per key: 2 for new accounts, up to 40 with credit; more wait in
 * fal's queue, not refused (docs/providers/fal.md#retries-concurrency-and-rate-limits). */
export const FAL_LIMITS: VendorLimits = {
  scope: 'account',
  limits: { maxRunningJobs: 2 },
  source: 'https://docs.fal.ai/documentation/model-apis/concurrency-limits (docs/providers/fal.md)',
  asOf: '2026-12-07',
};

// fal lists no jobs, so nothing is ever adopted (promptEcho is moot).
const FAL_COMMON = {
  limits: FAL_LIMITS,
  maxVariants: 1,
  options: true,
  reservedOptions: ['prompt', 'duration', 'aspect_ratio'],
  promptEcho: false,
} as const;

/** A silent text-to-video row on fal whose duration is the bare number as a string, 5 s and 16:9
 * by default. */
const falText = (id: string, seconds: readonly number[], sizes: readonly string[]): FalModel => ({
  id,
  ...FAL_COMMON,
  seconds,
  defaultSeconds: 5,
  sizes,
  defaultSize: '16:9',
  audio: false,
  duration: (value) => String(value),
});

/** Kling text-to-video on fal: duration "5" | "10", three ratios, text only (its image-to-video
 * siblings take the start image). */
const klingText = (id: string): FalModel => falText(id, [5, 10], ['16:9', '9:16', '1:1']);

/** Veo 3 / 3.1 text-to-video on fal (every variant takes fal-ai/veo3's input type). */
const veoText = (id: string): FalModel => ({
  id,
  ...FAL_COMMON,
  seconds: [4, 6, 8],
  defaultSeconds: 8,
  sizes: ['16:9', '9:16'],
  defaultSize: '16:9',
  audio: true,
  duration: (seconds) => `${seconds}s`,
});

/** Kling 3 on fal: duration "3" to "15" (default "5"), generate_audio (default true). */
const KLING_3_SECONDS = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/** Kling 2.6 and 3 image-to-video on fal name the start image `start_image_url`. */
const KLING_START_IMAGE: ImageInput = { ...FAL_START_IMAGE, field: 'start_image_url' };

/** Kling 2.1 / 2.5 image-to-video on fal: `image_url` required, duration "5" | "10", no aspect
 * ratio (the video follows the image), silent. */
const klingImage = (id: string): FalModel => ({
  id,
  ...FAL_COMMON,
  ...FOLLOWS_IMAGE,
  image: FAL_START_IMAGE,
  seconds: [5, 10],
  defaultSeconds: 5,
  audio: false,
  duration: (seconds) => String(seconds),
});

/** Kling 2.6 / 3 image-to-video on fal: `start_image_url` required, no aspect ratio (the video
 * follows the image), native audio priced apart (generate_audio, on by default). */
const klingStartImage = (
  id: string,
  seconds: readonly number[],
  usdPerSecond: number,
  withAudioUsdPerSecond: number,
  source: string,
): FalModel => ({
  id,
  ...FAL_COMMON,
  ...FOLLOWS_IMAGE,
  image: KLING_START_IMAGE,
  seconds,
  defaultSeconds: 5,
  audio: true,
  price: {
    usdPerSecond,
    withAudio: { usdPerSecond: withAudioUsdPerSecond, option: 'generate_audio', default: true },
    source,
    asOf: '2026-12-08',
  },
  duration: (value) => String(value),
});

/** MiniMax Hailuo text-to-video on fal: no aspect ratio input (the video is 16:9). The standard
 * tier takes duration "6" | "10"; the pro tier (1080p) makes 6 s and has no duration input. */
const hailuoText = (id: string, tier: 'standard' | 'pro'): FalModel => ({
  id,
  ...FAL_COMMON,
  sizes: ['16:9'],
  defaultSize: '16:9',
  aspectRatio: false,
  audio: false,
  seconds: tier === 'pro' ? [6] : [6, 10],
  defaultSeconds: 6,
  duration: tier === 'pro' ? false : (seconds) => String(seconds),
});

/** Seedance 1 on fal: duration "2" to "12" (default "5"). */
const SEEDANCE_SECONDS = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/** Seedance 1 image-to-video on fal (lite and pro take the same input type): image_url
 * required, aspect_ratio "auto" (default, the image's) or a ratio. */
const seedanceImage = (id: string): FalModel => ({
  id,
  ...FAL_COMMON,
  image: FAL_START_IMAGE,
  seconds: SEEDANCE_SECONDS,
  defaultSeconds: 5,
  sizes: ['auto', '21:9', '16:9', '4:3', '1:1', '3:4', '9:16'],
  defaultSize: 'auto',
  audio: false,
  duration: (seconds) => String(seconds),
});

/** Seedance 1 text-to-video on fal (lite and pro take the same input type). */
const seedanceText = (id: string): FalModel =>
  falText(id, SEEDANCE_SECONDS, ['21:9', '16:9', '4:3', '1:1', '3:4', '9:16', '9:21']);

// Rows marked "1.10.1 types" were read (2026-12-08) from the input types of the pinned
// @fal-ai/client 1.10.1 (src/types/endpoints.d.ts, generated from fal's model schemas); rows
// marked with a fal.ai page were read from that page the same day.
export const FAL_MODELS: readonly FalModel[] = [
  klingText('fal-ai/kling-video/v2/master/text-to-video'),
  // The same input type as v2 master (docs/providers/fal.md#video-models; @fal-ai/client 1.10.1).
  klingText('fal-ai/kling-video/v2.1/master/text-to-video'),
  // fal.ai/models/fal-ai/kling-video/v2.5-turbo/pro/text-to-video/llms.txt (read 2026-12-07):
  // duration "5" | "10" (default "5"), aspect_ratio default "16:9"; 1.10.1 types (2026-12-08):
  // aspect_ratio "16:9" | "9:16" | "1:1", the same input type as Kling 1.5 pro.
  klingText('fal-ai/kling-video/v2.5-turbo/pro/text-to-video'),
  {
    // 1.10.1 types: Kling 2.6 pro adds generate_audio (default true) to the Kling inputs above.
    ...klingText('fal-ai/kling-video/v2.6/pro/text-to-video'),
    audio: true,
  },
  {
    // 1.10.1 types and fal.ai/models/fal-ai/kling-video/v3/standard/text-to-video/llms.txt: duration
    // "3"…"15", aspect_ratio "16:9" | "9:16" | "1:1", generate_audio (default true), multi_prompt;
    // $0.084 a second, $0.126 with audio ($0.154 with voice control, not modelled).
    ...klingText('fal-ai/kling-video/v3/standard/text-to-video'),
    seconds: KLING_3_SECONDS,
    audio: true,
    price: {
      usdPerSecond: 0.084,
      withAudio: { usdPerSecond: 0.126, option: 'generate_audio', default: true },
      source: 'https://fal.ai/models/fal-ai/kling-video/v3/standard/text-to-video/llms.txt',
      asOf: '2026-12-08',
    },
  },
  {
    // 1.10.1 types (the same input type as v3 standard) and fal.ai/docs/model-api-reference/
    // video-generation-api/kling-video-v3-pro; no price for text-to-video on the pages read.
    ...klingText('fal-ai/kling-video/v3/pro/text-to-video'),
    seconds: KLING_3_SECONDS,
    audio: true,
  },
  {
    ...veoText('fal-ai/veo3'),
    // docs/providers/fal.md#video-models: $0.20 a second, $0.40 with audio (generate_audio, on by default).
    price: {
      usdPerSecond: 0.2,
      withAudio: { usdPerSecond: 0.4, option: 'generate_audio', default: true },
      source: 'https://fal.ai/models/fal-ai/veo3/llms.txt (docs/providers/fal.md)',
      asOf: '2026-12-07',
    },
  },
  // 1.10.1 types: Veo 3.1, and the fast tiers of Veo 3 and 3.1, take fal-ai/veo3's input type
  // (duration "4s" | "6s" | "8s", aspect_ratio "16:9" | "9:16", resolution, generate_audio).
  veoText('fal-ai/veo3.1'),
  veoText('fal-ai/veo3/fast'),
  veoText('fal-ai/veo3.1/fast'),
  // 1.10.1 types: the standard tiers take duration "6" | "10" (10 s not at 1080p) and
  // prompt_optimizer, the pro tiers prompt and prompt_optimizer only; no aspect ratio input.
  // fal.ai/models/fal-ai/minimax/hailuo-02/pro/text-to-video (read 2026-12-07): "a single 6 second
  // video" at 1080p. fal.ai/models/fal-ai/minimax/hailuo-2.3/{standard,pro}/text-to-video/llms.txt:
  // $0.28 for 6 s and $0.56 for 10 s (not a rate per second, so no price here); pro $0.49 a video,
  // 6 s as Hailuo 2.3 makes 1080p only at 6 s (replicate.com/minimax/hailuo-2.3 version 23a02633's
  // schema; unconfirmed on fal).
  hailuoText('fal-ai/minimax/hailuo-02/standard/text-to-video', 'standard'),
  hailuoText('fal-ai/minimax/hailuo-02/pro/text-to-video', 'pro'),
  hailuoText('fal-ai/minimax/hailuo-2.3/standard/text-to-video', 'standard'),
  hailuoText('fal-ai/minimax/hailuo-2.3/pro/text-to-video', 'pro'),
  {
    // 1.10.1 types: no duration input; num_frames (17-161, default 81) at frames_per_second
    // (default 16) set the length, so about 5 s by default (other lengths through options);
    // aspect_ratio "16:9" | "9:16" | "1:1", resolution 480p | 580p | 720p.
    id: 'fal-ai/wan/v2.2-a14b/text-to-video',
    ...FAL_COMMON,
    seconds: [5],
    defaultSeconds: 5,
    sizes: ['16:9', '9:16', '1:1'],
    defaultSize: '16:9',
    audio: false,
    duration: false,
  },
  // fal.ai/models/fal-ai/wan-25-preview/text-to-video/api: aspect ratios 16:9, 9:16, 1:1,
  // 480p-1080p. 1.10.1 types give duration "2"…"15" and also 4:3 and 3:4 (the same input type as
  // Wan 2.7); the sibling image-to-video page gives "5" | "10". Only 5 and 10 s and the three
  // ratios every source names are offered here (unconfirmed beyond that). Wan 2.5 and 2.6 take an
  // `audio_url` to score the video; whether they add sound without one the pages read do not say,
  // so `audio` is false for both (unconfirmed).
  falText('fal-ai/wan-25-preview/text-to-video', [5, 10], ['16:9', '9:16', '1:1']),
  // 1.10.1 types and fal.ai/models/wan/v2.6/text-to-video/api: duration "5" | "10" | "15",
  // aspect_ratio 16:9, 9:16, 1:1, 4:3, 3:4, resolution 720p | 1080p (default), multi_shots.
  // The id has no fal-ai/ owner.
  falText('wan/v2.6/text-to-video', [5, 10, 15], ['16:9', '9:16', '1:1', '4:3', '3:4']),
  // 1.10.1 types: Seedance 1 lite and pro take one input type: duration "2"…"12" (default "5"),
  // aspect_ratio 21:9 … 9:21 (default 16:9), resolution 480p | 720p (default) | 1080p, camera_fixed.
  seedanceText('fal-ai/bytedance/seedance/v1/lite/text-to-video'),
  seedanceText('fal-ai/bytedance/seedance/v1/pro/text-to-video'),
  // Image-to-video (issue 23); each row's page read 2026-12-07 (/work/brief/i23-models.md "Changes").
  {
    // fal.ai/models/fal-ai/kling-video/v2.1/standard/image-to-video/llms.txt: image_url required,
    // duration "5" | "10", no aspect_ratio; $0.28 for 5 s and $0.056 each further second.
    ...klingImage('fal-ai/kling-video/v2.1/standard/image-to-video'),
    price: {
      usdPerSecond: 0.056,
      source: 'https://fal.ai/models/fal-ai/kling-video/v2.1/standard/image-to-video/llms.txt',
      asOf: '2026-12-07',
    },
  },
  // 1.10.1 types: image_url required, duration "5" | "10", tail_image_url; no aspect_ratio.
  klingImage('fal-ai/kling-video/v2.5-turbo/pro/image-to-video'),
  // 1.10.1 types and fal.ai/models/fal-ai/kling-video/v2.6/pro/image-to-video/llms.txt:
  // start_image_url required, duration "5" | "10", generate_audio (default true), end_image_url;
  // no aspect_ratio. $0.07 a second, $0.14 with audio ($0.168 with voice control, not modelled).
  klingStartImage(
    'fal-ai/kling-video/v2.6/pro/image-to-video',
    [5, 10],
    0.07,
    0.14,
    'https://fal.ai/models/fal-ai/kling-video/v2.6/pro/image-to-video/llms.txt',
  ),
  // 1.10.1 types and fal.ai/models/fal-ai/kling-video/v3/pro/image-to-video/playground:
  // start_image_url required, duration "3"…"15", generate_audio (default true), elements; the
  // aspect ratio follows the image. $0.112 a second, $0.168 with audio.
  klingStartImage(
    'fal-ai/kling-video/v3/pro/image-to-video',
    KLING_3_SECONDS,
    0.112,
    0.168,
    'https://fal.ai/models/fal-ai/kling-video/v3/pro/image-to-video/playground',
  ),
  {
    // fal.ai/docs/model-api-reference/video-generation-api/veo3.1-image-to-video: image_url required,
    // duration "4s" | "6s" | "8s" (default "8s"), aspect_ratio "auto" (default) | "16:9" | "9:16",
    // generate_audio (default true). No price on the page read.
    id: 'fal-ai/veo3.1/image-to-video',
    ...FAL_COMMON,
    image: FAL_START_IMAGE,
    seconds: [4, 6, 8],
    defaultSeconds: 8,
    sizes: ['auto', '16:9', '9:16'],
    defaultSize: 'auto',
    audio: true,
    duration: (seconds) => `${seconds}s`,
  },
  {
    // fal.ai/models/fal-ai/minimax/hailuo-02/standard/image-to-video/llms.txt: image_url required,
    // duration "6" | "10", prompt_optimizer, no aspect_ratio; $0.045 a second at 768P (its default).
    id: 'fal-ai/minimax/hailuo-02/standard/image-to-video',
    ...FAL_COMMON,
    ...FOLLOWS_IMAGE,
    image: FAL_START_IMAGE,
    seconds: [6, 10],
    defaultSeconds: 6,
    audio: false,
    price: {
      usdPerSecond: 0.045,
      source: 'https://fal.ai/models/fal-ai/minimax/hailuo-02/standard/image-to-video/llms.txt',
      asOf: '2026-12-07',
    },
    duration: (seconds) => String(seconds),
  },
  {
    // 1.10.1 types and fal.ai/models/fal-ai/minimax/hailuo-2.3/standard/image-to-video/llms.txt:
    // image_url required, duration "6" | "10", prompt_optimizer; no aspect_ratio.
    id: 'fal-ai/minimax/hailuo-2.3/standard/image-to-video',
    ...FAL_COMMON,
    ...FOLLOWS_IMAGE,
    image: FAL_START_IMAGE,
    seconds: [6, 10],
    defaultSeconds: 6,
    audio: false,
    duration: (seconds) => String(seconds),
  },
  // fal.ai/models/fal-ai/bytedance/seedance/v1/pro/image-to-video/llms.txt: image_url required,
  // duration "2"-"12" (default "5"), aspect_ratio (default "auto"); priced by video tokens, so no
  // per-second price here. 1.10.1 types: lite takes the same input type.
  seedanceImage('fal-ai/bytedance/seedance/v1/pro/image-to-video'),
  seedanceImage('fal-ai/bytedance/seedance/v1/lite/image-to-video'),
];
