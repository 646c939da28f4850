// The address rule behind callbacks and provider output URLs: global unicast only, IPv4 carried
// in IPv6 judged as IPv4. Pure: no address here is ever connected to (nor resolved).
// Every range the security review named (a second pass) is in the table, each refused.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addressProblem } from '../../src/net/address-rule.js';
import { callbackUrlShapeProblem } from '../../src/callbacks/callback-url.js';

const refused: Array<[string, string]> = [
  ['Azure platform address', '168.63.129.16'],
  ['cloud metadata (link-local)', '169.254.169.254'],
  ['link-local, start of range', '169.254.0.1'],
  ['"this network"', '0.0.0.0'],
  ['"this network" /8', '0.1.2.3'],
  ['private 10/8', '10.0.0.1'],
  ['private 172.16/12', '172.31.255.254'],
  ['private 192.168/16', '192.168.1.10'],
  ['carrier-grade NAT', '100.64.0.1'],
  ['IETF protocol assignments', '192.0.0.8'],
  ['TEST-NET-1', '192.0.2.1'],
  ['TEST-NET-2', '198.51.100.7'],
  ['TEST-NET-3', '203.0.113.9'],
  ['benchmarking 198.18/15', '198.19.0.1'],
  ['multicast', '224.0.0.1'],
  ['reserved 240/4', '240.0.0.1'],
  ['broadcast', '255.255.255.255'],
  ['loopback', '127.0.0.1'],
  ['loopback /8', '127.1.2.3'],
  ['IPv6 loopback', '::1'],
  ['IPv6 unspecified', '::'],
  ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
  ['IPv4-mapped metadata, hex', '::ffff:a9fe:a9fe'],
  ['IPv4-mapped Azure platform address', '::ffff:168.63.129.16'],
  ['IPv4-translated (RFC 6145) private', '::ffff:0:10.0.0.1'],
  ['IPv4-compatible loopback', '::7f00:1'],
  ['IPv4-compatible metadata', '::169.254.169.254'],
  ['NAT64 well-known prefix to loopback', '64:ff9b::7f00:1'],
  ['NAT64 well-known prefix to the Azure platform address', '64:ff9b::a83f:8110'],
  ['NAT64 local-use /48', '64:ff9b:1::808:808'],
  ['NAT64 local-use /48, another host', '64:ff9b:1:abcd::1'],
  ['6to4 of loopback', '2002:7f00:1::1'],
  ['6to4 of a private address', '2002:c0a8:10a::1'],
  ['6to4 of the metadata address', '2002:a9fe:a9fe::1'],
  ['Teredo with a private client', '2001:0:4136:e378:8000:63bf:f5ff:fffe'], // client 10.0.0.1
  ['Teredo with a loopback server', '2001:0:7f00:1:8000:63bf:3fff:fdd2'],
  ['site-local fec0::/10', 'fec0::1'],
  ['site-local, end of range', 'feff::1'],
  ['unique-local', 'fd00::1'],
  ['link-local IPv6', 'fe80::1'],
  ['multicast IPv6', 'ff02::1'],
  ['documentation 2001:db8::/32', '2001:db8::1'],
  ['documentation 3fff::/20', '3fff::1'],
  ['benchmarking 2001:2::/48', '2001:2::1'],
  ['discard 100::/64', '100::1'],
  ['ORCHIDv2', '2001:20::1'],
  ['outside 2000::/3', '4000::1'],
  ['segment routing', '5f00::1'],
];

describe('the address rule refuses everything but global unicast', () => {
  for (const [name, address] of refused) {
    test(`${name}: ${address}`, () => {
      assert.ok(addressProblem(address, false), `${address} must be refused`);
    });
  }
  test('the same ranges refused as callbackUrl literals (no DNS, no connection)', () => {
    for (const [, address] of refused) {
      const host = address.includes(':') ? `[${address}]` : address;
      assert.ok(callbackUrlShapeProblem(`https://${host}/hook`, { allowLoopback: false }), address);
    }
  });
});

describe('global unicast is allowed', () => {
  for (const address of [
    '8.8.8.8',
    '93.184.216.34',
    '1.1.1.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808', // NAT64 of 8.8.8.8: judged as 8.8.8.8
    '2002:808:808::1', // 6to4 of 8.8.8.8
  ]) {
    test(address, () => assert.equal(addressProblem(address, false), undefined));
  }
});

describe('local development allows plain loopback, and nothing else', () => {
  for (const address of ['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1'])
    test(`allows ${address}`, () => assert.equal(addressProblem(address, true), undefined));
  // Tunnelled or translated forms never reach this machine's own loopback.
  for (const address of [
    '::7f00:1',
    '64:ff9b::7f00:1',
    '2002:7f00:1::1',
    '10.0.0.1',
    '168.63.129.16',
    'fec0::1',
  ])
    test(`still refuses ${address}`, () => assert.ok(addressProblem(address, true)));
});

test('names what it refused and why, and refuses what is not an address', () => {
  assert.match(addressProblem('168.63.129.16', false) ?? '', /Azure's platform address/);
  assert.match(addressProblem('::7f00:1', false) ?? '', /IPv4 127\.0\.0\.1/);
  assert.match(addressProblem('example.com', false) ?? '', /not an IP address/);
});
