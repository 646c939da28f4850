// Pure logic behind the generate and start CLIs (kept beside their e2e suites because cli/ is
// one owner's): reading the status view, the request body, output names, the emulator's speed-up.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  parseGenerateArgs,
  parseImage,
  requestBody,
  UsageError,
  variantFileName,
} from '../../cli/generate-args.js';
import { solidJpeg, solidPng, solidWebp, SVG } from '../support/test-images.js';
import { readJobStatus } from '../../cli/job-status.js';
import { describe as describeProgress, ordinal } from '../../cli/progress-display.js';
import { redactUrl } from '../../cli/api-client.js';
import { imageTypeOf, UPLOAD_LIMIT_BYTES } from '../../cli/image-file.js';
import { sniffFormat } from '../../src/images/image-check.js';
import { MAX_UPLOAD_BYTES } from '../../src/uploads/receive-image.js';
import { emulatorTimeScale, wireProviders } from '../../cli/local-stack.js';

test("no options: the prompt alone (the app applies the default provider's model and its defaults)", () => {
  const options = parseGenerateArgs(['A cat playing piano in a jazz bar.']);
  assert.deepEqual(requestBody(options), { prompt: 'A cat playing piano in a jazz bar.' });
  assert.equal(options.out, 'output.mp4');
  assert.equal(options.api, undefined);
});

test('the options given become the provider-neutral body', () => {
  const options = parseGenerateArgs([
    'a dog',
    '--provider',
    'fal',
    '--model',
    'fal-ai/veo3',
    '--size',
    '16:9',
    '--seconds',
    '8',
  ]);
  assert.deepEqual(requestBody(options), {
    prompt: 'a dog',
    provider: 'fal',
    model: 'fal-ai/veo3',
    size: '16:9',
    seconds: 8,
  });
});

test('bad options are usage errors that name the option', () => {
  assert.throws(
    () => parseGenerateArgs(['x', '--seconds', '0']),
    (e: Error) => e instanceof UsageError && /--seconds/.test(e.message),
  );
  assert.throws(
    () => parseGenerateArgs(['x', '--api', 'not a url']),
    (e: Error) => e instanceof UsageError && /--api/.test(e.message),
  );
  assert.throws(() => parseGenerateArgs(['x', '--bogus']), UsageError);
  assert.throws(
    () => parseGenerateArgs(['x', '--size', 'big']),
    (e: Error) => e instanceof UsageError && /--size/.test(e.message),
  );
});

