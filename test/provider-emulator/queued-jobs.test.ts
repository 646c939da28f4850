// The shared queue's schedule, read at chosen instants: slots per account, positions, cancels
// that free a place for the jobs behind, deadlines, and a limit changed at runtime.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobQueue, type QueuedJob } from '../../emulators/providers/queued-jobs.js';

const job = (id: string, createdMs: number, extra: Partial<QueuedJob> = {}): QueuedJob => ({
  id,
  account: 'a',
  createdMs,
  queueMs: 10,
  runMs: 100,
  moderated: false,
  lateFailure: null,
  ...extra,
});

test('two slots: the third job waits for the first to end, with its position going down', () => {
  let slots = 2;
  const queue = new JobQueue<QueuedJob>(() => slots);
  const [a, b, c] = [job('a', 0), job('b', 0), job('c', 0)];
  for (const j of [a, b, c]) queue.add(j);
  queue.add(job('other', 0, { account: 'b' }));
  assert.deepEqual(
    [queue.state(a, 5), queue.state(c, 5)].map((s) => [s.phase, s.queuePosition]),
    [
      ['queued', 0],
      ['queued', 2],
    ],
  );
  assert.deepEqual(
    [
      queue.state(a, 50).phase,
      queue.state(b, 50).phase,
      queue.state(c, 50).phase,
      queue.state(c, 50).queuePosition,
    ],
    ['running', 'running', 'queued', 0],
  );
  assert.deepEqual(queue.state(c, 110), {
    phase: 'running',
    startedMs: 110,
    finishedMs: null,
    queuePosition: 0,
  });
  assert.deepEqual(queue.state(c, 500), {
    phase: 'succeeded',
    startedMs: 110,
    finishedMs: 210,
    queuePosition: 0,
  });
  assert.equal(queue.state(queue.get('other')!, 50).phase, 'running', 'another account has its own slots');
  assert.deepEqual(
    queue.runningBy(() => 'all', 50),
    { all: 4 },
  );

  queue.cancel(b, 60);
  assert.deepEqual(queue.state(b, 70), {
    phase: 'cancelled',
    startedMs: 10,
    finishedMs: 60,
    queuePosition: 0,
  });
  assert.equal(queue.state(c, 65).phase, 'running', 'the cancelled job freed its slot at once');
  assert.equal(queue.state(c, 65).startedMs, 60);

  slots = 3;
  assert.equal(queue.state(c, 20).phase, 'running', 'a larger limit re-plans the queue');
});

test('a cancel while queued means it never starts; deadlines expire or cancel; moderated jobs fail at their start', () => {
  const queue = new JobQueue<QueuedJob>(() => 1);
  const first = job('first', 0);
  const waiting = job('waiting', 0);
  const impatient = job('impatient', 0, { startDeadlineMs: 50 });
  const bounded = job('bounded', 0, { runDeadlineMs: 150 });
  for (const j of [first, waiting, impatient, bounded]) queue.add(j);
  queue.cancel(waiting, 20);
  assert.deepEqual(queue.state(waiting, 30), {
    phase: 'cancelled',
    startedMs: null,
    finishedMs: 20,
    queuePosition: 0,
  });
  assert.deepEqual(queue.state(impatient, 60), {
    phase: 'expired',
    startedMs: null,
    finishedMs: 50,
    queuePosition: 0,
  });
  assert.deepEqual(queue.state(bounded, 200), {
    phase: 'cancelled',
    startedMs: 110,
    finishedMs: 150,
    queuePosition: 0,
  });
  const flagged = job('flagged', 300, { moderated: true });
  queue.add(flagged);
  assert.deepEqual(queue.state(flagged, 400), {
    phase: 'failed',
    startedMs: 310,
    finishedMs: 310,
    queuePosition: 0,
  });
  assert.equal(queue.plannedEnd(first), 110);
});
