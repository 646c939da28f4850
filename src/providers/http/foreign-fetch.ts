// Fetching a URL a provider handed us (an output file on its CDN): the one place that applies
// the registry's rule to it, to every redirect hop as well. Shared by the transport and by
// adapters that fetch outputs themselves (providers/ai-sdk).
import { ProviderPermanentError, ProviderTransientError } from '../../errors.js';

/** Where a URL a provider hands us may be fetched from: the registry passes the callback rule
 * (src/callbacks/callback-url.ts: https, global unicast after DNS; loopback only in local
 * development). Returns why not, or undefined. */
export type ForeignUrlRule = (url: string) => Promise<string | undefined>;

/** Redirects followed from a provider-given URL (each hop checked). */
export const MAX_REDIRECTS = 3;

export interface ForeignFetchOptions {
  /** Absent: no provider-given URL is fetched at all. */
  rule?: ForeignUrlRule;
  fetch: typeof fetch;
  /** Names the call in error messages, e.g. "Download fal output". */
  what: string;
  /** The error for a request that got no answer (the caller's own classification). */
  noAnswer: (error: unknown) => Error;
}

/** Follows at most MAX_REDIRECTS redirects by hand, each target passing the rule first. (The
 * rule resolves the name, then fetch resolves it again: a name that changes in between is the
 * one gap left, as fetch takes no lookup of ours.) */
export async function fetchForeign(
  url: string | URL,
  init: RequestInit,
  options: ForeignFetchOptions,
): Promise<Response> {
  let target = new URL(url);
  for (let hop = 0; ; hop++) {
    const problem = options.rule
      ? await options.rule(target.href)
      : 'no rule for provider-given URLs is configured';
    if (problem)
      throw new ProviderPermanentError(
        `${options.what}: refused to fetch ${target.host}: the URL ${problem}`,
        200,
        'unsafe_output_url',
      );
    let response: Response;
    try {
      response = await options.fetch(target, { ...init, redirect: 'manual' });
    } catch (error) {
      throw options.noAnswer(error);
    }
    const location = response.headers.get('location');
    if (response.status < 300 || response.status > 399 || !location) return response;
    await response.body?.cancel().catch(() => undefined);
    if (hop === MAX_REDIRECTS)
      throw new ProviderTransientError(
        `${options.what}: more than ${MAX_REDIRECTS} redirects`,
        response.status,
        undefined,
      );
    target = new URL(location, target);
  }
}
