// Is a caller's callbackUrl safe to POST to? Checked when the request is accepted and again
// right before each delivery (DNS can change in between). The app must never become a proxy
// into its own network (SSRF): https only, no credentials, the default port, and every address
// the host name resolves to public. Locally, ALLOW_LOCAL_CALLBACKS lets plain http reach
// loopback (a receiver on this machine), and nothing else private.
import { BlockList, isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns/promises';

export type Lookup = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

const DNS_TIMEOUT_MS = 5000;

export const systemLookup: Lookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface CallbackUrlPolicy {
  /** Local development: http://127.0.0.1:… and other loopback addresses are allowed. */
  allowLoopback: boolean;
  lookup?: Lookup;
}

/** Ranges no callback may reach: private, link-local (cloud metadata lives at 169.254.169.254),
 * unique-local, carrier-grade NAT, "this network", multicast and reserved; loopback separately. */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['::', 128],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** An IPv6 address that carries an IPv4 one (::ffff:a.b.c.d, in either notation), as that IPv4 address. */
function embeddedIPv4(address: string): string | undefined {
  const mapped = /^::ffff:(?:0:)?(.+)$/i.exec(address)?.[1];
  if (!mapped) return undefined;
  if (isIP(mapped) === 4) return mapped;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(mapped);
  if (!hex) return undefined;
  const [high, low] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** Why this address may not be called back, or undefined when it may. */
export function addressProblem(address: string, allowLoopback: boolean): string | undefined {
  const v4 = isIP(address) === 4 ? address : embeddedIPv4(address);
  const [ip, type] = v4 ? [v4, 'ipv4' as const] : [address, 'ipv6' as const];
  if (isIP(ip) === 0) return `${address} is not an IP address`;
  if (loopback.check(ip, type)) return allowLoopback ? undefined : `${address} is a loopback address`;
  if (blocked.check(ip, type)) return `${address} is in a private, link-local or reserved range`;
  return undefined;
}

/** Checks what the URL itself says (no DNS): for request validation. */
export function callbackUrlShapeProblem(raw: string, policy: CallbackUrlPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (raw.length > 2048) return 'must be at most 2048 characters';
  const local = policy.allowLoopback && url.protocol === 'http:';
  if (url.protocol !== 'https:' && !local)
    return policy.allowLoopback
      ? 'must be https (or http to loopback, allowed here for local development)'
      : 'must be an https URL';
  if (url.username || url.password) return 'must not carry credentials';
  // Other ports reach services a web hook has no business with; locally, receivers use any port.
  if (url.port !== '' && !local) return 'must use the default https port';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
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
  for (const { address } of addresses) {
    const problem = addressProblem(address, policy.allowLoopback);
    if (problem) return `must reach a public address: ${host} resolves to ${problem}`;
  }
  return undefined;
}
