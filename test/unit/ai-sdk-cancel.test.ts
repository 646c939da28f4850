// Kind ai-sdk: a package's stored operation → its vendor's documented cancel call (cancel.ts,
// pure), and the packages whose vendor documents none. The operations are the shapes the pinned
// packages store (docs/providers/ai-sdk.md#what-each-package-keeps-in-operation-and-the-job-id-we-show).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProviderPermanentError, ProviderTransientError } from '../../src/errors.js';
import {
  classifyCancelAnswer,
  falCancel,
  replicateCancel,
  REPLICATE_API,
} from '../../src/providers/ai-sdk/cancel.js';
import { VENDOR_CANCEL } from '../../src/providers/ai-sdk/packages.js';
import { createAiSdkProvider } from '../../src/providers/ai-sdk/provider.js';

const refused = (what: RegExp) => (error: unknown) => {
  assert.ok(error instanceof ProviderPermanentError, String(error));
  assert.equal(error.code, 'invalid_operation');
  assert.match(error.message, what);
  return true;
};

describe('Replicate: POST {base}/predictions/{id}/cancel', () => {
  test("the prediction named by @ai-sdk/replicate's getUrl, at Replicate's API by default", () => {
    const call = replicateCancel(
      { getUrl: `${REPLICATE_API}/predictions/gm3qorzdhgbfurvjtvhg6dckhu` },
      undefined,
    );
    assert.deepEqual(call, {
      service: 'Replicate',
      baseUrl: 'https://api.replicate.com/v1',
      path: '/predictions/gm3qorzdhgbfurvjtvhg6dckhu/cancel',
      method: 'POST',
      scheme: 'Bearer',
      jobId: 'gm3qorzdhgbfurvjtvhg6dckhu',
      nothingLeft: [404],
    });
  });

  test("at the instance's base URL, with or without a trailing slash", () => {
    for (const base of ['http://127.0.0.1:7000/replicate/v1', 'http://127.0.0.1:7000/replicate/v1/']) {
      const call = replicateCancel({ getUrl: 'http://127.0.0.1:7000/replicate/v1/predictions/abc123' }, base);
      assert.equal(call.baseUrl, 'http://127.0.0.1:7000/replicate/v1');
      assert.equal(call.path, '/predictions/abc123/cancel');
    }
  });

  test('a getUrl anywhere but a prediction at the base URL is refused: the key goes nowhere else', () => {
    const cases: Array<[unknown, RegExp]> = [
      [
        { getUrl: 'https://attacker.example/v1/predictions/abc' },
        /not a prediction at the instance's base URL/,
      ],
      [{ getUrl: 'https://api.replicate.com/v2/predictions/abc' }, /not a prediction/],
      [{ getUrl: 'https://api.replicate.com/v1/predictions/abc/extra' }, /no prediction id/],
      [{ getUrl: 'https://api.replicate.com/v1/predictions/' }, /not a prediction/],
      [{ getUrl: 'https://api.replicate.com/v1/predictions/abc?x=1' }, /not a prediction/],
      [{ getUrl: 'https://user:pw@api.replicate.com/v1/predictions/abc' }, /carries credentials/],
      [{ getUrl: 'ftp://api.replicate.com/v1/predictions/abc' }, /not http\(s\)/],
      [{ getUrl: 'not a url' }, /not a URL/],
      [{ operationName: 'models/x/operations/y' }, /no getUrl/],
      [null, /no getUrl/],
    ];
    for (const [operation, message] of cases)
      assert.throws(() => replicateCancel(operation, undefined), refused(message), JSON.stringify(operation));
  });
});

