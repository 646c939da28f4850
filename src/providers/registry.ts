// The configured provider instances, by name. The one place (with the app context) that
// knows every adapter folder; everything else asks the registry. Each instance is built by its
// kind's adapter from its own settings, so two instances of one kind never share anything.
import { callbackUrlProblem } from '../callbacks/callback-url.js';
import type { AppConfig, ProviderInstance } from '../config.js';
import type { ModelsSetting } from '../model-settings.js';
import { createAiSdkProvider } from './ai-sdk/provider.js';
import { createAzureOpenAiProvider } from './azure-openai/provider.js';
import { createFalProvider } from './fal/provider.js';
import type { HttpOptions } from './http/transport.js';
import { createOpenAiVideosProvider } from './openai-videos/provider.js';
import type { JobHandles, ModelInfo, VideoProvider } from './provider.js';
import { createReplicateProvider } from './replicate/provider.js';

export interface ProviderRegistry {
  /** Every configured provider, in default order. */
  list(): readonly VideoProvider[];
  /** The provider of that name; undefined when none is configured by it. */
  find(name: string): VideoProvider | undefined;
  /** Like find, for names that come from our own history: an unknown one is a bug or a removed setting. */
  get(name: string): VideoProvider;
  readonly defaultName: string;
}

export interface RegistryOptions {
  fetch?: typeof fetch;
  /** Where adapters keep job handles (the app: the job claims); default: this process's memory. */
  handles?: JobHandles;
  /** Replaces a provider's adapter (tests that drive one through a stand-in). */
  overrides?: Readonly<Record<string, VideoProvider>>;
}

/** Handles kept in memory: for registries built without storage (tests, tools). */
function memoryHandles(): JobHandles {
  const saved = new Map<string, string>();
  return {
    save: async (provider, jobId, handle) => void saved.set(`${provider}/${jobId}`, handle),
    load: async (provider, jobId) => saved.get(`${provider}/${jobId}`),
  };
}

function buildAdapter(
  instance: ProviderInstance,
  http: HttpOptions & { handles: JobHandles },
): VideoProvider {
  switch (instance.kind) {
    case 'azure-openai':
      return createAzureOpenAiProvider(instance.name, instance.settings, http);
    case 'openai-videos':
      return createOpenAiVideosProvider(instance.name, instance.settings, http);
    case 'fal':
      return createFalProvider(instance.name, instance.settings, http);
    case 'replicate':
      return createReplicateProvider(instance.name, instance.settings, http);
    case 'ai-sdk':
      return createAiSdkProvider(instance.name, instance.settings, http);
  }
}

/** The adapter's models with the instance's configured ones added (a configured id replaces the
 * built-in row of that id), or instead of them. */
export function withConfiguredModels(
  provider: VideoProvider,
  setting: ModelsSetting | undefined,
): VideoProvider {
  if (!setting) return provider;
  const configured: ModelInfo[] = Object.entries(setting.models).map(([id, model]) => ({ id, ...model }));
  const ids = new Set(configured.map((model) => model.id));
  const kept = setting.replace ? [] : provider.models.filter((model) => !ids.has(model.id));
  return { ...provider, models: [...kept, ...configured] };
}

export function createProviderRegistry(config: AppConfig, options: RegistryOptions = {}): ProviderRegistry {
  const http = {
    requestTimeoutMs: config.requestTimeoutSeconds * 1000,
    fetch: options.fetch,
    handles: options.handles ?? memoryHandles(),
    // Output URLs a provider reports follow the callback rule: https to global unicast, loopback
    // only in local development (the emulator serves its files there).
    foreignUrls: (url: string) =>
      callbackUrlProblem(url, { allowLoopback: config.allowLocalCallbacks, maxLength: 16_384 }),
  };
  const built = config.providers.map(
    (instance) =>
      options.overrides?.[instance.name] ??
      withConfiguredModels(buildAdapter(instance, http), instance.models),
  );
  const byName = new Map(built.map((provider) => [provider.name, provider]));
  return {
    list: () => built,
    // A Map, not an object: names come from callers, so never resolve prototype keys.
    find: (name) => (typeof name === 'string' ? byName.get(name) : undefined),
    get(name) {
      const provider = byName.get(name);
      if (!provider) throw new Error(`No provider named ${JSON.stringify(name)} is configured`);
      return provider;
    },
    defaultName: config.defaultProvider,
  };
}