describe('--image', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'cli-image-'));
  const files = {
    'a.png': solidPng(8, 6, [1, 2, 3]),
    'b.jpg': solidJpeg(8, 6, [1, 2, 3]),
    'c.webp': solidWebp(8, 6, [1, 2, 3]),
    'd.svg': SVG,
    'e.txt': Buffer.from('not an image'),
    'big.png': Buffer.concat([solidPng(1, 1, [0, 0, 0]).subarray(0, 33), Buffer.alloc(10 * 1024 * 1024)]),
  };
  for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(folder, name), bytes);
  mkdirSync(path.join(folder, 'dir.png'));
  const usageError = (pattern: RegExp) => (e: Error) => e instanceof UsageError && pattern.test(e.message);

  test('a file is read now, its type from its bytes; the body then carries the upload id', () => {
    for (const [name, type] of [
      ['a.png', 'image/png'],
      ['b.jpg', 'image/jpeg'],
      ['c.webp', 'image/webp'],
    ] as const) {
      const image = parseImage(name, folder);
      assert.equal(image.kind, 'file');
      if (image.kind !== 'file') return;
      assert.equal(image.file, path.join(folder, name));
      assert.equal(image.contentType, type);
      assert.deepEqual(image.bytes, files[name]);
    }
    const options = { ...parseGenerateArgs(['a cat']), image: parseImage('a.png', folder) };
    assert.deepEqual(requestBody(options, 'upl_AAAAAAAAAAAAAAAAAAAAAA'), {
      prompt: 'a cat',
      image: { uploadId: 'upl_AAAAAAAAAAAAAAAAAAAAAA' },
    });
    // Never a body with a file image but no upload.
    assert.throws(() => requestBody(options), /uploaded first/);
  });

  test("the CLI's view of the upload contract is the app's: same limit, same type for every file", () => {
    assert.equal(UPLOAD_LIMIT_BYTES, MAX_UPLOAD_BYTES);
    const truncated = files['a.png'].subarray(0, 12);
    for (const bytes of [...Object.values(files), truncated, Buffer.alloc(0), Buffer.from('RIFF0000WEBX')])
      assert.equal(imageTypeOf(bytes), sniffFormat(bytes), bytes.subarray(0, 12).toString('hex'));
  });

  test('a relative path is taken from where npm run was typed (INIT_CWD)', () => {
    const saved = process.env.INIT_CWD;
    process.env.INIT_CWD = folder;
    try {
      const options = parseGenerateArgs(['a cat', '--image', 'b.jpg']);
      assert.equal(options.image?.kind === 'file' && options.image.file, path.join(folder, 'b.jpg'));
    } finally {
      if (saved === undefined) delete process.env.INIT_CWD;
      else process.env.INIT_CWD = saved;
    }
  });

  test('an https URL is sent as is', () => {
    const options = parseGenerateArgs(['a cat', '--image', 'https://example.com/start.jpg?x=1']);
    assert.deepEqual(requestBody(options), {
      prompt: 'a cat',
      image: { url: 'https://example.com/start.jpg?x=1' },
    });
  });

  test('bad paths and links are usage errors naming --image', () => {
    assert.throws(
      () => parseImage('missing.png', folder),
      usageError(/--image: no such file .*missing\.png/),
    );
    assert.throws(() => parseImage('dir.png', folder), usageError(/is not a file/));
    assert.throws(() => parseImage('d.svg', folder), usageError(/not a PNG, JPEG or WebP/));
    assert.throws(() => parseImage('e.txt', folder), usageError(/not a PNG, JPEG or WebP/));
    assert.throws(() => parseImage('big.png', folder), usageError(/at most 10485760/));
    assert.throws(() => parseImage('http://example.com/a.png', folder), usageError(/https/));
    assert.throws(() => parseImage('file:///etc/passwd', folder), usageError(/https/));
    assert.throws(() => parseImage('https://', folder), usageError(/https/));
  });
});

test('variants after the first get numbered file names', () => {
  assert.deepEqual(
    [0, 1, 2].map((i) => variantFileName('out/clip.mp4', i)),
    ['out/clip.mp4', 'out/clip-2.mp4', 'out/clip-3.mp4'],
  );
});

const view = (overrides: Record<string, unknown>) => ({
  id: 'a',
  phase: 'running',
  runtimeStatus: 'Running',
  upstream: {
    provider: 'azure-openai',
    kind: 'azure-openai',
    model: 'sora-2',
    jobId: 'video_1',
    status: 'in_progress',
    progress: 40,
  },
  polls: 3,
  createdTime: '2026-12-01T00:00:00Z',
  lastUpdatedTime: '2026-12-01T00:00:01Z',
  ...overrides,
});

test('a running status keeps the phase, the upstream status, progress and queue position', () => {
  assert.deepEqual(readJobStatus(view({})), {
    outcome: 'running',
    phase: 'running',
    provider: 'azure-openai',
    upstreamStatus: 'in_progress',
    progress: 40,
    queuePosition: undefined,
    admission: undefined,
    failureReason: undefined,
    videos: [],
  });
  assert.equal(
    readJobStatus(
      view({ phase: 'queued', upstream: { provider: 'fal', status: 'IN_QUEUE', queuePosition: 2 } }),
    ).queuePosition,
    2,
  );
});

test("waiting in the provider account's line: 'waiting for a slot at fal: 3rd in line'", () => {
  const waiting = readJobStatus(
    view({
      phase: 'creating',
      upstream: { provider: 'fal' },
      admission: { state: 'waiting', position: 3, ahead: 2, reason: 'running-jobs' },
    }),
  );
  assert.match(
    describeProgress(waiting, 4000),
    /^phase: creating \| waiting for a slot at fal: 3rd in line \| elapsed: 4 s$/,
  );
  const admitted = readJobStatus(
    view({ phase: 'creating', upstream: { provider: 'fal' }, admission: { state: 'admitted' } }),
  );
  assert.doesNotMatch(describeProgress(admitted, 0), /waiting/);
  assert.deepEqual([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111].map(ordinal), [
    '1st',
    '2nd',
    '3rd',
    '4th',
    '11th',
    '12th',
    '13th',
    '21st',
    '22nd',
    '23rd',
    '101st',
    '111th',
  ]);
});

