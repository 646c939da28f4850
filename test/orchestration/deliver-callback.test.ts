// deliverCallback under the SDK's real replay (see replay-driver.ts): a delivery the budget
// deferred is asked again later without spending an attempt; real failures spend attempts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeliverCallbackInput, DeliveryResult } from '../../src/orchestrations/contracts.js';
import { deliverCallback } from '../../src/orchestrations/deliver-callback.js';
import { drive } from './replay-driver.js';

const input: DeliverCallbackInput = {
  event: {
    type: 'video.completed',
    instanceId: 'req-1',
    createdTime: '2026-01-01T00:00:00.000Z',
    request: {
      provider: 'replicate',
      kind: 'replicate',
      model: 'kwaivgi/kling-v2.0',
      prompt: 'A heron.',
      size: '16:9',
      seconds: 5,
      variants: 1,
      callbackUrl: 'https://hooks.example.com/x',
    },
  },
  retry: { firstSeconds: 5, maxSeconds: 600, attempts: 3 },
};

test('deferred deliveries (the budget full) wait and ask again without spending attempts', async () => {
  const answers: DeliveryResult[] = [
    { delivered: false, retryable: true, deferred: true, error: 'busy' },
    { delivered: false, retryable: true, deferred: true, error: 'busy' },
    { delivered: false, retryable: true, error: 'no answer within 15000 ms' },
    { delivered: false, retryable: true, deferred: true, error: 'busy' },
    { delivered: true, retryable: false, status: 204 },
  ];
  const run = await drive(deliverCallback, input, () => answers.shift());
  assert.deepEqual(run.output, {
    type: 'video.completed',
    delivered: true,
    attempts: 2,
    lastStatus: 204,
    lastError: undefined,
  });
  assert.equal(run.calls.length, 5);
  assert.ok(run.timers.every((timer) => timer.fireAt > timer.createdAt));
});

test('real failures still end the delivery after its attempts', async () => {
  const run = await drive(deliverCallback, input, () => ({
    delivered: false,
    retryable: true,
    error: 'no answer within 15000 ms',
  }));
  assert.equal((run.output as { attempts: number }).attempts, 3);
  assert.equal(run.calls.length, 3);
});
