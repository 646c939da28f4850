// The failure policy of the durable host, as a pure decision: what follows the n-th failed
// episode in a row for a given error (see the README's "Durability").
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { afterEpisodeFailure, isPermanent } from '../../emulators/functions-host/durable/failure-policy.js';

const storageError = (statusCode: number | undefined, code?: string, message = 'refused') =>
  Object.assign(new Error(message), { statusCode, code });

describe('after a failed episode', () => {
  test("a refusal that would recur (4xx such as EntityTooLarge) fails the instance at once with storage's words", () => {
    const next = afterEpisodeFailure(
      storageError(413, 'EntityTooLarge', 'The entity is larger than allowed.'),
      1,
    );
    assert.deepEqual(next, {
      fail: true,
      reason:
        'its progress could not be saved to storage: HTTP 413 EntityTooLarge: The entity is larger than allowed.',
    });
  });

  test('storage unreachable or busy is waited out: 0.25, 1, 3, 6 s, then every 30 s, never failing', () => {
    for (const error of [
      storageError(503, 'ServerBusy'),
      storageError(429),
      storageError(408),
      storageError(412),
      storageError(undefined, 'ECONNREFUSED'),
    ]) {
      const delays = Array.from({ length: 8 }, (_, i) => afterEpisodeFailure(error, i + 1));
      assert.ok(
        delays.every((d) => !d.fail),
        String(error),
      );
      assert.deepEqual(
        delays.map((d) => (d.fail ? -1 : d.delayMs)),
        [250, 1000, 3000, 6000, 30_000, 30_000, 30_000, 30_000],
      );
    }
  });

  test("an error that is not storage's (a host bug) gets five tries, then fails the instance naming it", () => {
    const bug = new TypeError('x is undefined');
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => afterEpisodeFailure(bug, n).fail),
      [false, false, false, false],
    );
    const fifth = afterEpisodeFailure(bug, 5);
    assert.equal(fifth.fail, true);
    assert.match(fifth.reason, /^the host failed while running the episode: TypeError: x is undefined/);
  });

  test('isPermanent: 4xx except 408, 409, 412, 429', () => {
    assert.deepEqual(
      [400, 403, 404, 408, 409, 412, 413, 429, 500, 503].map((s) => isPermanent({ statusCode: s })),
      [true, true, true, false, false, false, true, false, false, false],
    );
    assert.equal(isPermanent(new Error('no status')), false);
  });
});