describe('fal: PUT {queue}/{owner}/{app}/requests/{id}/cancel', () => {
  const id = '764cabcf-b745-4b3e-ae38-1200304cf45b';
  test("the request named by @ai-sdk/fal's responseUrl, at the origin it was submitted to", () => {
    const call = falCancel({
      responseUrl: `https://queue.fal.run/fal-ai/kling-video/requests/${id}`,
      submitUrl: 'https://queue.fal.run/fal-ai/kling-video/v2/master/text-to-video',
    });
    assert.deepEqual(call, {
      service: 'fal',
      baseUrl: 'https://queue.fal.run',
      path: `/fal-ai/kling-video/requests/${id}/cancel`,
      method: 'PUT',
      scheme: 'Key',
      jobId: id,
      nothingLeft: [400, 404],
    });
  });

  test('a responseUrl at another origin than the submit, or not a request, is refused', () => {
    const submitUrl = 'https://queue.fal.run/fal-ai/veo3';
    const cases: Array<[unknown, RegExp]> = [
      [
        { responseUrl: `https://attacker.example/fal-ai/veo3/requests/${id}`, submitUrl },
        /not at the origin/,
      ],
      [{ responseUrl: `http://queue.fal.run/fal-ai/veo3/requests/${id}`, submitUrl }, /not at the origin/],
      [{ responseUrl: `https://queue.fal.run/fal-ai/veo3/status/${id}`, submitUrl }, /not a fal request/],
      [{ responseUrl: `https://queue.fal.run/requests/${id}`, submitUrl }, /not a fal request/],
      [
        { responseUrl: `https://queue.fal.run/fal-ai/veo3/requests/${id}?a=b`, submitUrl },
        /not a fal request/,
      ],
      [{ responseUrl: 'https://queue.fal.run/fal-ai/veo3/requests/%2E%2E', submitUrl }, /not a fal request/],
      [{ responseUrl: `https://queue.fal.run/fal-ai/veo3/requests/${id}` }, /no submitUrl/],
      [{ submitUrl }, /no responseUrl/],
    ];
    for (const [operation, message] of cases)
      assert.throws(() => falCancel(operation), refused(message), JSON.stringify(operation));
  });
});

test('only fal and Replicate document a cancel; the others answer cancel_unsupported and send nothing', async () => {
  assert.deepEqual(
    Object.entries(VENDOR_CANCEL)
      .filter(([, cancel]) => cancel !== undefined)
      .map(([name]) => name)
      .sort(),
    ['@ai-sdk/fal', '@ai-sdk/replicate'],
  );
  let sent = 0;
  for (const pkg of ['@ai-sdk/google', '@ai-sdk/xai', '@ai-sdk/gateway'] as const) {
    const provider = createAiSdkProvider(
      'p',
      { package: pkg, apiKey: 'k' },
      {
        requestTimeoutMs: 1000,
        fetch: async () => {
          sent += 1;
          return new Response(null, { status: 500 });
        },
        handles: {
          save: async () => undefined,
          load: async () => '{"operationName":"models/m/operations/o"}',
        },
      },
    );
    await assert.rejects(provider.cancelJob({ model: 'm', jobId: 'o' }), (error: unknown) => {
      assert.ok(error instanceof ProviderPermanentError);
      assert.equal(error.code, 'cancel_unsupported');
      assert.match(error.message, /documents no cancel; job o runs to its end at the provider/);
      return true;
    });
  }
  assert.equal(sent, 0, 'no request was sent');
});

test("a failed cancel answer: 429/408/5xx transient with the wait, others final, in the vendor's words", () => {
  const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    classifyCancelAnswer({ status, header: (name) => headers[name] ?? null, body }, 'cancel fal job r1', 0);
  const limited = answer(429, { detail: 'Too many requests' }, { 'retry-after': '3' });
  assert.ok(limited instanceof ProviderTransientError);
  assert.equal(limited.retryAfterSeconds, 3);
  assert.equal(limited.message, 'cancel fal job r1 failed with HTTP 429: Too many requests');
  assert.ok(answer(503, null) instanceof ProviderTransientError);
  assert.ok(answer(408, null) instanceof ProviderTransientError);
  const done = answer(400, { status: 'ALREADY_COMPLETED' });
  assert.ok(done instanceof ProviderPermanentError);
  assert.equal(done.status, 400);
  assert.equal(done.message, 'cancel fal job r1 failed with HTTP 400: ALREADY_COMPLETED');
  const denied = answer(401, { title: 'Unauthenticated', detail: 'You did not pass a valid token' });
  assert.ok(denied instanceof ProviderPermanentError && !(denied instanceof ProviderTransientError));
  assert.match(denied.message, /HTTP 401: You did not pass a valid token/);
});
