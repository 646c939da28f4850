// Webhooks the emulator sends: fal's (Ed25519, checked here with node:crypto against the
// emulator's JWKS) and Replicate's (Standard Webhooks, checked with the standardwebhooks
// package), the event filter, retries of the terminal webhook, and the drop/delay switches.
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { json, startReceiver, type ReceivedWebhook } from './helpers.js';
import { eventually } from '../support/eventually.js';

const KLING = 'fal-ai/kling-video/v2/master/text-to-video';
type Jwks = { keys: Array<{ kty: string; crv: string; x: string; kid: string }> };

/** fal's verification steps (docs/providers/fal.md#webhooks), written here on their own. */
function verifyFal(webhook: ReceivedWebhook, jwks: Jwks): boolean {
  const h = webhook.headers;
  const timestamp = Number(h['x-fal-webhook-timestamp']);
  if (Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
  const message = Buffer.from(
    [
      h['x-fal-webhook-request-id'],
      h['x-fal-webhook-user-id'],
      h['x-fal-webhook-timestamp'],
      createHash('sha256').update(webhook.body).digest('hex'),
    ].join('\n'),
    'utf8',
  );
  const signature = Buffer.from(h['x-fal-webhook-signature'], 'hex');
  return jwks.keys.some((key) =>
    verify(
      null,
      message,
      createPublicKey({ key: { kty: key.kty, crv: key.crv, x: key.x }, format: 'jwk' }),
      signature,
    ),
  );
}

describe('provider emulator: webhooks', () => {
  let emulator: RunningProviderEmulator;
  const stats = async () =>
    (await json<{ webhooks: Record<string, number> }>(fetch(`${emulator.url}/_admin/stats`))).webhooks;
  /** The positive marker for "nothing more will be sent": no webhook on its way, no job that may still send one. */
  const settled = () =>
    eventually('no webhook on its way or still to come', stats, (s) => s.pending === 0 && s.watching === 0);
  const config = (body: unknown) =>
    fetch(`${emulator.url}/_admin/config`, { method: 'PATCH', body: JSON.stringify(body) });
  before(async () => {
    emulator = await startProviderEmulator({
      timeScale: 0.02,
      denyList: ['forbidden'],
      webhookRetryBaseMs: 50,
    });
  });
  after(() => emulator.stop());

  test('fal: one signed POST on completion that verifies against the JWKS; a tampered body does not', async () => {
    const receiver = await startReceiver();
    try {
      const submitted = await json<{ request_id: string }>(
        fetch(`${emulator.url}/fal/${KLING}?fal_webhook=${encodeURIComponent(receiver.url)}`, {
          method: 'POST',
          headers: { authorization: 'Key k' },
          body: JSON.stringify({ prompt: 'hooked' }),
        }),
      );
      await eventually(
        'fal webhook',
        async () => receiver.received.length,
        (n) => n === 1,
      );
      const [webhook] = receiver.received;
      const jwks = await json<Jwks>(fetch(`${emulator.url}/fal/.well-known/jwks.json`));
      assert.deepEqual(
        [jwks.keys[0].kty, jwks.keys[0].crv, typeof jwks.keys[0].kid],
        ['OKP', 'Ed25519', 'string'],
      );
      assert.ok(verifyFal(webhook, jwks), 'signature verifies');
      assert.ok(
        !verifyFal({ ...webhook, body: webhook.body.replace('"OK"', '"ERROR"') }, jwks),
        'a changed body fails',
      );
      const body = JSON.parse(webhook.body) as {
        request_id: string;
        gateway_request_id: string;
        status: string;
        payload: { video: { url: string } };
      };
      assert.deepEqual(
        [body.request_id, body.gateway_request_id, body.status],
        [submitted.request_id, submitted.request_id, 'OK'],
      );
      assert.equal(webhook.headers['x-fal-webhook-request-id'], submitted.request_id);
      assert.equal((await fetch(body.payload.video.url)).status, 200);

      await json(
        fetch(`${emulator.url}/fal/${KLING}?fal_webhook=${encodeURIComponent(receiver.url)}`, {
          method: 'POST',
          headers: { authorization: 'Key k' },
          body: JSON.stringify({ prompt: 'forbidden thing' }),
        }),
      );
      await eventually(
        'fal error webhook',
        async () => receiver.received.length,
        (n) => n === 2,
      );
      const error = JSON.parse(receiver.received[1].body) as {
        status: string;
        error: string;
        payload: { detail: Array<{ type: string }> };
      };
      assert.deepEqual(
        [error.status, error.error, error.payload.detail[0].type],
        ['ERROR', 'Invalid status code: 422', 'content_policy_violation'],
      );
      assert.ok(verifyFal(receiver.received[1], jwks));
    } finally {
      await receiver.stop();
    }
  });

  test('Replicate: Standard Webhooks signature verifies with the default secret; the filter picks the events', async () => {
    const receiver = await startReceiver();
    const api = (route: string, body?: unknown) =>
      fetch(`${emulator.url}/replicate/v1${route}`, {
        method: body ? 'POST' : 'GET',
        headers: { authorization: 'Bearer r8', 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      });
    try {
      const { key } = await json<{ key: string }>(api('/webhooks/default/secret'));
      assert.match(key, /^whsec_/);
      const verifier = new Webhook(key);
      const withFilter = await json<{ id: string }>(
        api('/models/kwaivgi/kling-v2.0/predictions', {
          input: { prompt: 'hook' },
          webhook: receiver.url,
          webhook_events_filter: ['start', 'completed'],
        }),
      );
      await eventually(
        'start and completed webhooks',
        async () => receiver.received.length,
        (n) => n === 2,
      );
      await settled();
      const events = receiver.received.map(
        (w) => verifier.verify(w.body, w.headers) as { id: string; status: string; output: string | null },
      );
      assert.deepEqual(
        events.map((e) => [e.id, e.status]),
        [
          [withFilter.id, 'starting'],
          [withFilter.id, 'succeeded'],
        ],
      );
      assert.ok(events[1].output);
      assert.throws(() =>
        verifier.verify(
          receiver.received[1].body.replace('succeeded', 'failed'),
          receiver.received[1].headers,
        ),
      );

      receiver.received.length = 0;
      await json(
        api('/models/kwaivgi/kling-v2.0/predictions', {
          input: { prompt: 'default filter' },
          webhook: receiver.url,
        }),
      );
      await eventually(
        'terminal webhook',
        async () => receiver.received.length,
        (n) => n === 1,
      );
      await settled();
      assert.equal(
        receiver.received.length,
        1,
        'default: one webhook carrying the output and the completion',
      );
      assert.equal(
        (verifier.verify(receiver.received[0].body, receiver.received[0].headers) as { status: string })
          .status,
        'succeeded',
      );
    } finally {
      await receiver.stop();
    }
  });

  test('Replicate: a logs filter sends intermediate events while processing; an output filter sends the finished prediction once', async () => {
    const receiver = await startReceiver();
    const create = (filter: string[]) =>
      json<{ id: string }>(
        fetch(`${emulator.url}/replicate/v1/models/google/veo-3.1/predictions`, {
          method: 'POST',
          headers: { authorization: 'Bearer r8' },
          body: JSON.stringify({
            input: { prompt: 'events', duration: 8, resolution: '1080p' },
            webhook: receiver.url,
            webhook_events_filter: filter,
          }),
        }),
      );
    try {
      const { key } = await json<{ key: string }>(
        fetch(`${emulator.url}/replicate/v1/webhooks/default/secret`, {
          headers: { authorization: 'Bearer r8' },
        }),
      );
      const verifier = new Webhook(key);
      const logged = await create(['logs']);
      await eventually(
        'finished',
        async () =>
          (await json<{ finishedAtMs: number | null }>(fetch(`${emulator.url}/_admin/jobs/${logged.id}`)))
            .finishedAtMs,
        (t) => t !== null,
      );
      await settled();
      const events = receiver.received.map(
        (w) => verifier.verify(w.body, w.headers) as { status: string; logs: string },
      );
      assert.ok(events.length >= 1, 'at least one logs event');
      assert.ok(
        events.every((e) => e.status === 'processing' && e.logs.length > 0),
        JSON.stringify(events.map((e) => e.status)),
      );

      receiver.received.length = 0;
      const output = await create(['output']);
      await eventually(
        'output webhook',
        async () => receiver.received.length,
        (n) => n === 1,
      );
      const event = verifier.verify(receiver.received[0].body, receiver.received[0].headers) as {
        id: string;
        status: string;
        output: string;
      };
      assert.deepEqual([event.id, event.status, typeof event.output], [output.id, 'succeeded', 'string']);
    } finally {
      await receiver.stop();
    }
  });

  test('fal: a failed delivery is retried, each attempt signed again and verifiable', async () => {
    const receiver = await startReceiver((n) => (n === 1 ? 503 : 200));
    try {
      const submitted = await json<{ request_id: string }>(
        fetch(`${emulator.url}/fal/${KLING}?fal_webhook=${encodeURIComponent(receiver.url)}`, {
          method: 'POST',
          headers: { authorization: 'Key k' },
          body: JSON.stringify({ prompt: 'retry' }),
        }),
      );
      await eventually(
        'two attempts',
        async () => receiver.received.length,
        (n) => n === 2,
      );
      const jwks = await json<Jwks>(fetch(`${emulator.url}/fal/.well-known/jwks.json`));
      assert.ok(
        receiver.received.every(
          (w) => w.headers['x-fal-webhook-request-id'] === submitted.request_id && verifyFal(w, jwks),
        ),
      );
    } finally {
      await receiver.stop();
    }
  });

  test('a failing endpoint gets the terminal webhook again (same webhook-id); drop and delay switches work', async () => {
    const receiver = await startReceiver((n) => (n === 1 ? 500 : 200));
    const create = () =>
      fetch(`${emulator.url}/replicate/v1/models/google/veo-3.1/predictions`, {
        method: 'POST',
        headers: { authorization: 'Bearer r8' },
        body: JSON.stringify({ input: { prompt: 'retry me', duration: 4 }, webhook: receiver.url }),
      }).then((r) => json<{ id: string }>(r));
    try {
      const before = await stats();
      await create();
      await eventually(
        'retried webhook',
        async () => receiver.received.length,
        (n) => n === 2,
      );
      assert.equal(receiver.received[0].headers['webhook-id'], receiver.received[1].headers['webhook-id']);
      const afterRetry = await stats();
      assert.equal(afterRetry.retried - before.retried, 1);
      assert.equal(afterRetry.delivered - before.delivered, 1);

      await config({ webhookDropRate: 1 });
      const dropped = await create();
      await eventually(
        'finished',
        async () =>
          (await json<{ finishedAtMs: number | null }>(fetch(`${emulator.url}/_admin/jobs/${dropped.id}`)))
            .finishedAtMs,
        (t) => t !== null,
      );
      await eventually('dropped counted', stats, (s) => s.dropped === afterRetry.dropped + 1);
      await settled();
      assert.equal(receiver.received.length, 2, 'nothing sent');

      await config({ webhookDropRate: 0, webhookDelayMs: 400 });
      const delayed = await create();
      await eventually(
        'delayed webhook',
        async () => receiver.received.length,
        (n) => n === 3,
      );
      const { finishedAtMs } = await json<{ finishedAtMs: number }>(
        fetch(`${emulator.url}/_admin/jobs/${delayed.id}`),
      );
      assert.ok(
        receiver.received[2].at - finishedAtMs >= 400,
        `arrived ${receiver.received[2].at - finishedAtMs} ms after the end`,
      );
    } finally {
      await config({ webhookDropRate: 0, webhookDelayMs: 0 });
      await receiver.stop();
    }
  });
});
