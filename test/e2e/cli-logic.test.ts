// Pure logic behind the generate CLI (kept beside its e2e suites because cli/ is one owner's):
// reading status payloads of both shapes, request bodies per API family, output names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseGenerateArgs, requestBody, UsageError, variantFileName } from '../../cli/generate-args.js';
import { readJobStatus } from '../../cli/job-status.js';
import { redactUrl } from '../../cli/api-client.js';

test('Sora 1 defaults: 480x480, 5 s, one variant, jobs-API body', () => {
  const options = parseGenerateArgs(['A cat playing piano in a jazz bar.']);
  assert.deepEqual(requestBody(options), {
    prompt: 'A cat playing piano in a jazz bar.', width: 480, height: 480, n_seconds: 5, model: 'sora', n_variants: 1,
  });
  assert.equal(options.out, 'output.mp4');
  assert.equal(options.api, undefined);
});

test('sora-2 models get the videos-API body with string seconds and a WxH size', () => {
  const options = parseGenerateArgs(['a dog', '--model', 'sora-2', '--size', '1280x720', '--seconds', '8']);
  assert.deepEqual(requestBody(options), { prompt: 'a dog', size: '1280x720', seconds: '8', model: 'sora-2' });
});

test('bad options are usage errors that name the option', () => {
  assert.throws(() => parseGenerateArgs(['x', '--seconds', '0']), (e: Error) => e instanceof UsageError && /--seconds/.test(e.message));
  assert.throws(() => parseGenerateArgs(['x', '--api', 'not a url']), (e: Error) => e instanceof UsageError && /--api/.test(e.message));
  assert.throws(() => parseGenerateArgs(['x', '--bogus']), UsageError);
});

test('variants after the first get numbered file names', () => {
  assert.deepEqual([0, 1, 2].map((i) => variantFileName('out/clip.mp4', i)), ['out/clip.mp4', 'out/clip-2.mp4', 'out/clip-3.mp4']);
});

test('a running friendly status keeps the phase, Sora status and progress', () => {
  const view = readJobStatus({ id: 'a', phase: 'polling', soraStatus: 'running', progress: 40 });
  assert.deepEqual(view, { outcome: 'running', phase: 'polling', soraStatus: 'running', progress: 40, failureReason: undefined, videos: [] });
});

test('a completed durable payload yields the videos from its output', () => {
  const view = readJobStatus({
    runtimeStatus: 'Completed',
    output: { videos: [{ blobName: 'a/0.mp4', size: 10, contentType: 'video/mp4', url: 'http://x/a/0.mp4?sig=s' }] },
  });
  assert.equal(view.outcome, 'succeeded');
  assert.deepEqual(view.videos, [{ blobName: 'a/0.mp4', size: 10, contentType: 'video/mp4', url: 'http://x/a/0.mp4?sig=s' }]);
});

test('failure and cancellation carry the reason', () => {
  assert.deepEqual(
    [readJobStatus({ phase: 'failed', failureReason: 'input_moderation' }).failureReason, readJobStatus({ runtimeStatus: 'Failed', output: { error: { code: 'x', message: 'boom' } } }).failureReason],
    ['input_moderation', 'x: boom'],
  );
  assert.equal(readJobStatus({ runtimeStatus: 'Terminated' }).outcome, 'failed');
  assert.equal(readJobStatus({ phase: 'cancelled' }).outcome, 'cancelled');
});

test('printed URLs lose their query (SAS tokens, function keys)', () => {
  assert.equal(redactUrl('http://127.0.0.1:1/dev/videos/a.mp4?sv=1&sig=secret'), 'http://127.0.0.1:1/dev/videos/a.mp4');
});
