// GET /api/providers: the configured providers, their kinds and each model's capabilities,
// so callers (the gallery, the CLI) can offer what a model accepts, and, once known, how long
// each model's jobs took here (the learned durations the poll policy paces by). Data only: no
// settings, no URLs, no keys.
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { estimateOf, quantileOf } from '../orchestrations/duration-estimate.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { JobDurations, KindSamples } from '../storage/job-durations.js';
import type { LearnedDuration, ProviderView } from './api-schemas.js';

export type { ProviderView };

const round1 = (seconds: number) => Math.round(seconds * 10) / 10;

/** A model's learned durations, per kind, once a kind has enough samples for an estimate. */
function learnedOf(kinds: readonly KindSamples[], model: string): LearnedDuration[] {
  return kinds
    .filter((k) => k.kind.model === model)
    .flatMap(({ kind, samples }) => {
      const estimate = estimateOf(samples);
      if (!estimate) return [];
      return [
        {
          size: kind.size,
          seconds: kind.seconds,
          variants: kind.variants,
          samples: estimate.samples,
          medianSeconds: round1(quantileOf(estimate, 0.5)),
          p90Seconds: round1(quantileOf(estimate, 0.9)),
        },
      ];
    })
    .sort((a, b) => a.size.localeCompare(b.size) || a.seconds - b.seconds || a.variants - b.variants);
}

/** The views; `learned` maps a provider's name to its kinds' samples (missing: none shown). */
export function providerViews(
  registry: ProviderRegistry,
  learned: ReadonlyMap<string, readonly KindSamples[]> = new Map(),
): ProviderView[] {
  return registry.list().map((provider) => ({
    name: provider.name,
    kind: provider.kind,
    ...(provider.name === registry.defaultName ? { default: true as const } : {}),
    models: provider.models.map((model) => {
      const durations = learnedOf(learned.get(provider.name) ?? [], model.id);
      return {
        id: model.id,
        seconds: [...model.seconds],
        defaultSeconds: model.defaultSeconds,
        sizes: [...model.sizes],
        defaultSize: model.defaultSize,
        maxVariants: model.maxVariants,
        imageInput: model.image !== undefined,
        ...(model.image
          ? {
              image: {
                use: model.image.use,
                roles: [...model.image.roles],
                field: model.image.field,
                ...(model.image.sizeRule ? { sizeRule: model.image.sizeRule } : {}),
              },
            }
          : {}),
        audio: model.audio,
        options: model.options,
        ...(durations.length ? { learned: durations } : {}),
      };
    }),
  }));
}

export function createProvidersApi(deps: {
  providers: () => ProviderRegistry;
  durations?: () => JobDurations;
}) {
  return {
    async listProviders(
      _request?: unknown,
      context?: Pick<InvocationContext, 'warn'>,
    ): Promise<HttpResponseInit> {
      const registry = deps.providers();
      const learned = new Map<string, KindSamples[]>();
      if (deps.durations) {
        const durations = deps.durations();
        // The figures are a nicety: unreadable storage still lists the providers.
        await Promise.all(
          registry.list().map(async (provider) => {
            try {
              learned.set(provider.name, await durations.forProvider(provider.name));
            } catch (error) {
              context?.warn(`Learned durations of ${provider.name} unreadable: ${(error as Error).message}`);
            }
          }),
        );
      }
      return { status: 200, jsonBody: providerViews(registry, learned) };
    },
  };
}
