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

export const FAL_MODELS: readonly FalModel[] = [
  {
    id: 'fal-ai/kling-video/v2/master/text-to-video',
    ...FAL_COMMON,
    seconds: [5, 10],
    defaultSeconds: 5,
    sizes: ['16:9', '9:16', '1:1'],
    defaultSize: '16:9',
    // Its image-to-video sibling takes the start image; this one is text only.
    imageInput: false,
    audio: false,
    duration: (seconds) => String(seconds),
  },
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
];
