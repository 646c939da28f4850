// Refused provider webhooks are counted and only a sample of them is logged: the real callbacks
// handler, with the real provider registry, fed unsigned and forged deliveries. (Issue item: each
// forged webhook wrote a warning, so anyone could drive the app's log volume.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../../src/config.js';
import { createCallbacksApi } from '../../src/functions/callbacks-api.js';
import { REFUSAL_LOG_INTERVAL_MS, RefusalCounter } from '../../src/functions/refusal-log.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import type { JobClaims } from '../../src/storage/job-claims.js';

const secret = `whsec_${Buffer.from('a test signing secret of 32 bytes!').toString('base64')}`;
const registry = createProviderRegistry(
  loadConfig({
    VIDEO_STORAGE: 'UseDevelopmentStorage=true',
    REPLICATE_API_TOKEN: 'k',
    REPLICATE_BASE_URL: 'http://127.0.0.1:1/v1',
    REPLICATE_WEBHOOK_SECRET: secret,
  }),
);

describe('refused webhooks', () => {
  test('are counted, each one, while only the 1st, 10th and 100th are logged', async () => {
    const api = createCallbacksApi({
      providers: () => registry,
      claims: () => {
        throw new Error('a refused webhook must not reach the job claims');
      },
    });
    const warnings: string[] = [];
    const context = new InvocationContext({
      functionName: 'providerWebhook',
      logHandler: (level, ...args) => {
        if (level === 'warning') warnings.push(args.join(' '));
      },
    });
    const body = JSON.stringify({ id: 'job-1', status: 'succeeded', input: {}, output: 'https://x/y.mp4' });
    const forger = new Webhook(
      `whsec_${Buffer.from('not the secret, but as long as it').toString('base64')}`,
    );
    for (let i = 0; i < 120; i++) {
      const at = new Date();
      const headers: Record<string, string> =
        i % 2 === 0
          ? {}
          : {
              'webhook-id': `msg_${i}`,
              'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
              'webhook-signature': forger.sign(`msg_${i}`, at, body),
            };
      const answer = await api.receive(
        new HttpRequest({
          method: 'POST',
          url: 'http://127.0.0.1/api/callbacks/replicate',
          params: { provider: 'replicate' },
          headers: { 'content-type': 'application/json', ...headers },
          body: { string: body },
        }),
        context,
      );
      assert.equal(answer.status, 401);
    }
    assert.equal(api.refusals.count('replicate'), 120, 'the metric counts every refusal');
    assert.equal(warnings.length, 3, warnings.join('\n'));
    assert.deepEqual(
      warnings.map((line) =>
        /refused replicate webhooks: (\d+); not logged since the last: (\d+)/.exec(line)?.slice(1),
      ),
      [
        ['1', '0'],
        ['10', '8'],
        ['100', '89'],
      ],
    );
  });

  test('besides the powers of ten, at most one line a minute per provider', () => {
    let now = 0;
    const counter = new RefusalCounter(() => now);
    const written = () => counter.record('fal').write;
    assert.equal(written(), true, 'the first');
    now += 1000;
    assert.equal(written(), false);
    now += REFUSAL_LOG_INTERVAL_MS;
    const late = counter.record('fal');
    assert.deepEqual(late, { count: 3, unwritten: 1, write: true });
    assert.equal(counter.record('replicate').write, true, 'each provider has its own count');
  });
});
