// What the two Sora families accept (docs/providers/azure-openai-sora.md), as capability data. The
// model ids are the deployment names, which the settings choose.
import type { ModelCapabilities, VendorLimits } from '../capabilities.js';

/** The jobs API: at most 2 jobs running at once (more are refused with 429), 60 requests a
 * minute by default; counted per deployment, as the emulator does
 * (docs/providers/azure-openai-sora.md#sora-1-jobs-api). */
export const SORA_JOBS_LIMITS: VendorLimits = {
  scope: 'model',
  limits: { maxRunningJobs: 2, createsPerMinute: 60 },
  source:
    'https://learn.microsoft.com/azure/ai-foundry/openai/concepts/video-generation (docs/providers/azure-openai-sora.md)',
  asOf: '2026-12-07',
};

/** Sora 2 on Azure: 2 creates a minute per deployment by default
 * (docs/providers/azure-openai-sora.md#sora-2-videos-api). */
export const SORA_VIDEOS_LIMITS: VendorLimits = {
  scope: 'model',
  limits: { createsPerMinute: 2 },
  source:
    'https://learn.microsoft.com/azure/ai-foundry/openai/concepts/video-generation (docs/providers/azure-openai-sora.md)',
  asOf: '2026-12-07',
};

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Sora 1 (jobs API): nine sizes, 1-20 s, up to 4 variants; fewer variants and shorter clips
 * at higher resolutions. */
export const SORA_JOBS_CAPABILITIES: ModelCapabilities = {
  seconds: range(1, 20),
  defaultSeconds: 5,
  sizes: [
    '480x480',
    '480x854',
    '854x480',
    '720x720',
    '720x1280',
    '1280x720',
    '1080x1080',
    '1080x1920',
    '1920x1080',
  ],
  defaultSize: '480x480',
  maxVariants: 4,
  sizeLimits: {
    '720x720': { maxVariants: 2 },
    '720x1280': { maxVariants: 2 },
    '1280x720': { maxVariants: 2 },
    '1080x1080': { maxVariants: 1, maxSeconds: 10 },
    '1080x1920': { maxVariants: 1, maxSeconds: 10 },
    '1920x1080': { maxVariants: 1, maxSeconds: 10 },
  },
  // A start image as an inpainting item at frame 0 (the multipart create's `files`), through the
  // neutral body (the quickstart body has no image field).
  image: { use: 'optional', roles: ['first-frame'], field: 'files' },
  audio: false,
  options: false,
  quickstartBody: true,
  limits: SORA_JOBS_LIMITS,
};
