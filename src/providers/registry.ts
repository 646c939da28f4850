// The configured provider instances, by name. The one place (with the app context) that
// knows every adapter folder; everything else asks the registry.
import { callbackUrlProblem } from '../callbacks/callback-url.js';
import type { AppConfig, ProviderName } from '../config.js';
import { createAzureOpenAiProvider } from './azure-openai/provider.js';
import { createFalProvider } from './fal/provider.js';
import { createOpenAiVideosProvider } from './openai-videos/provider.js';
import { createReplicateProvider } from './replicate/provider.js';
import type { HttpOptions } from './http/transport.js';
import type { VideoProvider } from './provider.js';

export interface ProviderRegistry {
  /** Every configured provider, in default order. */
  list(): readonly VideoProvider[];
  /** The provider of that name; undefined when none is configured by it. */
  find(name: string): VideoProvider | undefined;
  /** Like find, for names that come from our own history: an unknown one is a bug or a removed setting. */
  get(name: string): VideoProvider;
  readonly defaultName: ProviderName;
}

export interface RegistryOptions {
  fetch?: typeof fetch;
  /** Replaces a provider's adapter (tests that drive one through a stand-in). */
  overrides?: Partial<Record<ProviderName, VideoProvider>>;
}

export function createProviderRegistry(config: AppConfig, options: RegistryOptions = {}): ProviderRegistry {
  const http: HttpOptions = {
    requestTimeoutMs: config.requestTimeoutSeconds * 1000,
    fetch: options.fetch,
    // Output URLs a provider reports follow the callback rule: https to global unicast, loopback
    // only in local development (the emulator serves its files there).
    foreignUrls: (url) =>
      callbackUrlProblem(url, { allowLoopback: config.allowLocalCallbacks, maxLength: 16_384 }),
  };
  const settings = config.providers;
  const built: VideoProvider[] = [];
  const add = (name: ProviderName, build: () => VideoProvider) =>
    built.push(options.overrides?.[name] ?? build());
  if (settings['azure-openai'])
    add('azure-openai', () => createAzureOpenAiProvider('azure-openai', settings['azure-openai']!, http));
  if (settings.openai) add('openai', () => createOpenAiVideosProvider('openai', settings.openai!, http));
  if (settings.fal) add('fal', () => createFalProvider('fal', settings.fal!, http));
  if (settings.replicate)
    add('replicate', () => createReplicateProvider('replicate', settings.replicate!, http));
  const byName = new Map(built.map((provider) => [provider.name, provider]));
  return {
    list: () => built,
    // hasOwn-like: names come from callers, so never resolve prototype keys.
    find: (name) => (typeof name === 'string' ? byName.get(name) : undefined),
    get(name) {
      const provider = byName.get(name);
      if (!provider) throw new Error(`No provider named ${JSON.stringify(name)} is configured`);
      return provider;
    },
    defaultName: config.defaultProvider,
  };
}
