// Token caching for keyless calls: one token fetch serves many requests, concurrent
// callers share it, and it is refreshed before it expires.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { COGNITIVE_SERVICES_SCOPE, apiKeyAuth, tokenAuth } from '../../src/providers/azure-openai/auth.js';

/** A credential that hands out numbered tokens valid for one hour (a stand-in for Entra ID). */
function countingCredential(clock: () => number) {
  const scopes: string[] = [];
  const credential: TokenCredential = {
    async getToken(scope): Promise<AccessToken> {
      scopes.push(String(scope));
      await new Promise((resolve) => setImmediate(resolve));
      return { token: `token-${scopes.length}`, expiresOnTimestamp: clock() + 60 * 60 * 1000 };
    },
  };
  return { credential, scopes };
}

describe('tokenAuth', () => {
  test('caches the token and shares one fetch between concurrent callers', async () => {
    let now = 1_000_000;
    const { credential, scopes } = countingCredential(() => now);
    const auth = tokenAuth(credential, () => now);
    const all = await Promise.all([auth.headers(), auth.headers(), auth.headers()]);
    assert.deepEqual(
      all.map((h) => h.authorization),
      ['Bearer token-1', 'Bearer token-1', 'Bearer token-1'],
    );
    now += 30 * 60 * 1000;
    assert.equal((await auth.headers()).authorization, 'Bearer token-1');
    assert.deepEqual(scopes, [COGNITIVE_SERVICES_SCOPE]);
  });

  test('refreshes shortly before expiry', async () => {
    let now = 0;
    const { credential, scopes } = countingCredential(() => now);
    const auth = tokenAuth(credential, () => now);
    await auth.headers();
    now += 56 * 60 * 1000; // 4 minutes left: inside the refresh margin
    assert.equal((await auth.headers()).authorization, 'Bearer token-2');
    assert.equal(scopes.length, 2);
  });

  test('a failed fetch is reported and retried on the next call', async () => {
    let fail = true;
    const credential: TokenCredential = {
      async getToken() {
        if (fail) throw new Error('no identity');
        return { token: 't', expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const auth = tokenAuth(credential);
    await assert.rejects(auth.headers(), /no identity/);
    fail = false;
    assert.equal((await auth.headers()).authorization, 'Bearer t');
  });
});

test('apiKeyAuth sends the api-key header', async () => {
  assert.deepEqual(await apiKeyAuth('k').headers(), { 'api-key': 'k' });
});
