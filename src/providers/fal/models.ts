// fal text-to-video models (docs/providers/fal.md#video-models), as capability data plus how each
// names its inputs on the wire. Durations are strings on fal, and their format differs per model.
import type { VendorLimits } from '../capabilities.js';
import type { ModelInfo } from '../provider.js';

export interface FalModel extends ModelInfo {
  /** The model's duration value for a number of seconds. */
  duration(seconds: number): string;
}

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
  imageInput: false,
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
    imageInput: false,
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
    imageInput: false,
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
    imageInput: false,
    audio: false,
    duration: (seconds) => String(seconds),
  },
];
