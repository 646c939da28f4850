// What the OpenAI videos API's models accept (OpenAI's API reference for POST /videos:
// seconds "4" | "8" | "12"; sizes 720x1280 and 1280x720, sora-2-pro also 1024x1792 and
// 1792x1024), as capability data. One video per job.
import type { ModelCapabilities } from '../capabilities.js';

export const SORA_2_CAPABILITIES: ModelCapabilities = {
  seconds: [4, 8, 12],
  defaultSeconds: 4,
  sizes: ['720x1280', '1280x720'],
  defaultSize: '720x1280',
  maxVariants: 1,
  imageInput: false,
  audio: true,
  options: false,
};

export const SORA_2_PRO_CAPABILITIES: ModelCapabilities = {
  ...SORA_2_CAPABILITIES,
  sizes: ['720x1280', '1280x720', '1024x1792', '1792x1024'],
};
