// Anonymous webhooks must not drive fetches of the provider's keys (a security review's item 4):
// what needs no key (headers, timestamp, signature shape) is checked first, and a failed key
// fetch is not repeated until its backoff has passed (503 meanwhile). Stand-ins count the
// fetches; nothing here connects anywhere.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebhookKeysUnavailableError, WebhookVerificationError } from '../../src/errors.js';
import { falWebhooks } from '../../src/providers/fal/webhook.js';
import type { Transport } from '../../src/providers/http/transport.js';
import type { ProviderWebhooks } from '../../src/providers/provider.js';
import { replicateWebhooks } from '../../src/providers/replicate/webhook.js';

const body = Buffer.from(JSON.stringify({ id: 'p1', status: 'succeeded' }));
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The errors of `count` deliveries with these headers, in order. */
async function deliver(webhooks: ProviderWebhooks, headers: Record<string, string>, count: number) {
  const errors: unknown[] = [];
  for (let i = 0; i < count; i++)
    errors.push(
      await webhooks.verify(headers, body).then(
        () => assert.fail('verified'),
        (error: unknown) => error,
      ),
    );
  return errors;
}

describe('Replicate: the signing secret is fetched only for plausible deliveries, and not after each failure', () => {
  let fetches = 0;
  let clockMs = 1_000_000;
  const transport = {
    json: async () => {
      fetches++;
      throw new Error('Replicate answered HTTP 500');
    },
  } as unknown as Transport;
  const webhooks = replicateWebhooks({
    transport,
    read: () => assert.fail('never read'),
    keyLoader: { now: () => clockMs },
  });
  const plausible = {
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(nowSeconds()),
    'webhook-signature': `v1,${Buffer.alloc(32, 7).toString('base64')}`,
  };

  test('20 unsigned, stale or malformed deliveries: 401 each, no fetch', async () => {
    const cases = [
      {},
      { ...plausible, 'webhook-timestamp': String(nowSeconds() - 3600) },
      { ...plausible, 'webhook-timestamp': 'soon' },
      { ...plausible, 'webhook-signature': 'v1,short' },
      { 'webhook-id': 'x', 'webhook-signature': plausible['webhook-signature'] },
    ];
    for (const headers of cases)
      for (const error of await deliver(webhooks, headers as Record<string, string>, 4))
        assert.ok(error instanceof WebhookVerificationError, String(error));
    assert.equal(fetches, 0);
  });

  test('20 plausible deliveries while the fetch fails: one fetch, then 503 until the backoff ends', async () => {
    const errors = await deliver(webhooks, plausible, 20);
    assert.equal(fetches, 1);
    assert.ok(!(errors[0] instanceof WebhookVerificationError), 'the failed fetch is ours, not a 401');
    for (const error of errors.slice(1)) {
      assert.ok(error instanceof WebhookKeysUnavailableError, String(error));
      assert.ok(error.retryAfterSeconds > 0);
    }
    clockMs += 1500; // past the first backoff (1 s): one new fetch, then the backoff doubles
    await deliver(webhooks, plausible, 5);
    assert.equal(fetches, 2);
    clockMs += 1500; // not past the second (2 s)
    await deliver(webhooks, plausible, 5);
    assert.equal(fetches, 2);
  });
});

describe('fal: the JWKS is not fetched again after each failure', () => {
  test('20 plausible deliveries while the JWKS fails: one fetch, then 503s; none for unsigned ones', async () => {
    let fetches = 0;
    let clockMs = 5_000_000;
    const webhooks = falWebhooks({
      jwksUrl: 'https://jwks.invalid/.well-known/jwks.json',
      requestTimeoutMs: 1000,
      fetch: (async () => {
        fetches++;
        return new Response('{}', { status: 503 });
      }) as typeof fetch,
      keyLoader: { now: () => clockMs },
    });
    for (const error of await deliver(webhooks, {}, 20)) assert.ok(error instanceof WebhookVerificationError);
    assert.equal(fetches, 0);
    const plausible = {
      'x-fal-webhook-request-id': 'r1',
      'x-fal-webhook-user-id': 'u1',
      'x-fal-webhook-timestamp': String(nowSeconds()),
      'x-fal-webhook-signature': 'ab'.repeat(64),
    };
    const errors = await deliver(webhooks, plausible, 20);
    assert.equal(fetches, 1);
    for (const error of errors.slice(1))
      assert.ok(error instanceof WebhookKeysUnavailableError, String(error));
    clockMs += 1500;
    await deliver(webhooks, plausible, 3);
    assert.equal(fetches, 2);
  });
});
