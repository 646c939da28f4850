// What a request costs, from its model's published price (capability data with its source):
// before the create, the estimate from the request; once delivered, the seconds delivered. Pure.
import type { ModelPrice } from '../providers/capabilities.js';
import type { ProviderRegistry } from '../providers/registry.js';

/** The price a request pays: per second, and what it rests on (kept in the orchestration input). */
export interface RequestPrice {
  usdPerSecond: number;
  /** e.g. "$0.40/s with audio (fal-ai/veo3, https://…, 2026-12-07)". */
  basis: string;
}

export interface CostView {
  estimatedUsd: number;
  basis: string;
}

/** The per-second price of this request: with sound where its options (or the default) turn it on. */
export function requestPrice(
  modelId: string,
  price: ModelPrice | undefined,
  options: Record<string, unknown> | undefined,
): RequestPrice | undefined {
  if (!price) return undefined;
  const audio = price.withAudio;
  const withSound = audio !== undefined && (options?.[audio.option] ?? audio.default) !== false;
  const usdPerSecond = withSound ? audio.usdPerSecond : price.usdPerSecond;
  const what = audio ? (withSound ? ' with audio' : ' without audio') : '';
  return {
    usdPerSecond,
    basis: `$${usdPerSecond.toFixed(2)}/s${what} (${modelId}, ${price.source}, ${price.asOf})`,
  };
}

const cents = (usd: number) => Math.round(usd * 100) / 100;

/** The estimate before the create: seconds asked × variants × the price. */
export function estimatedCost(price: RequestPrice, request: { seconds: number; variants: number }): CostView {
  const seconds = request.seconds * request.variants;
  return {
    estimatedUsd: cents(seconds * price.usdPerSecond),
    basis: `estimate: ${seconds} s asked × ${price.basis}`,
  };
}

/** Once completed: the seconds delivered (each stored video is the length asked). */
export function deliveredCost(price: RequestPrice, secondsEach: number, videos: number): CostView {
  const seconds = secondsEach * videos;
  return {
    estimatedUsd: cents(seconds * price.usdPerSecond),
    basis: `delivered: ${seconds} s × ${price.basis}`,
  };
}

/** The price of a validated request (its provider and model exist); undefined without one. */
export function priceOfRequest(
  registry: ProviderRegistry,
  request: { provider: string; model: string; options?: Record<string, unknown> },
): RequestPrice | undefined {
  const model = registry.get(request.provider).models.find((m) => m.id === request.model);
  return model && requestPrice(model.id, model.price, request.options);
}
