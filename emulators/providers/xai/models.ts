// The Grok Imagine video models the xAI dialect serves and what each accepts
// (docs/providers/xai.md#models-and-parameters): xAI's OpenAPI document lists the ratios,
// resolutions and the 1-15 s range; @ai-sdk/xai 5.0.43 names the model ids and says which take
// 1080p, a pinned last frame and keyframes.

export interface GrokVideoModel {
  id: string;
  /** Accepted `resolution` values. */
  resolutions: readonly string[];
  /** `last_frame` and `keyframes` (first-last-frame interpolation and mid-video anchors). */
  pinnedFrames: boolean;
}

export const ASPECT_RATIOS = ['1:1', '16:9', '9:16', '4:3', '3:4', '3:2', '2:3'] as const;
export const MIN_SECONDS = 1;
export const MAX_SECONDS = 15;
/** xAI's OpenAPI document: "Default: 8". */
export const DEFAULT_SECONDS = 8;
/** Unconfirmed: xAI's pages read give no default; a third-party copy of the API says 720p for text-to-video. */
export const DEFAULT_RESOLUTION = '720p';
export const DEFAULT_MODEL = 'grok-imagine-video';
export const MAX_REFERENCE_IMAGES = 7;
export const MAX_KEYFRAMES = 4;

const model = (id: string, spec: Omit<GrokVideoModel, 'id'>): [string, GrokVideoModel] => [
  id,
  { id, ...spec },
];

/** The ids of the request's `model` field. */
export const GROK_VIDEO_MODELS: Record<string, GrokVideoModel> = Object.fromEntries([
  model('grok-imagine-video', { resolutions: ['480p', '720p'], pinnedFrames: false }),
  model('grok-imagine-video-1.5', { resolutions: ['480p', '720p', '1080p'], pinnedFrames: true }),
]);
