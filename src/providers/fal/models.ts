// fal text-to-video models (docs/providers/fal.md#video-models), as capability data plus how each
// names its inputs on the wire. Durations are strings on fal, and their format differs per model.
import type { ImageInput, VendorLimits } from '../capabilities.js';
import type { ModelInfo } from '../provider.js';

export interface FalModel extends ModelInfo {
  /** The model's duration value for a number of seconds. */
  duration(seconds: number): string;
  /** false: the model has no `aspect_ratio` input (its video follows the image; size "auto"). */
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

/** Kling text-to-video on fal: duration "5" | "10", three ratios, text only (its image-to-video
 * siblings take the start image). */
const klingText = (id: string): FalModel => ({
  id,
  ...FAL_COMMON,
  seconds: [5, 10],
  defaultSeconds: 5,
  sizes: ['16:9', '9:16', '1:1'],
  defaultSize: '16:9',
  audio: false,
  duration: (seconds) => String(seconds),
});

export const FAL_MODELS: readonly FalModel[] = [
  klingText('fal-ai/kling-video/v2/master/text-to-video'),
  // The same input type as v2 master (docs/providers/fal.md#video-models; @fal-ai/client 1.10.1).
  klingText('fal-ai/kling-video/v2.1/master/text-to-video'),
  // fal.ai/models/fal-ai/kling-video/v2.5-turbo/pro/text-to-video/llms.txt (read 2026-12-07):
  // duration "5" | "10" (default "5"), aspect_ratio default "16:9"; the other ratios are those of
  // Kling 2.5 Turbo elsewhere (AI Gateway's model page): 9:16, 1:1 (unconfirmed on fal).
  klingText('fal-ai/kling-video/v2.5-turbo/pro/text-to-video'),
  {
    id: 'fal-ai/veo3',
    ...FAL_COMMON,
    seconds: [4, 6, 8],
    defaultSeconds: 8,
    sizes: ['16:9', '9:16'],
    defaultSize: '16:9',
    audio: true,
    // docs/providers/fal.md#video-models: $0.20 a second, $0.40 with audio (generate_audio, on by default).
    price: {
      usdPerSecond: 0.2,
      withAudio: { usdPerSecond: 0.4, option: 'generate_audio', default: true },
      source: 'https://fal.ai/models/fal-ai/veo3/llms.txt (docs/providers/fal.md)',
      asOf: '2026-12-07',
    },
    duration: (seconds) => `${seconds}s`,
  },
  {
    // Named on fal's text-to-video catalogue (fal.ai/explore/text-to-video-apis, read 2026-12-07);
    // inputs as fal-ai/veo3's (unconfirmed for 3.1).
    id: 'fal-ai/veo3.1',
    ...FAL_COMMON,
    seconds: [4, 6, 8],
    defaultSeconds: 8,
    sizes: ['16:9', '9:16'],
    defaultSize: '16:9',
    audio: true,
    duration: (seconds) => `${seconds}s`,
  },
  {
    // fal.ai/models/fal-ai/minimax/hailuo-02/pro/text-to-video (read 2026-12-07): 1080p, priced
    // per second, "a single 6 second video"; 6 s only here (10 s is the standard tier's).
    id: 'fal-ai/minimax/hailuo-02/pro/text-to-video',
    ...FAL_COMMON,
    seconds: [6],
    defaultSeconds: 6,
    sizes: ['16:9'],
    defaultSize: '16:9',
    audio: false,
    duration: (seconds) => String(seconds),
  },
  // Image-to-video (issue 23); each row's page read 2026-12-07 (/work/brief/i23-models.md "Changes").
  {
    // fal.ai/models/fal-ai/kling-video/v2.1/standard/image-to-video/llms.txt: image_url required,
    // duration "5" | "10", no aspect_ratio; $0.28 for 5 s and $0.056 each further second.
    id: 'fal-ai/kling-video/v2.1/standard/image-to-video',
    ...FAL_COMMON,
    ...FOLLOWS_IMAGE,
    image: FAL_START_IMAGE,
    seconds: [5, 10],
    defaultSeconds: 5,
    audio: false,
    price: {
      usdPerSecond: 0.056,
      source: 'https://fal.ai/models/fal-ai/kling-video/v2.1/standard/image-to-video/llms.txt',
      asOf: '2026-12-07',
    },
    duration: (seconds) => String(seconds),
  },
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
    // fal.ai/models/fal-ai/bytedance/seedance/v1/pro/image-to-video/llms.txt: image_url required,
    // duration "2"-"12" (default "5"), aspect_ratio (default "auto"); priced by video tokens, so no
    // per-second price here.
    id: 'fal-ai/bytedance/seedance/v1/pro/image-to-video',
    ...FAL_COMMON,
    image: FAL_START_IMAGE,
    seconds: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    defaultSeconds: 5,
    sizes: ['auto', '21:9', '16:9', '4:3', '1:1', '3:4', '9:16'],
    defaultSize: 'auto',
    audio: false,
    duration: (seconds) => String(seconds),
  },
];