test('a completed status yields its videos with their read links', () => {
  const done = readJobStatus(
    view({
      phase: 'completed',
      videos: [
        {
          outputId: 'v',
          blobName: 'a/v.mp4',
          bytes: 10,
          contentType: 'video/mp4',
          url: 'http://x/a/v.mp4?sig=s',
        },
      ],
    }),
  );
  assert.equal(done.outcome, 'succeeded');
  assert.deepEqual(done.videos, [
    { blobName: 'a/v.mp4', bytes: 10, contentType: 'video/mp4', url: 'http://x/a/v.mp4?sig=s' },
  ]);
});

test('failure and cancellation carry the reason; anything else is refused', () => {
  assert.equal(
    readJobStatus(view({ phase: 'failed', error: 'The fal job x failed: content_policy_violation' }))
      .failureReason,
    'The fal job x failed: content_policy_violation',
  );
  assert.equal(
    readJobStatus(view({ phase: 'cancelled', error: 'Cancelled by the caller' })).outcome,
    'cancelled',
  );
  assert.throws(() => readJobStatus({ runtimeStatus: 'Completed' }), /not a video status/);
});

test('printed URLs lose their query (SAS tokens, function keys)', () => {
  assert.equal(
    redactUrl('http://127.0.0.1:1/dev/videos/a.mp4?sv=1&sig=secret'),
    'http://127.0.0.1:1/dev/videos/a.mp4',
  );
});

test('PROVIDER_EMULATOR_TIME_SCALE speeds the emulator up; SORA_EMULATOR_TIME_SCALE, its old name, still does, with a notice', () => {
  const notices: string[] = [];
  const read = (env: Record<string, string>) => emulatorTimeScale(env, (line) => notices.push(line));
  assert.equal(read({ PROVIDER_EMULATOR_TIME_SCALE: '0.1' }), 0.1);
  assert.deepEqual(notices, []);
  assert.equal(read({ SORA_EMULATOR_TIME_SCALE: '0.2' }), 0.2);
  assert.equal(notices.length, 1);
  assert.match(notices[0], /SORA_EMULATOR_TIME_SCALE is the old name of PROVIDER_EMULATOR_TIME_SCALE/);
  assert.equal(
    read({ PROVIDER_EMULATOR_TIME_SCALE: '0.3', SORA_EMULATOR_TIME_SCALE: '0.2' }),
    0.3,
    'the new name wins',
  );
  assert.equal(read({}), undefined, 'unset: the emulator keeps its realistic timing');
  assert.equal(notices.length, 1);
});

test("npm start points named instances at the running emulator with the run's key, or drops them whole", () => {
  const sample = {
    GOOGLE_GENERATIVE_AI_API_KEY: 'emulator-key',
    VIDEO_PROVIDERS__google__BASE_URL: 'http://127.0.0.1:8091/v1beta',
    VIDEO_PROVIDERS__google__MODELS: '{"models":{}}',
    VIDEO_PROVIDERS__proxy__KIND: 'openai-videos',
    VIDEO_PROVIDERS__proxy__BASE_URL: 'http://127.0.0.1:8091/v1',
    VIDEO_PROVIDERS__proxy__API_KEY: 'emulator-key',
    VIDEO_PROVIDERS__real__KIND: 'openai-videos',
    VIDEO_PROVIDERS__real__BASE_URL: 'https://api.example.com/v1',
  };
  const wired = wireProviders(sample, 'http://127.0.0.1:5555', 'run-key');
  assert.equal(wired.VIDEO_PROVIDERS__google__BASE_URL, 'http://127.0.0.1:5555/v1beta');
  assert.equal(wired.GOOGLE_GENERATIVE_AI_API_KEY, 'run-key');
  assert.equal(wired.VIDEO_PROVIDERS__proxy__BASE_URL, 'http://127.0.0.1:5555/v1');
  assert.equal(wired.VIDEO_PROVIDERS__proxy__API_KEY, 'run-key');
  assert.equal(
    wired.VIDEO_PROVIDERS__real__BASE_URL,
    'https://api.example.com/v1',
    'not the emulator: left alone',
  );
  const offline = wireProviders(sample, undefined, 'run-key');
  assert.deepEqual(Object.keys(offline).sort(), [
    'VIDEO_PROVIDERS__real__BASE_URL',
    'VIDEO_PROVIDERS__real__KIND',
  ]);
});
