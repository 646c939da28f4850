// GET /api/providers: the configured providers, their kinds and each model's capabilities,
// so callers (the gallery, the CLI) can offer what a model accepts. Data only: no settings,
// no URLs, no keys.
import type { HttpResponseInit } from '@azure/functions';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ProviderView } from './api-schemas.js';

export type { ProviderView };

export function providerViews(registry: ProviderRegistry): ProviderView[] {
  return registry.list().map((provider) => ({
    name: provider.name,
    kind: provider.kind,
    ...(provider.name === registry.defaultName ? { default: true as const } : {}),
    models: provider.models.map((model) => ({
      id: model.id,
      seconds: [...model.seconds],
      defaultSeconds: model.defaultSeconds,
      sizes: [...model.sizes],
      defaultSize: model.defaultSize,
      maxVariants: model.maxVariants,
      imageInput: model.imageInput,
      audio: model.audio,
      options: model.options,
    })),
  }));
}

export function createProvidersApi(deps: { providers: () => ProviderRegistry }) {
  return {
    async listProviders(): Promise<HttpResponseInit> {
      return { status: 200, jsonBody: providerViews(deps.providers()) };
    },
  };
}
