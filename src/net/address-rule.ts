// Which IP addresses the app may connect to on behalf of someone else (a caller's callbackUrl,
// a provider's output URL): global unicast only, as ipaddr.js classifies it, never a
// hand-kept list of bad ranges. An IPv6 address that carries an IPv4 one (mapped, translated,
// IPv4-compatible, NAT64, 6to4, Teredo) is judged by that IPv4 address. Loopback is allowed
// only when the policy says so (local development), and only in its plain forms.
import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Reachable from every Azure host, yet no caller's: Azure's platform address (the wire server). */
const AZURE_PLATFORM = ipaddr.IPv4.parse('168.63.129.16');
/** Link-local: cloud metadata lives at 169.254.169.254 (refused by range too; named for clarity). */
const LINK_LOCAL: [ipaddr.IPv4, number] = [ipaddr.IPv4.parse('169.254.0.0'), 16];
/** IANA's global unicast allocation for IPv6; everything outside it is special or unassigned. */
const GLOBAL_UNICAST_V6: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('2000::'), 3];
const NAT64_LOCAL_USE: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('64:ff9b:1::'), 48];
const IPV4_COMPATIBLE: [ipaddr.IPv6, number] = [ipaddr.IPv6.parse('::'), 96];

const v4From = (high: number, low: number) =>
  ipaddr.IPv4.parse([high >> 8, high & 255, low >> 8, low & 255].join('.'));

/** The IPv4 addresses an IPv6 address carries, or undefined when it carries none. */
function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4[] | undefined {
  const p = ip.parts;
  switch (ip.range()) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d
      return [v4From(p[6], p[7])];
    case 'rfc6052': // NAT64's well-known prefix 64:ff9b::a.b.c.d (the local-use /48 is refused before)
      return [v4From(p[6], p[7])];
    case '6to4': // 2002:aabb:ccdd::
      return [v4From(p[1], p[2])];
    case 'teredo': // 2001:0:server:server:flags:port:~client:~client
      return [v4From(p[2], p[3]), v4From(p[6] ^ 0xffff, p[7] ^ 0xffff)];
    default:
      // IPv4-compatible ::a.b.c.d (deprecated, RFC 4291), but not :: and ::1 themselves.
      return ip.match(IPV4_COMPATIBLE) && ip.range() === 'unicast' ? [v4From(p[6], p[7])] : undefined;
  }
}

function ipv4Problem(ip: ipaddr.IPv4, shown: string, allowLoopback: boolean): string | undefined {
  if (ip.toString() === AZURE_PLATFORM.toString()) return `${shown} is Azure's platform address`;
  if (ip.match(LINK_LOCAL)) return `${shown} is in a private, link-local or reserved range (link-local)`;
  const range = ip.range();
  if (range === 'loopback') return allowLoopback ? undefined : `${shown} is a loopback address`;
  if (range !== 'unicast') return `${shown} is in a private, link-local or reserved range (${range})`;
  return undefined;
}

/** 127.0.0.0/8, ::1 or ::ffff:127.x.y.z: this machine itself. */
export function isLoopbackAddress(address: string): boolean {
  const text = address.replace(/^\[|\]$/g, '');
  if (isIP(text) === 0) return false;
  const ip = ipaddr.process(text);
  return ip.range() === 'loopback';
}

/** Why this address may not be connected to, or undefined when it may. */
export function addressProblem(address: string, allowLoopback: boolean): string | undefined {
  const text = address.replace(/^\[|\]$/g, '');
  if (isIP(text) === 0) return `${address} is not an IP address`;
  const ip = ipaddr.parse(text);
  if (ip.kind() === 'ipv4') return ipv4Problem(ip as ipaddr.IPv4, address, allowLoopback);
  const v6 = ip as ipaddr.IPv6;
  if (v6.range() === 'loopback') return allowLoopback ? undefined : `${address} is a loopback address`;
  // RFC 8215's local-use NAT64 prefix: where the IPv4 address sits is the operator's choice.
  if (v6.match(NAT64_LOCAL_USE))
    return `${address} is in a private, link-local or reserved range (local-use NAT64)`;
  const carried = embeddedIPv4(v6);
  if (carried) {
    // Mapped addresses reach the IPv4 address itself (loopback included); the tunnelled and
    // translated forms never reach this machine's loopback, so they get no local exception.
    const loopbackOk = allowLoopback && v6.range() === 'ipv4Mapped';
    for (const v4 of carried) {
      const problem = ipv4Problem(v4, `${address} (IPv4 ${v4.toString()})`, loopbackOk);
      if (problem) return problem;
    }
    return undefined;
  }
  const range = v6.range();
  if (range !== 'unicast' || !v6.match(GLOBAL_UNICAST_V6))
    return `${address} is in a private, link-local or reserved range (${range === 'unicast' ? 'not global' : range})`;
  return undefined;
}

/** dns.lookup, refusing any address the rule does not allow: used as a connection's own lookup,
 * so a name that resolved to a public address when checked and to a private one when
 * connecting (DNS rebinding) is refused too. The error's code is EUNSAFEADDRESS. */
export function guardedLookup(allowLoopback: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as Array<{ address: string; family: number }>;
      const bad = list.map((entry) => addressProblem(entry.address, allowLoopback)).find(Boolean);
      if (bad)
        return callback(
          Object.assign(new Error(`refused to connect: ${bad}`), { code: 'EUNSAFEADDRESS' }),
          '',
          0,
        );
      if (options.all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}
