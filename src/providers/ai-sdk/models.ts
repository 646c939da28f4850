// What each AI SDK package's video models accept, as capability data by package and model id
// (docs/providers/ai-sdk.md#models gives every row's source and the date it was read). The
// request's seconds become the SDK's `duration`; a `W:H` size its `aspectRatio`, a `WxH` size
// its `resolution`; variants `n`; `options` the package's providerOptions. An instance's MODELS
// setting adds to or replaces a table (src/model-settings.ts).
import type { ImageInput, ModelCapabilities } from '../capabilities.js';
import type { AiSdkPackage } from '../../config.js';

/** Inputs the request's own fields set, per package (options may not name them). */
const RESERVED = ['prompt', 'duration', 'aspectRatio', 'aspect_ratio', 'resolution', 'n'];

/** Veo on the Gemini API (docs/providers/gemini.md#models-and-parameters, read 2026-12-07):
 * 4, 6 or 8 s (Veo 2: 5, 6, 8), 16:9 or 9:16, up to 4 samples per request. */
const veo = (seconds: number[], audio: boolean, image?: ImageInput): ModelCapabilities => ({
  ...(image ? { image } : {}),
  seconds,
  defaultSeconds: 8,
  sizes: ['16:9', '9:16'],
  defaultSize: '16:9',
  maxVariants: 4,
  audio,
  options: true,
  reservedOptions: [...RESERVED, 'durationSeconds', 'sampleCount'],
});

/** One clip of the listed lengths at the listed ratios (the vendors' pages, read 2026-12-07). */
const clip = (
  seconds: number[],
  sizes: string[],
  audio: boolean,
  defaultSeconds = seconds[0],
): ModelCapabilities => ({
  seconds,
  defaultSeconds,
  sizes,
  defaultSize: sizes[0],
  maxVariants: 1,
  audio,
  options: true,
  reservedOptions: RESERVED,
});

const WIDE = ['16:9', '9:16', '1:1'];

/** Veo on the Gemini API takes a start image as the call's `image`, which @ai-sdk/google 4.0.129
 * sends only as bytes (GoogleVideoModel.buildRequest: a URL other than gs:// is dropped with a
 * warning), so the adapter reads the image's bytes and hands them over (src/providers/ai-sdk). */
const VEO_IMAGE: ImageInput = { use: 'optional', roles: ['first-frame'], field: 'image' };

export const AI_SDK_MODELS: Record<AiSdkPackage, Readonly<Record<string, ModelCapabilities>>> = {
  // The ids Google's Gemini API docs name (docs/providers/gemini.md#models-and-parameters).
  // veo-3.1-lite-generate-preview is only in @ai-sdk/google's catalog: local.settings.sample.json
  // adds it through the instance's MODELS setting.
  '@ai-sdk/google': {
    'veo-3.1-generate-preview': veo([4, 6, 8], true, VEO_IMAGE),
    'veo-3.1-fast-generate-preview': veo([4, 6, 8], true, VEO_IMAGE),
    'veo-3.0-generate-001': veo([4, 6, 8], true, VEO_IMAGE),
    'veo-3.0-fast-generate-001': veo([4, 6, 8], true, VEO_IMAGE),
    'veo-2.0-generate-001': veo([5, 6, 8], false, VEO_IMAGE),
  },
  // @ai-sdk/xai 5.0.43's XaiVideoModelId; xAI's video docs: 1-15 s, these ratios (read 2026-12-07).
  '@ai-sdk/xai': {
    'grok-imagine-video': clip(
      Array.from({ length: 15 }, (_, i) => i + 1),
      ['16:9', '9:16', '1:1', '4:3', '3:4', '3:2', '2:3'],
      true,
      6,
    ),
    'grok-imagine-video-1.5': clip(
      Array.from({ length: 15 }, (_, i) => i + 1),
      ['16:9', '9:16', '1:1', '4:3', '3:4', '3:2', '2:3'],
      true,
      6,
    ),
  },
  // @ai-sdk/gateway 4.0.158's GatewayVideoModelId (the ids); lengths and ratios from each vendor's
  // own page for the model (Google Veo 3.1, Kling, ByteDance Seedance, MiniMax Hailuo, Alibaba
  // Wan), read 2026-12-07. Other gateway models: add them with the instance's MODELS setting.
  '@ai-sdk/gateway': {
    'google/veo-3.1-generate-001': veo([4, 6, 8], true),
    'google/veo-3.1-fast-generate-001': veo([4, 6, 8], true),
    'klingai/kling-v2.6-t2v': clip([5, 10], WIDE, true),
    'klingai/kling-v3.0-t2v': clip([5, 10], WIDE, true),
    'bytedance/seedance-v1.0-pro': clip([5, 10], ['16:9', '9:16', '1:1', '4:3', '3:4', '21:9'], false),
    'minimax/minimax-h3': clip([6, 10], ['16:9'], false),
    'alibaba/wan-v2.6-t2v': clip([5, 10, 15], WIDE, true),
    'spacexai/grok-imagine-video': clip([6, 10], ['16:9', '9:16', '1:1'], true),
  },
  // @ai-sdk/fal sends `duration` as "<n>s" (3.0.41): the Veo rows, whose fal inputs take that form.
  '@ai-sdk/fal': {
    'fal-ai/veo3': clip([4, 6, 8], ['16:9', '9:16'], true, 8),
    'fal-ai/veo3.1': clip([4, 6, 8], ['16:9', '9:16'], true, 8),
    'fal-ai/veo3.1/fast': clip([4, 6, 8], ['16:9', '9:16'], true, 8),
  },
  // @ai-sdk/replicate sends `duration` (a number) and `aspect_ratio` (3.0.46).
  '@ai-sdk/replicate': {
    'kwaivgi/kling-v2.0': clip([5, 10], WIDE, false),
    'kwaivgi/kling-v2.1-master': clip([5, 10], WIDE, false),
    'google/veo-3.1': clip([4, 6, 8], ['16:9', '9:16'], true, 8),
    'minimax/hailuo-02': clip([6, 10], ['16:9'], false, 6),
    'wan-video/wan-2.5-t2v': clip([5, 10], ['16:9', '9:16'], true),
    'bytedance/seedance-1-pro': clip([5, 10], ['16:9', '9:16', '1:1', '4:3', '3:4', '21:9'], false),
  },
};
