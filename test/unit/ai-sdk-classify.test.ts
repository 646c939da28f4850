// Kind ai-sdk: what the AI SDK's errors become in our classes, with the SDK's own APICallError,
// and the job id read from each package's operation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APICallError } from '@ai-sdk/provider';
import {
  ContentFilteredError,
  CreateOutcomeUnknownError,
  ProviderPermanentError,
  ProviderTransientError,
} from '../../src/errors.js';
import { classifyAiSdkError } from '../../src/providers/ai-sdk/classify.js';
import { jobIdOf } from '../../src/providers/ai-sdk/provider.js';

const KEY = 'AIzaSy-very-secret';
const apiError = (fields: Partial<ConstructorParameters<typeof APICallError>[0]>) =>
  new APICallError({
    message: 'failed',
    url: `https://generativelanguage.googleapis.com/v1beta/files/x:download?alt=media&key=${KEY}`,
    requestBodyValues: {},
    ...fields,
  });
const classify = (error: unknown, create = true) =>
  classifyAiSdkError(error, 'google: create', create, [KEY]);

test('429 and 5xx are transient, with the wait from Retry-After or from Google RetryInfo', () => {
  const limited = classify(apiError({ statusCode: 429, responseHeaders: { 'retry-after': '7' } }));
  assert.ok(limited instanceof ProviderTransientError);
  assert.equal(limited.status, 429);
  assert.equal(limited.retryAfterSeconds, 7);
  const quota = classify(
    apiError({
      statusCode: 429,
      responseBody: JSON.stringify({
        error: { details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '12s' }] },
      }),
    }),
  );
  assert.ok(quota instanceof ProviderTransientError);
  assert.equal(quota.retryAfterSeconds, 12);
  assert.ok(classify(apiError({ statusCode: 503, isRetryable: true })) instanceof ProviderTransientError);
});

test('other 4xx are permanent; a content-policy refusal is content filtered', () => {
  const invalidKey = classify(
    apiError({ statusCode: 400, message: 'API key not valid. Please pass a valid API key.' }),
  );
  assert.ok(invalidKey instanceof ProviderPermanentError && !(invalidKey instanceof ContentFilteredError));
  const refused = classify(
    apiError({
      statusCode: 422,
      message: 'Unprocessable',
      responseBody: '{"detail":[{"type":"content_policy_violation"}]}',
    }),
  );
  assert.ok(refused instanceof ContentFilteredError, String(refused));
});

test('no answer: on a create the outcome is unknown (never re-sent blindly); on a status call, transient', () => {
  const reset = apiError({ message: 'Cannot connect to API: other side closed', isRetryable: true });
  assert.ok(classify(reset, true) instanceof CreateOutcomeUnknownError);
  assert.ok(classify(reset, false) instanceof ProviderTransientError);
  const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
  assert.ok(classify(timeout, true) instanceof CreateOutcomeUnknownError);
});

test('messages never carry the key, even where the SDK put it in a URL', () => {
  const error = classify(
    apiError({ statusCode: 403, message: `Forbidden for ${KEY} at https://x/?key=${KEY}&alt=media` }),
  );
  assert.ok(!error.message.includes(KEY), error.message);
  assert.match(error.message, /key=\[redacted\]/);
});

test("the job id is the vendor's id where the operation carries one, else a hash", () => {
  assert.equal(jobIdOf({ operationName: 'models/veo-3.1-generate-preview/operations/abc123' }), 'abc123');
  assert.equal(jobIdOf({ getUrl: 'https://api.replicate.com/v1/predictions/xyz789' }), 'xyz789');
  assert.equal(jobIdOf({ requestId: 'req_1' }), 'req_1');
  assert.match(jobIdOf({ opaque: [1, 2] }), /^[0-9a-f]{32}$/);
  assert.match(jobIdOf({ id: '../..' }), /^[0-9a-f]{32}$/, 'never a path escape');
});

test("@ai-sdk/gateway's GatewayErrors: classified by the HTTP failure they wrap; one that got no answer stays unknown", async () => {
  const { GatewayInternalServerError, GatewayRateLimitError, GatewayInvalidRequestError } =
    await import('@ai-sdk/gateway');
  const limited = classify(
    new GatewayRateLimitError({
      message: 'Rate limit exceeded',
      statusCode: 429,
      cause: apiError({ statusCode: 429, responseHeaders: { 'retry-after': '3' } }),
    }),
  );
  assert.ok(limited instanceof ProviderTransientError, String(limited));
  assert.deepEqual([limited.status, limited.retryAfterSeconds], [429, 3]);
  // What @ai-sdk/gateway 4.0.158 throws for a reset: a 500 whose cause has no status.
  const lost = new GatewayInternalServerError({
    message: 'Gateway request failed',
    statusCode: 500,
    cause: apiError({ message: 'Cannot connect to API: other side closed', isRetryable: true }),
  });
  assert.ok(classify(lost, true) instanceof CreateOutcomeUnknownError, 'never re-sent blindly');
  assert.ok(classify(lost, false) instanceof ProviderTransientError);
  const refused = classify(
    new GatewayInvalidRequestError({ message: '`duration` out of range', statusCode: 400 }),
  );
  assert.ok(refused instanceof ProviderPermanentError && !(refused instanceof ProviderTransientError));
  assert.equal(refused.status, 400);
  const down = classify(
    new GatewayInternalServerError({ message: 'Internal server error.', statusCode: 503 }),
  );
  assert.ok(down instanceof ProviderTransientError);
});
