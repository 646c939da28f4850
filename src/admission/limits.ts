// Which limits govern a provider account: the vendor's published ones (each model's capability
// row carries them, with their source), each overridden by the provider instance's settings
// (README "Limits and budgets"). Unset is the vendor's limit, or none where the vendor
// documents none; 'unlimited' lifts a vendor's limit. Pure.
import type { AdmissionOverrides, AppConfig, LimitSetting } from '../config.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { AdmissionLimits, VendorLimits } from '../providers/capabilities.js';

/** The limits one request is admitted under, and the account they count against. */
export interface AccountLimits {
  /** The entity key: the provider instance, plus the model where the vendor limits per model. */
  account: string;
  limits: AdmissionLimits;
}

const fields = ['maxRunningJobs', 'createsPerMinute', 'createBurst', 'dailyBudgetUsd'] as const;

function pick(setting: LimitSetting, vendor: number | undefined): number | undefined {
  if (setting === 'unlimited') return undefined;
  return setting ?? vendor;
}

/** The effective limits: a setting wins over the vendor's value. */
export function effectiveLimits(
  vendor: VendorLimits | undefined,
  overrides: AdmissionOverrides | undefined,
): AdmissionLimits {
  const limits: AdmissionLimits = {};
  for (const field of fields) {
    const value = pick(overrides?.[field], vendor?.limits[field]);
    if (value !== undefined) limits[field] = value;
  }
  return limits;
}

/** Whether any limit applies (none: requests go straight to the create, as before). */
export const isGoverned = (limits: AdmissionLimits) =>
  limits.maxRunningJobs !== undefined ||
  limits.createsPerMinute !== undefined ||
  limits.dailyBudgetUsd !== undefined;

/** The account (the admission entity's key) a request to `provider`'s `model` counts against:
 * the provider instance, plus the model where the vendor limits per model. */
export const accountOf = (provider: string, model: { id: string; limits?: VendorLimits }) =>
  model.limits?.scope === 'model' ? `${provider}:${model.id}` : provider;

/** The account a request to `provider`'s `model` counts against, and its limits; undefined
 * when nothing limits it. */
export function accountLimits(
  provider: string,
  model: { id: string; limits?: VendorLimits },
  overrides: AdmissionOverrides | undefined,
): AccountLimits | undefined {
  const limits = effectiveLimits(model.limits, overrides);
  if (!isGoverned(limits)) return undefined;
  return { account: accountOf(provider, model), limits };
}

/** The account whose ledger counts a validated request, governed or not. */
export function usageAccountOf(
  registry: ProviderRegistry,
  request: { provider: string; model: string },
): string | undefined {
  const provider = registry.get(request.provider);
  const model = provider.models.find((m) => m.id === request.model);
  return model && accountOf(provider.name, model);
}

/** The account and limits of a validated request (its provider and model exist). */
export function admissionOf(
  registry: ProviderRegistry,
  config: Pick<AppConfig, 'admission'>,
  request: { provider: string; model: string },
): AccountLimits | undefined {
  const provider = registry.get(request.provider);
  const model = provider.models.find((m) => m.id === request.model);
  if (!model) return undefined;
  return accountLimits(
    provider.name,
    model,
    (config.admission as Record<string, AdmissionOverrides | undefined>)[provider.name],
  );
}
