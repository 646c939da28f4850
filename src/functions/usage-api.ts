// GET /api/usage?from=&to=&provider=: per provider and UTC day, what every configured provider's
// accounts were used for, read from their admission entities' ledgers (src/admission/line.ts):
// each request counts in its account's ledger whether the account is governed or not
// (docs/admission.md). A provider with nothing on a day is answered with zeros for that day.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { accountOf } from '../admission/limits.js';
import type { LineState } from '../admission/line.js';
import type { AppConfig } from '../config.js';
import { ADMISSION_ENTITY } from '../orchestrations/contracts.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { withTimeout } from '../storage/with-timeout.js';
import type { UsageDay } from './api-schemas.js';
import { problem } from './problem.js';
import { answeringTimeoutsWith503 } from './unavailable.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MAX_DAYS = 400;

export interface UsageDeps {
  config: () => Pick<AppConfig, 'admission'>;
  providers: () => ProviderRegistry;
}

/** Every account of each provider (one per provider, or per model where the vendor limits per
 * model), governed or not. */
function accountsOf(deps: UsageDeps, only?: string): { provider: string; account: string }[] {
  const seen = new Map<string, string>();
  for (const provider of deps.providers().list()) {
    if (only && provider.name !== only) continue;
    for (const model of provider.models) seen.set(accountOf(provider.name, model), provider.name);
  }
  return [...seen].map(([account, provider]) => ({ account, provider }));
}

/** Whether any of a provider's models has a recorded price (else no USD is shown for it). */
const priced = (deps: UsageDeps, name: string) =>
  deps
    .providers()
    .get(name)
    .models.some((model) => model.price !== undefined);

export function createUsageApi(deps: UsageDeps) {
  return {
    getUsage: answeringTimeoutsWith503(getUsage),
  };

  async function getUsage(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const today = new Date().toISOString().slice(0, 10);
    const from = request.query.get('from') ?? today;
    const to = request.query.get('to') ?? from;
    const provider = request.query.get('provider') ?? undefined;
    const problems = [
      ...(['from', 'to'] as const)
        // `to` defaults to `from`: a bad `from` is reported once.
        .filter((field) => field === 'from' || request.query.get('to') !== null)
        .filter((field) => {
          const value = field === 'from' ? from : to;
          return !DAY.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`));
        })
        .map((field) => ({ field, message: 'must be a UTC day, YYYY-MM-DD' })),
      ...(provider !== undefined && !deps.providers().find(provider)
        ? [{ field: 'provider', message: 'names no configured provider' }]
        : []),
    ];
    if (problems.length === 0 && from > to)
      problems.push({ field: 'to', message: 'must not be before from' });
    if (problems.length === 0 && (Date.parse(to) - Date.parse(from)) / 86_400_000 >= MAX_DAYS)
      problems.push({ field: 'to', message: `must be within ${MAX_DAYS} days of from` });
    if (problems.length > 0)
      return problem(
        400,
        'Invalid usage query',
        problems.map((p) => `${p.field} ${p.message}`).join('; '),
        problems,
      );

    const client = df.getClient(context);
    const totals = new Map<string, UsageDay>();
    for (const { account, provider: name } of accountsOf(deps, provider)) {
      const read = await withTimeout(
        `reading the usage of ${account}`,
        client.readEntityState<LineState>(new df.EntityId(ADMISSION_ENTITY, account)),
      );
      for (const [day, usage] of Object.entries(read.entityState?.usage ?? {})) {
        if (day < from || day > to) continue;
        const key = `${day} ${name}`;
        const total = totals.get(key) ?? {
          day,
          provider: name,
          requests: 0,
          upstreamJobs: 0,
          secondsDelivered: 0,
          estimatedUsd: 0,
          refusedByBudget: 0,
        };
        totals.set(key, {
          ...total,
          requests: total.requests + usage.requests,
          upstreamJobs: total.upstreamJobs + usage.jobs,
          secondsDelivered: total.secondsDelivered + usage.seconds,
          estimatedUsd: Math.round(((total.estimatedUsd ?? 0) + usage.usd) * 100) / 100,
          refusedByBudget: total.refusedByBudget + usage.refusedByBudget,
        });
      }
    }
    const days = [...totals.values()]
      .map((day) => (priced(deps, day.provider) ? day : (({ estimatedUsd: _, ...rest }) => rest)(day)))
      .sort((a, b) => (a.day === b.day ? a.provider.localeCompare(b.provider) : a.day < b.day ? -1 : 1));
    return { status: 200, jsonBody: { from, to, days } };
  }
}
