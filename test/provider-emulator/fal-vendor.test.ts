// The fal dialect where fal's queue differs from a plain "validate, run, answer" service: the queue
// accepts input the model refuses and the refusal is the request's outcome (an ERROR webhook with
// "Invalid status code: 422" and the validation detail, a 422 result), and a cancel of a running
// request is only a signal the app may ignore, so the video can still be made.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { falCaller, json, type FalStatus as Status, startReceiver } from './helpers.js';
import { eventually } from '../support/eventually.js';

const KLING = 'fal-ai/kling-video/v2/master/text-to-video';

interface DetailItem {
  loc: string[];
  msg: string;
  type: string;
  url: string;
}

describe('provider emulator: fal behaviours beyond the happy path', () => {
  let emulator: RunningProviderEmulator;
  const call = falCaller(() => emulator.url, 'kv');
  const config = (settings: Record<string, unknown>) =>
    fetch(`${emulator.url}/_admin/config`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(settings),
    });
  const completed = (s: Status, key = 'kv') =>
    eventually(
      'COMPLETED',
      () => json<Status>(call('GET', new URL(s.status_url).pathname, undefined, key)),
      (v) => v.status === 'COMPLETED',
    );
  before(async () => {
    emulator = await startProviderEmulator({ timeScale: 0.05, falConcurrency: 2 });
  });
  after(() => emulator.stop());

  test('input the model refuses is queued; the 422 with its validation detail is the outcome', async () => {
    const hook = await startReceiver();
    try {
      const cases: Array<[string, unknown, string]> = [
        [KLING, { prompt: 'p', duration: 5 }, 'duration'],
        [KLING, { prompt: 'p', aspect_ratio: '4:3' }, 'aspect_ratio'],
        [KLING, { duration: '5' }, 'prompt'],
        ['fal-ai/veo3', { prompt: 'p', resolution: '4k' }, 'resolution'],
      ];
      for (const [model, input, field] of cases) {
        const submitted = await call(
          'POST',
          `/fal/${model}?fal_webhook=${encodeURIComponent(hook.url)}`,
          input,
        );
        assert.equal(submitted.status, 200, `${model} ${JSON.stringify(input)} is accepted by the queue`);
        const s = await json<Status>(submitted);
        assert.equal(s.status, 'IN_QUEUE');
        const done = await completed(s);
        assert.equal(done.error, 'Invalid status code: 422');
        const result = await call('GET', new URL(s.response_url).pathname);
        assert.equal(result.status, 422);
        const body = await json<{ detail: DetailItem[] }>(result);
        assert.deepEqual(body.detail[0].loc, ['body', field]);
        assert.ok(body.detail[0].msg && body.detail[0].type);
        // fal's model error items link to the docs of their type; the answer says it is not retryable.
        assert.equal(body.detail[0].url, `https://docs.fal.ai/errors#${body.detail[0].type}`);
        assert.equal(result.headers.get('x-fal-retryable'), 'false');
        assert.equal(result.headers.get('x-fal-request-id'), s.request_id);
        const delivered = await eventually(
          'the ERROR webhook',
          async () => hook.received.map((w) => JSON.parse(w.body) as Record<string, unknown>),
          (all) => all.some((w) => w.request_id === s.request_id),
        );
        const webhook = delivered.find((w) => w.request_id === s.request_id)!;
        assert.equal(webhook.status, 'ERROR');
        assert.equal(webhook.error, 'Invalid status code: 422');
        assert.deepEqual(webhook.payload, body);
      }
      // Not JSON at all, an unknown model and a missing key are still refused at once.
      const notJson = await fetch(`${emulator.url}/fal/${KLING}`, {
        method: 'POST',
        headers: { authorization: 'Key kv', 'content-type': 'application/json' },
        body: '{',
      });
      assert.equal(notJson.status, 422);
      assert.equal((await call('POST', '/fal/fal-ai/no-such-model', { prompt: 'p' })).status, 404);
      assert.equal((await fetch(`${emulator.url}/fal/${KLING}`, { method: 'POST', body: '{}' })).status, 401);
    } finally {
      await hook.stop();
    }
  });

  test('falIgnoreRunningCancel: a running request answers 202 to a cancel and still finishes with its video', async () => {
    assert.equal((await config({ falIgnoreRunningCancel: true })).status, 200);
    const hook = await startReceiver();
    try {
      const s = await json<Status>(
        call(
          'POST',
          `/fal/${KLING}?fal_webhook=${encodeURIComponent(hook.url)}`,
          { prompt: 'runs on' },
          'kc',
        ),
      );
      await eventually(
        'IN_PROGRESS',
        () => json<Status>(call('GET', new URL(s.status_url).pathname, undefined, 'kc')),
        (v) => v.status === 'IN_PROGRESS',
      );
      const cancel = await call('PUT', new URL(s.cancel_url).pathname, undefined, 'kc');
      assert.equal(cancel.status, 202);
      assert.deepEqual(await cancel.json(), { status: 'CANCELLATION_REQUESTED' });
      const done = await completed(s, 'kc');
      assert.equal(done.error, undefined);
      const result = await call('GET', new URL(s.response_url).pathname, undefined, 'kc');
      assert.equal(result.status, 200);
      const video = (await json<{ video: { url: string } }>(result)).video;
      assert.equal((await fetch(video.url)).status, 200);
      // Its webhook is the OK one (`error: null`, as in fal's webhook docs), cancel or not.
      const [webhook] = await eventually(
        'the webhook',
        async () => hook.received.map((w) => JSON.parse(w.body) as Record<string, unknown>),
        (all) => all.length > 0,
      );
      assert.deepEqual([webhook.status, webhook.error], ['OK', null]);

      // A queued request is still removed: fal takes it off the queue whatever the app does.
      await config({ falConcurrency: 1 });
      const first = await json<Status>(call('POST', `/fal/${KLING}`, { prompt: 'first' }, 'kq'));
      const second = await json<Status>(call('POST', `/fal/${KLING}`, { prompt: 'second' }, 'kq'));
      assert.equal((await call('PUT', new URL(second.cancel_url).pathname, undefined, 'kq')).status, 202);
      assert.equal((await completed(second, 'kq')).error_type, 'client_cancelled');
      await completed(first, 'kq');
    } finally {
      await hook.stop();
      await config({ falIgnoreRunningCancel: false, falConcurrency: 2 });
    }
  });

  test('by default a running request honours the cancel and ends client_cancelled', async () => {
    const s = await json<Status>(call('POST', `/fal/${KLING}`, { prompt: 'stops' }, 'kd'));
    await eventually(
      'IN_PROGRESS',
      () => json<Status>(call('GET', new URL(s.status_url).pathname, undefined, 'kd')),
      (v) => v.status === 'IN_PROGRESS',
    );
    assert.equal((await call('PUT', new URL(s.cancel_url).pathname, undefined, 'kd')).status, 202);
    const done = await completed(s, 'kd');
    assert.equal(done.error_type, 'client_cancelled');
    assert.equal((await call('GET', new URL(s.response_url).pathname, undefined, 'kd')).status, 499);
  });

  test('X-Fal-Request-Timeout at or below 0.1 s, or not a number, is a 400 bad_request; nothing is queued', async () => {
    for (const value of ['0.1', '0', '-5', 'soon', '']) {
      const response = await fetch(`${emulator.url}/fal/${KLING}`, {
        method: 'POST',
        headers: {
          authorization: 'Key kt',
          'content-type': 'application/json',
          'x-fal-request-timeout': value,
        },
        body: JSON.stringify({ prompt: 'p' }),
      });
      assert.equal(response.status, 400, `"${value}"`);
      assert.equal(response.headers.get('x-fal-error-type'), 'bad_request');
      assert.equal((await json<{ error_type: string }>(response)).error_type, 'bad_request');
    }
    const accepted = await fetch(`${emulator.url}/fal/${KLING}`, {
      method: 'POST',
      headers: {
        authorization: 'Key kt',
        'content-type': 'application/json',
        'x-fal-request-timeout': '0.5',
      },
      body: JSON.stringify({ prompt: 'p' }),
    });
    assert.equal(accepted.status, 200);
    await completed(await json<Status>(accepted), 'kt');
  });

  test('every answer about a request carries x-fal-request-id; a cancel of an unknown request is 404 NOT_FOUND', async () => {
    const s = await json<Status>(call('POST', `/fal/${KLING}`, { prompt: 'headers' }, 'kh'));
    const stream = await call('GET', `${new URL(s.status_url).pathname}/stream`, undefined, 'kh');
    assert.equal(stream.headers.get('x-fal-request-id'), s.request_id);
    await stream.body?.cancel();
    const status = await call('GET', new URL(s.status_url).pathname, undefined, 'kh');
    assert.equal(status.headers.get('x-fal-request-id'), s.request_id);
    const cancel = await call('PUT', new URL(s.cancel_url).pathname, undefined, 'kh');
    assert.equal(cancel.status, 202);
    assert.equal(cancel.headers.get('x-fal-request-id'), s.request_id);
    await completed(s, 'kh');
    const again = await call('PUT', new URL(s.cancel_url).pathname, undefined, 'kh');
    assert.deepEqual([again.status, await again.json()], [400, { status: 'ALREADY_COMPLETED' }]);
    assert.equal(again.headers.get('x-fal-request-id'), s.request_id);
    const unknown = await call(
      'PUT',
      '/fal/fal-ai/kling-video/requests/00000000-0000-0000-0000-000000000000/cancel',
      undefined,
      'kh',
    );
    assert.deepEqual([unknown.status, await unknown.json()], [404, { status: 'NOT_FOUND' }]);
  });

  test('X-Fal-Object-Lifecycle-Preference: N ≥ 1 s sets the file lifetime, null keeps it; other values are ignored', async () => {
    const submit = async (lifecycle: string) => {
      const response = await fetch(`${emulator.url}/fal/${KLING}`, {
        method: 'POST',
        headers: {
          authorization: 'Key kl',
          'content-type': 'application/json',
          'x-fal-object-lifecycle-preference': lifecycle,
        },
        body: JSON.stringify({ prompt: 'kept or not' }),
      });
      assert.equal(response.status, 200);
      const s = await json<Status>(response);
      await completed(s, 'kl');
      const result = await json<{ video: { url: string } }>(
        call('GET', new URL(s.response_url).pathname, undefined, 'kl'),
      );
      return result.video.url;
    };
    // The others finish first, so once the 1 s file is gone they have outlived 1 s too.
    const kept = await submit('{"expiration_duration_seconds": null}');
    const ignored = await submit('{"expiration_duration_seconds": 0}');
    const malformed = await submit('not json');
    const short = await submit('{"expiration_duration_seconds": 1}');
    assert.equal((await fetch(short)).status, 200);
    await eventually(
      'the 1 s file gone',
      async () => (await fetch(short)).status,
      (status) => status === 404,
      { timeoutMs: 5000 },
    );
    for (const url of [kept, ignored, malformed]) assert.equal((await fetch(url)).status, 200, url);
  });
});
