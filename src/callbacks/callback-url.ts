// Is a caller's callbackUrl safe to POST to? Checked when the request is accepted and again
// right before each delivery (DNS can change in between). The app must never become a proxy
// into its own network (SSRF): https only, no credentials, the default port, and every address
// the host name resolves to global unicast (src/net/address-rule.ts). Locally, ALLOW_LOCAL_CALLBACKS lets plain http reach
// loopback (a receiver on this machine, any port; https to a loopback address, any port, too), and
// nothing else: never http elsewhere.
import { isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';
import { addressProblem, isLoopbackAddress } from '../net/address-rule.js';

export { addressProblem };

export type Lookup = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

const DNS_TIMEOUT_MS = 5000;

export const systemLookup: Lookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface CallbackUrlPolicy {
  /** Local development: http://127.0.0.1:… and other loopback addresses are allowed. */
  allowLoopback: boolean;
  lookup?: Lookup;
  /** Callers' URLs: 2048 (the default); a provider's signed output URLs may be longer. */
  maxLength?: number;
}

/** Checks what the URL itself says (no DNS): for request validation. */
export function callbackUrlShapeProblem(raw: string, policy: CallbackUrlPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  const maxLength = policy.maxLength ?? 2048;
  if (raw.length > maxLength) return `must be at most ${maxLength} characters`;
  const local = policy.allowLoopback && url.protocol === 'http:';
  if (url.protocol !== 'https:' && !local)
    return policy.allowLoopback
      ? 'must be https (or http to loopback, allowed here for local development)'
      : 'must be an https URL';
  if (url.username || url.password) return 'must not carry credentials';
  // Other ports reach services a web hook has no business with; locally, receivers use any port.
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // Locally, https to a loopback address written out (a test's server with its own certificate)
  // may use any port too; a name could resolve elsewhere, so only an address literal qualifies.
  const loopbackLiteral = policy.allowLoopback && isIP(host) !== 0 && isLoopbackAddress(host);
  if (url.port !== '' && !local && !loopbackLiteral) return 'must use the default https port';
  if (isIP(host)) {
    if (local && !isLoopbackAddress(host)) return 'may be plain http only to a loopback address';
    const problem = addressProblem(host, policy.allowLoopback);
    if (problem) return `must reach a public address: ${problem}`;
  } else if (local && !/^localhost$/i.test(host)) {
    return 'may be plain http only to a loopback address';
  }
  return undefined;
}

/** Full check, DNS included: every address the host name resolves to must be allowed. */
export async function callbackUrlProblem(
  raw: string,
  policy: CallbackUrlPolicy,
): Promise<string | undefined> {
  const shape = callbackUrlShapeProblem(raw, policy);
  if (shape) return shape;
  const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return undefined;
  let addresses: Array<{ address: string }>;
  let timer: NodeJS.Timeout | undefined;
  try {
    // A resolver that never answers must not hold the request (or a delivery) open.
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('DNS timed out')), DNS_TIMEOUT_MS);
    });
    addresses = await Promise.race([(policy.lookup ?? systemLookup)(host), timedOut]);
  } catch {
    return `must name a host that resolves (${host} does not)`;
  } finally {
    clearTimeout(timer);
  }
  if (addresses.length === 0) return `must name a host that resolves (${host} does not)`;
  const local = policy.allowLoopback && new URL(raw).protocol === 'http:';
  for (const { address } of addresses) {
    if (local && !isLoopbackAddress(address))
      return `may be plain http only to a loopback address: ${host} resolves to ${address}`;
    const problem = addressProblem(address, policy.allowLoopback);
    if (problem) return `must reach a public address: ${host} resolves to ${problem}`;
  }
  return undefined;
}
