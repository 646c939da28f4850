// What the OpenAI videos API's models accept (docs/providers/openai-videos.md#models:
// seconds "4" | "8" | "12"; sizes 720x1280 and 1280x720, the pro model also 1024x1792 and
// 1792x1024), as capability data by model id. One video per job. An image goes as the multipart
// file `input_reference` (PNG, JPEG or WebP), and must be exactly the video's size
// (docs/providers/openai-videos.md; the create call's reference in openai/openai-node).
import type { ImageInput, ModelCapabilities } from '../capabilities.js';

/** Sora 2's start image: optional, the first frame, the request's size exactly. */
export const SORA2_IMAGE: ImageInput = {
  use: 'optional',
  roles: ['first-frame'],
  field: 'input_reference',
  sizeRule: 'match-size',
};

const BASE: ModelCapabilities = {
  seconds: [4, 8, 12],
  defaultSeconds: 4,
  sizes: ['720x1280', '1280x720'],
  defaultSize: '720x1280',
  maxVariants: 1,
  image: SORA2_IMAGE,
  audio: true,
  options: false,
};

export const VIDEOS_API_MODELS = {
  'sora-2': BASE,
  'sora-2-pro': { ...BASE, sizes: ['720x1280', '1280x720', '1024x1792', '1792x1024'] },
} as const satisfies Record<string, ModelCapabilities>;
