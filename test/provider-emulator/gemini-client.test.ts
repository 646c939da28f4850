// The official @ai-sdk/google video model, unchanged, against the emulator's Gemini API dialect
// (its baseURL = ${url}/v1beta), driven by the AI SDK's own experimental_generateVideo polling or
// by the model's doStart/doStatus: videos come back as H.264 MP4s of the asked duration and
// aspect, and Google's refusals, filtered generations and injected faults reach the client as
// the SDK reports them.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { APICallError, experimental_generateVideo as generateVideo } from 'ai';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { adminCaller, cleanSlate, json } from './helpers.js';
import { download, probeBytes, rejection, videoCallOptions } from './sdk-helpers.js';
import { eventually } from '../support/eventually.js';

describe('provider emulator: Veo through the Gemini API with @ai-sdk/google', () => {
  let emulator: RunningProviderEmulator;
  let google: ReturnType<typeof createGoogleGenerativeAI>;
  const admin = adminCaller(() => emulator.url);
  const creates = async () =>
    (await json<{ creates: { gemini: number } }>(admin('GET', 'stats'))).creates.gemini;

  before(async () => {
    emulator = await startProviderEmulator({ timeScale: 0.02, geminiKey: 'AIza-test' });
    google = createGoogleGenerativeAI({ apiKey: 'AIza-test', baseURL: `${emulator.url}/v1beta` });
  });
  after(() => emulator.stop());
  beforeEach(() => cleanSlate(admin));

  test('experimental_generateVideo polls to the end; the video is an H.264 MP4 of the asked duration and aspect', async () => {
    const before = await creates();
    const result = await generateVideo({
      model: google.video('veo-3.1-generate-preview'),
      prompt: 'A lighthouse at dusk',
      duration: 6,
      aspectRatio: '9:16',
      resolution: '1280x720',
      providerOptions: { google: { negativePrompt: 'fog', personGeneration: 'allow_all' } },
      poll: { intervalMs: 50 },
      download,
    });
    assert.equal(result.videos.length, 1);
    assert.equal(result.video.mediaType, 'video/mp4');
    const probed = await probeBytes(result.video.uint8Array);
    assert.equal(probed.codec, 'h264');
    assert.ok(probed.height > probed.width, `9:16 is portrait: ${probed.width}x${probed.height}`);
    assert.ok(Math.abs(probed.seconds - 6) < 0.2, `duration ${probed.seconds}`);
    const { videos } = result.providerMetadata.google as { videos: Array<{ uri: string }> };
    assert.match(
      videos[0].uri,
      new RegExp(`^${emulator.url}/v1beta/files/[a-z0-9]{12}:download\\?alt=media$`),
    );
    assert.equal((await fetch(videos[0].uri)).status, 403, 'the file needs the API key the SDK appends');
    assert.equal(await creates(), before + 1, 'one upstream operation');
  });

  test('n = 2 is one operation with two samples, two different videos', async () => {
    const before = await creates();
    const result = await generateVideo({
      model: google.video('veo-3.0-fast-generate-001'),
      prompt: 'Two takes of a kite',
      n: 2,
      duration: 4,
      poll: { intervalMs: 50 },
      download,
    });
    assert.equal(result.videos.length, 2);
    const [first, second] = await Promise.all(result.videos.map((v) => probeBytes(v.uint8Array)));
    assert.deepEqual([first.codec, second.codec], ['h264', 'h264']);
    assert.ok(Math.abs(first.seconds - 4) < 0.2 && first.width > first.height, '16:9 by default');
    assert.notDeepEqual(result.videos[0].uint8Array, result.videos[1].uint8Array);
    assert.equal(await creates(), before + 1);
  });

  test('a wrong key is 400 API_KEY_INVALID, an unknown model 404, an unsupported duration 400 INVALID_ARGUMENT', async () => {
    const before = await creates();
    const call = (model: string, duration: number, apiKey = 'AIza-test') =>
      rejection(
        generateVideo({
          model: createGoogleGenerativeAI({ apiKey, baseURL: `${emulator.url}/v1beta` }).video(model),
          prompt: 'refused',
          duration,
          maxRetries: 0,
          download,
        }),
      );
    const wrongKey = await call('veo-3.1-generate-preview', 8, 'AIza-wrong');
    assert.ok(APICallError.isInstance(wrongKey));
    assert.deepEqual([wrongKey.statusCode, wrongKey.isRetryable], [400, false]);
    assert.equal(wrongKey.message, 'API key not valid. Please pass a valid API key.');
    assert.match(wrongKey.responseBody ?? '', /"reason":"API_KEY_INVALID"/);

    const unknown = await call('veo-9-generate', 8);
    assert.ok(APICallError.isInstance(unknown));
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.message, /^models\/veo-9-generate is not found for API version v1beta/);

    const badDuration = await call('veo-3.1-generate-preview', 5);
    assert.ok(APICallError.isInstance(badDuration));
    assert.equal(badDuration.statusCode, 400);
    assert.match(badDuration.responseBody ?? '', /"status":"INVALID_ARGUMENT"/);
    assert.match(badDuration.message, /`durationSeconds` is out of bound.*between 4 and 8/);
    assert.equal(await creates(), before, 'refused creates start no operation');
  });

  test('a denied prompt ends done with its samples filtered by Responsible AI; the SDK reports no videos', async () => {
    await admin('PATCH', 'config', { denyList: ['forbidden'] });
    const error = await rejection(
      generateVideo({
        model: google.video('veo-3.1-fast-generate-preview'),
        prompt: 'a FORBIDDEN scene',
        duration: 4,
        maxRetries: 0,
        poll: { intervalMs: 50 },
        download,
      }),
    );
    // @ai-sdk/google 4.0.129 parses only generatedSamples, so the filtered count and reasons the
    // operation carries (gemini-api.test.ts reads them) do not reach this message.
    assert.equal(error.name, 'GOOGLE_VIDEO_GENERATION_ERROR');
    assert.match(
      error.message,
      /^No videos in response\. Response: .*"done":true,"response":\{"generateVideoResponse":\{\}\}/,
    );
  });

  test('a late internal failure is done with an error, which doStatus reports as an error status', async () => {
    await admin('PATCH', 'config', { internalErrorRate: 1 });
    const model = google.video('veo-2.0-generate-001');
    const { operation } = await model.doStart!(videoCallOptions('breaks late', 5));
    const status = await eventually(
      'the operation ended',
      () => model.doStatus!({ operation }),
      (s) => s.status !== 'pending',
    );
    assert.equal(status.status, 'error');
    assert.equal(
      (status as { error: string }).error,
      'Video generation failed: Video generation failed due to an internal error.',
    );
  });

  test('injected faults reach the client: a 429 with its RetryInfo on create, a 503 on polling', async () => {
    const before = await creates();
    await admin('PUT', 'faults', {
      rules: [
        {
          route: 'POST /v1beta/models/{model}:predictLongRunning',
          kind: 'status',
          status: 429,
          rate: 1,
          retryAfterSeconds: 7,
        },
      ],
    });
    const throttled = await rejection(
      generateVideo({
        model: google.video('veo-3.1-generate-preview'),
        prompt: 'x',
        maxRetries: 0,
        download,
      }),
    );
    assert.ok(APICallError.isInstance(throttled));
    assert.deepEqual([throttled.statusCode, throttled.isRetryable], [429, true]);
    assert.match(
      throttled.responseBody ?? '',
      /"@type":"type.googleapis.com\/google.rpc.RetryInfo","retryDelay":"7s"/,
    );
    assert.equal(await creates(), before, 'the faulted create made no operation');

    await admin('PUT', 'faults', {
      rules: [
        {
          route: 'GET /v1beta/models/{model}/operations/{operation_id}',
          kind: 'status',
          status: 503,
          rate: 1,
        },
      ],
    });
    const overloaded = await rejection(
      generateVideo({
        model: google.video('veo-3.1-generate-preview'),
        prompt: 'y',
        duration: 4,
        maxRetries: 0,
        poll: { intervalMs: 50 },
        download,
      }),
    );
    assert.ok(APICallError.isInstance(overloaded));
    assert.deepEqual(
      [overloaded.statusCode, overloaded.message],
      [503, 'The model is overloaded. Please try again later.'],
    );
    assert.equal(await creates(), before + 1, 'the create went through; the poll was refused');
  });
});
