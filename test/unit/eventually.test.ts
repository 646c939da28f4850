// eventually() is what every other test waits with: it returns the first value that holds, fails
// with what was awaited and the last value read, and does not swallow a broken read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually } from '../support/eventually.js';

test('returns the first value that holds, reading until then', async () => {
  let reads = 0;
  const value = await eventually(
    'the third read',
    () => ++reads,
    (n) => n >= 3,
    { everyMs: 1 },
  );
  assert.equal(value, 3);
  assert.equal(reads, 3);
});

test('without a condition, waits for a value that is not undefined, null or false', async () => {
  const answers = [undefined, null, false, 0];
  const value = await eventually('a defined answer', async () => answers.shift(), { everyMs: 1 });
  assert.equal(value, 0);
});

test('fails after the time limit naming what it waited for and the last value read', async () => {
  await assert.rejects(
    eventually(
      'the phase to be completed',
      () => ({ phase: 'running' }),
      (s) => s.phase === 'completed',
      {
        timeoutMs: 50,
        everyMs: 5,
      },
    ),
    (error: Error) =>
      /^the phase to be completed: not reached after \d+ ms \(\d+ reads\); last value: \{"phase":"running"\}$/.test(
        error.message,
      ),
  );
});

test('a read that throws fails at once instead of being retried', async () => {
  let reads = 0;
  await assert.rejects(
    eventually(
      'anything',
      () => {
        reads++;
        throw new Error('connection refused');
      },
      { timeoutMs: 5_000 },
    ),
    /connection refused/,
  );
  assert.equal(reads, 1, 'read once, not retried until the time limit');
});
