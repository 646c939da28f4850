// The video model ids the AI Gateway dialect serves: GatewayVideoModelId of @ai-sdk/gateway
// 4.0.158 (its model catalog), and the inputs the emulator takes for every one of them
// (docs/providers/ai-gateway.md#models: the gateway narrows them per model, which the
// sources read do not say, so these bounds are the emulator's own).

export const GATEWAY_VIDEO_MODELS: readonly string[] = [
  'alibaba/wan-v2.5-t2v-preview',
  'alibaba/wan-v2.6-i2v',
  'alibaba/wan-v2.6-i2v-flash',
  'alibaba/wan-v2.6-r2v',
  'alibaba/wan-v2.6-r2v-flash',
  'alibaba/wan-v2.6-t2v',
  'alibaba/wan-v2.7-r2v',
  'alibaba/wan-v2.7-t2v',
  'alibaba/wan-v3.0-video',
  'alibaba/wan-v3.0-video-prime',
  'bfl/flux-3-video',
  'bytedance/seedance-2.0',
  'bytedance/seedance-2.0-fast',
  'bytedance/seedance-2.0-mini',
  'bytedance/seedance-2.5',
  'bytedance/seedance-2.5-flash',
  'bytedance/seedance-v1.0-pro',
  'bytedance/seedance-v1.0-pro-fast',
  'google/veo-3.1-fast-generate-001',
  'google/veo-3.1-generate-001',
  'google/veo-3.1-lite-generate-001',
  'heygen/heygen-video-1',
  'klingai/kling-v2.5-turbo-i2v',
  'klingai/kling-v2.5-turbo-t2v',
  'klingai/kling-v2.6-i2v',
  'klingai/kling-v2.6-motion-control',
  'klingai/kling-v2.6-t2v',
  'klingai/kling-v3.0-i2v',
  'klingai/kling-v3.0-motion-control',
  'klingai/kling-v3.0-t2v',
  'minimax/minimax-h3',
  'minimax/minimax-h3-max',
  'spacexai/grok-imagine-video',
  'spacexai/grok-imagine-video-1.5',
  'spacexai/grok-imagine-video-1.5-lite',
  'topaz/proteus',
  'topaz/starlight-precise-2.6',
];

/** The emulator's bounds for every model (**choice**): 1-15 s, these ratios, up to 4 videos a call. */
export const MAX_SECONDS = 15;
export const DEFAULT_SECONDS = 5;
export const ASPECT_RATIOS = ['16:9', '9:16', '1:1', '4:3', '3:4', '3:2', '2:3', '21:9'] as const;
export const MAX_VIDEOS = 4;
