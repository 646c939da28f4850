// The AI SDK provider packages the `ai-sdk` kind drives, each loaded on first use (a dynamic
// import), so an app that configures none of them never evaluates them (the app's load time:
// bench/app-load.ts). Each gets the instance's key, base URL and our fetch; none is given a
// retrying fetch, and we never call the SDK's generateVideo, where its retries live: one
// create is exactly one doStart (docs/providers/ai-sdk.md).
import type { Experimental_VideoModelV4 as VideoModelV4 } from '@ai-sdk/provider';
import type { AiSdkPackage, AiSdkSettings } from '../../config.js';
import { falCancel, replicateCancel, type CancelCall } from './cancel.js';

export type { VideoModelV4 };

interface Options {
  apiKey: string;
  baseURL?: string;
  fetch: typeof fetch;
}

const loaders: Record<AiSdkPackage, (options: Options) => Promise<(modelId: string) => VideoModelV4>> = {
  '@ai-sdk/google': async (options) => {
    const provider = (await import('@ai-sdk/google')).createGoogleGenerativeAI(options);
    return (id) => provider.videoModel(id);
  },
  '@ai-sdk/xai': async (options) => {
    const provider = (await import('@ai-sdk/xai')).createXai(options);
    return (id) => provider.videoModel(id);
  },
  '@ai-sdk/gateway': async (options) => {
    const provider = (await import('@ai-sdk/gateway')).createGatewayProvider(options);
    return (id) => provider.videoModel(id);
  },
  '@ai-sdk/fal': async (options) => {
    const provider = (await import('@ai-sdk/fal')).createFal(options);
    // Built on an older @ai-sdk/provider 4.0.x: the same v4 spec, other copies of its types.
    return (id) => provider.videoModel(id) as unknown as VideoModelV4;
  },
  '@ai-sdk/replicate': async ({ apiKey, ...options }) => {
    const provider = (await import('@ai-sdk/replicate')).createReplicate({ apiToken: apiKey, ...options });
    return (id) => provider.videoModel(id) as unknown as VideoModelV4;
  },
};

/** The key each package reads its provider options under (`providerOptions[key]`). */
export const OPTIONS_KEY: Record<AiSdkPackage, string> = {
  '@ai-sdk/google': 'google',
  '@ai-sdk/xai': 'xai',
  '@ai-sdk/gateway': 'gateway',
  '@ai-sdk/fal': 'fal',
  '@ai-sdk/replicate': 'replicate',
};

/** A vendor's documented cancel for the jobs a package starts: the call for a stored operation
 * (cancel.ts, pure). */
export type VendorCancel = (operation: unknown, baseUrl: string | undefined) => CancelCall;

/** Per package, its vendor's cancel, or undefined where the vendor documents none (the request
 * still ends cancelled with no blob; the job runs to its end upstream). docs/providers/ai-sdk.md#cancel */
export const VENDOR_CANCEL: Record<AiSdkPackage, VendorCancel | undefined> = {
  // The Gemini API has get and list for models.operations, cancel only for batches (docs/providers/gemini.md).
  '@ai-sdk/google': undefined,
  // xAI's video API pages show create and GET /v1/videos/{request_id}; no cancel found.
  '@ai-sdk/xai': undefined,
  // The gateway's operation is its own opaque JSON and it documents no cancel.
  '@ai-sdk/gateway': undefined,
  '@ai-sdk/fal': (operation) => falCancel(operation),
  '@ai-sdk/replicate': replicateCancel,
};

/** The instance's video models by id, its package loaded once, on the first call. */
export function videoModels(
  settings: AiSdkSettings,
  fetchImpl: typeof fetch,
): (modelId: string) => Promise<VideoModelV4> {
  let factory: Promise<(modelId: string) => VideoModelV4> | undefined;
  const models = new Map<string, VideoModelV4>();
  return async (modelId) => {
    factory ??= loaders[settings.package]({
      apiKey: settings.apiKey,
      ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
      fetch: fetchImpl,
    }).catch((error: unknown) => {
      factory = undefined;
      throw error;
    });
    const make = await factory;
    if (!models.has(modelId)) models.set(modelId, make(modelId));
    return models.get(modelId)!;
  };
}
