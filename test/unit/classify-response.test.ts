// Which Sora failures may be retried: by status, error code and retry headers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ContentFilteredError, ProviderPermanentError, ProviderTransientError } from '../../src/errors.js';
import { classifyFailedResponse, retryAfterSeconds } from '../../src/providers/http/classify-response.js';

const now = Date.parse('2026-11-24T12:00:00Z');
const response = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
  status,
  body,
  header: (name: string) => headers[name.toLowerCase()] ?? null,
});

describe('classifyFailedResponse', () => {
  test('429 with retry-after is transient and keeps the delay', () => {
    const error = classifyFailedResponse(
      response(
        429,
        { error: { message: 'Too many running tasks', type: 'video_generation_user_error' } },
        { 'retry-after': '12' },
      ),
      'Create video',
      now,
    );
    assert.ok(error instanceof ProviderTransientError);
    assert.equal(error.retryAfterSeconds, 12);
    assert.match(error.message, /Create video failed with HTTP 429: Too many running tasks/);
  });
  for (const status of [408, 500, 502, 503, 504]) {
    test(`${status} is transient`, () =>
      assert.ok(
        classifyFailedResponse(response(status, null), 'Get job', now) instanceof ProviderTransientError,
      ));
  }
  for (const status of [400, 401, 403, 404, 409, 422]) {
    test(`${status} is permanent`, () => {
      const error = classifyFailedResponse(
        response(status, { error: { code: 'invalid', message: 'bad' } }),
        'Create video',
        now,
      );
      assert.ok(error instanceof ProviderPermanentError && !(error instanceof ContentFilteredError));
      assert.equal(error.status, status);
      assert.equal(error.code, 'invalid');
    });
  }
  for (const code of ['content_filter', 'moderation_blocked']) {
    test(`${code} is content-filtered (and permanent)`, () => {
      const error = classifyFailedResponse(
        response(400, { error: { code, message: 'blocked' } }),
        'Create video',
        now,
      );
      assert.ok(error instanceof ContentFilteredError);
      assert.ok(error instanceof ProviderPermanentError);
      assert.equal(error.name, 'ContentFilteredError');
    });
  }
});

describe('retryAfterSeconds', () => {
  const headers = (h: Record<string, string>) => (name: string) => h[name] ?? null;
  test('prefers retry-after-ms', () =>
    assert.equal(retryAfterSeconds(headers({ 'retry-after-ms': '1500', 'retry-after': '9' }), now), 1.5));
  test('reads seconds', () => assert.equal(retryAfterSeconds(headers({ 'retry-after': '3' }), now), 3));
  test('reads an HTTP date', () =>
    assert.equal(retryAfterSeconds(headers({ 'retry-after': 'Tue, 24 Nov 2026 12:00:30 GMT' }), now), 30));
  test('ignores garbage and absence', () => {
    assert.equal(retryAfterSeconds(headers({ 'retry-after': 'soon' }), now), undefined);
    assert.equal(retryAfterSeconds(headers({}), now), undefined);
  });
  test("without a header, the body's retry_after (at its root or under error); a header wins", () => {
    assert.equal(retryAfterSeconds(headers({}), now, { retry_after: 7 }), 7);
    assert.equal(
      retryAfterSeconds(headers({}), now, { error: { message: 'slow down', retry_after: '2.5' } }),
      2.5,
    );
    assert.equal(retryAfterSeconds(headers({ 'retry-after': '3' }), now, { retry_after: 7 }), 3);
    assert.equal(retryAfterSeconds(headers({ 'retry-after': 'soon' }), now, { retry_after: 4 }), 4);
    assert.equal(retryAfterSeconds(headers({}), now, { retry_after: -1 }), undefined);
    assert.equal(retryAfterSeconds(headers({}), now, 'retry_after: 9'), undefined);
  });
  test('a 429 whose body alone says when keeps that delay, for each kind of body', () => {
    const error = classifyFailedResponse(
      {
        status: 429,
        header: () => null,
        body: { error: { code: 'rate_limited', message: 'x', retry_after: 11 } },
      },
      'Creating the job',
      now,
    ) as ProviderTransientError;
    assert.equal(error.retryAfterSeconds, 11);
  });
});
