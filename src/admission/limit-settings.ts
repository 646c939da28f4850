// The admission settings of a provider instance, one rule for both spellings: the flat
// `<P>_MAX_RUNNING_JOBS` of the four shorthand instances (src/config.ts) and the named
// `VIDEO_PROVIDERS__<name>__MAX_RUNNING_JOBS` of any instance (src/provider-instances.ts).
// README "Limits and budgets" and docs/admission.md describe them. Pure.

/** One admission setting as given: a positive number, 'unlimited' (lifts a vendor's limit), or
 * unset (the vendor's published limit, or none). */
export type LimitSetting = number | 'unlimited' | undefined;

/** A provider instance's admission settings (each overrides the vendor's default). */
export interface AdmissionOverrides {
  maxRunningJobs: LimitSetting;
  createsPerMinute: LimitSetting;
  createBurst: LimitSetting;
  dailyBudgetUsd: LimitSetting;
}

/** Each setting's suffix, its field, and its rule: whole numbers only, and whether
 * 'unlimited' is allowed (a burst is only meaningful with a rate, so it has none). */
export const LIMIT_FIELDS = [
  { suffix: 'MAX_RUNNING_JOBS', field: 'maxRunningJobs', whole: true, unlimited: true },
  { suffix: 'CREATES_PER_MINUTE', field: 'createsPerMinute', whole: false, unlimited: true },
  { suffix: 'CREATE_BURST', field: 'createBurst', whole: true, unlimited: false },
  { suffix: 'DAILY_BUDGET_USD', field: 'dailyBudgetUsd', whole: false, unlimited: true },
] as const satisfies readonly {
  suffix: string;
  field: keyof AdmissionOverrides;
  whole: boolean;
  unlimited: boolean;
}[];

/** A setting's value, or the rule it breaks (to be named with the setting). Blank is unset. */
export function parseLimit(
  raw: string | undefined,
  rule: { whole: boolean; unlimited: boolean },
): { value: LimitSetting } | { problem: string } {
  const value = raw?.trim();
  if (!value) return { value: undefined };
  if (rule.unlimited && value.toLowerCase() === 'unlimited') return { value: 'unlimited' };
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0 || (rule.whole && !Number.isInteger(parsed)))
    return {
      problem: `must be a positive ${rule.whole ? 'whole ' : ''}number${rule.unlimited ? ' or "unlimited"' : ''}, got "${value}"`,
    };
  return { value: parsed };
}

/** `over`'s settings where it sets them, else `base`'s. */
export function withOverrides(
  base: AdmissionOverrides | undefined,
  over: Partial<AdmissionOverrides> | undefined,
): AdmissionOverrides {
  const merged = {} as AdmissionOverrides;
  for (const { field } of LIMIT_FIELDS) merged[field] = over?.[field] ?? base?.[field];
  return merged;
}
