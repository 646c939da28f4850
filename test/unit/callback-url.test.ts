// callbackUrl rules: https to public addresses only, decided by what the URL says and by
// every address its host resolves to (DNS injected here: pure logic).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addressProblem, callbackUrlProblem, type Lookup } from '../../src/callbacks/callback-url.js';

const dns: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34'],
  'internal.example.com': ['10.0.0.1'],
  'mixed.example.com': ['93.184.216.34', '192.168.1.10'],
  'v6.example.com': ['2606:2800:220:1:248:1893:25c8:1946'],
  'mapped.example.com': ['::ffff:169.254.169.254'],
};
const lookup: Lookup = async (host) => {
  const found = dns[host];
  if (!found) throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};
const strict = { allowLoopback: false, lookup };
const local = { allowLoopback: true, lookup };

describe('refused callback URLs', () => {
  const refused: Array<[string, string, RegExp]> = [
    ['cloud metadata over http', 'http://169.254.169.254/latest/meta-data/', /https/],
    ['cloud metadata over https', 'https://169.254.169.254/latest/meta-data/', /private, link-local/],
    ['IPv4-mapped IPv6 metadata', 'https://[::ffff:169.254.169.254]/', /private, link-local/],
    ['IPv4-mapped IPv6 in hex', 'https://[::ffff:a9fe:a9fe]/', /private, link-local/],
    ['IPv6 link-local', 'https://[fe80::1]/', /private, link-local/],
    ['IPv6 unique-local', 'https://[fd00::1]/', /private, link-local/],
    ['ftp', 'ftp://hooks.example.com/x', /https/],
    ['a host resolving to 10.0.0.1', 'https://internal.example.com/hook', /resolves to 10\.0\.0\.1/],
    [
      'a host with one private address among public ones',
      'https://mixed.example.com/hook',
      /192\.168\.1\.10/,
    ],
    [
      'a host resolving to an IPv4-mapped metadata address',
      'https://mapped.example.com/hook',
      /169\.254\.169\.254/,
    ],
    ['private 172.16/12', 'https://172.20.0.5/hook', /private/],
    ['loopback without the local-development setting', 'https://127.0.0.1/hook', /loopback/],
    ['a non-default port', 'https://hooks.example.com:8443/hook', /default https port/],
    ['credentials in the URL', 'https://user:pass@hooks.example.com/hook', /credentials/],
    ['a host that does not resolve', 'https://nowhere.example.com/hook', /resolves/],
    ['not a URL', 'hooks.example.com/hook', /absolute URL/],
  ];
  for (const [name, url, reason] of refused) {
    test(name, async () => {
      const problem = await callbackUrlProblem(url, strict);
      assert.ok(problem, `${url} must be refused`);
      assert.match(problem, reason);
    });
  }
  test('local development allows http to loopback only, not to other private addresses', async () => {
    assert.equal(await callbackUrlProblem('http://127.0.0.1:3000/hook', local), undefined);
    assert.equal(
      await callbackUrlProblem('http://localhost:3000/hook', {
        ...local,
        lookup: async () => [{ address: '127.0.0.1', family: 4 }],
      }),
      undefined,
    );
    assert.match((await callbackUrlProblem('http://10.0.0.1:3000/hook', local)) ?? '', /loopback/);
    // https to a loopback address written out, on any port (a test server with its own certificate);
    // without the setting, or to a name, the port rule holds.
    assert.equal(await callbackUrlProblem('https://127.0.0.1:8443/image.jpg', local), undefined);
    assert.equal(await callbackUrlProblem('https://[::1]:8443/image.jpg', local), undefined);
    assert.match((await callbackUrlProblem('https://127.0.0.1:8443/x', strict)) ?? '', /default https port/);
    assert.match(
      (await callbackUrlProblem('https://localhost:8443/x', {
        ...local,
        lookup: async () => [{ address: '127.0.0.1', family: 4 }],
      })) ?? '',
      /default https port/,
    );
    assert.match((await callbackUrlProblem('http://internal.example.com/hook', local)) ?? '', /loopback/);
  });
  // The allowance is loopback only (a security review's item 7): plain http, or any port, to a
  // public address stays refused.
  test('local development: plain http or another port to a public address stays refused', async () => {
    for (const url of [
      'http://93.184.216.34/hook',
      'http://93.184.216.34:8080/hook',
      'http://[2606:2800:220:1:248:1893:25c8:1946]:81/hook',
      'https://93.184.216.34:8443/hook',
    ])
      assert.ok(await callbackUrlProblem(url, local), url);
    const localhostToPublic = {
      ...local,
      lookup: async () => [{ address: '93.184.216.34', family: 4 }],
    };
    assert.match(
      (await callbackUrlProblem('http://localhost:3000/hook', localhostToPublic)) ?? '',
      /loopback/,
    );
    assert.equal(await callbackUrlProblem('https://hooks.example.com/hook', local), undefined);
  });
});

test('accepted: https to a public host, by name (IPv4 or IPv6) or by address', async () => {
  for (const url of [
    'https://hooks.example.com/hook?x=1',
    'https://v6.example.com/hook',
    'https://93.184.216.34/hook',
    'https://hooks.example.com:443/hook',
  ]) {
    assert.equal(await callbackUrlProblem(url, strict), undefined, url);
  }
});

test('addressProblem knows the mapped and special ranges', () => {
  assert.ok(addressProblem('::ffff:10.0.0.1', false));
  assert.ok(addressProblem('100.64.0.1', false), 'carrier-grade NAT');
  assert.ok(addressProblem('0.0.0.0', false));
  assert.equal(addressProblem('8.8.8.8', false), undefined);
});
