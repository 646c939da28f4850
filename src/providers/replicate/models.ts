// Replicate video models (docs/providers/replicate.md#video-models), as capability data.
// Durations are integers on Replicate; every model here returns one URL as `output`.
import type { VendorLimits } from '../capabilities.js';
import type { ModelInfo } from '../provider.js';

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

/** Each `id` is `owner/name` (an official model: created through /models/{owner}/{name}/predictions). */
export const REPLICATE_MODELS: readonly ModelInfo[] = [
  {
    id: 'kwaivgi/kling-v2.0',
    ...REPLICATE_COMMON,
    seconds: [5, 10],
    defaultSeconds: 5,
    sizes: ['16:9', '9:16', '1:1'],
    defaultSize: '16:9',
    // start_image, through options.
    imageInput: true,
    audio: false,
  },
  {
    id: 'google/veo-3.1',
    ...REPLICATE_COMMON,
    seconds: [4, 6, 8],
    defaultSeconds: 8,
    sizes: ['16:9', '9:16'],
    defaultSize: '16:9',
    // image / last_frame / reference_images and generate_audio, through options.
    imageInput: true,
    audio: true,
  },
];
