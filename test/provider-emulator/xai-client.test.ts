// The official @ai-sdk/xai video model, unchanged, against the emulator's xAI dialect (its
// baseURL = ${url}/xai/v1), driven by the AI SDK's own experimental_generateVideo polling or by
// the model's doStart/doStatus: videos come back as H.264 MP4s of the asked duration and ratio,
// and xAI's refusals, moderated prompts and outputs, and injected faults reach the client as the
// SDK reports them.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createXai } from '@ai-sdk/xai';
import { APICallError, experimental_generateVideo as generateVideo } from 'ai';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { adminCaller, cleanSlate, json } from './helpers.js';
import { download, probeBytes, rejection, videoCallOptions } from './sdk-helpers.js';
import { eventually } from '../support/eventually.js';

const KEY = 'xai-client-key';

describe('provider emulator: Grok Imagine video through the xAI dialect with @ai-sdk/xai', () => {
  let emulator: RunningProviderEmulator;
  let xai: ReturnType<typeof createXai>;
  const admin = adminCaller(() => emulator.url);
  const creates = async () => (await json<{ creates: { xai: number } }>(admin('GET', 'stats'))).creates.xai;

  before(async () => {
    emulator = await startProviderEmulator({ timeScale: 0.02, xaiKey: KEY });
    xai = createXai({ apiKey: KEY, baseURL: `${emulator.url}/xai/v1` });
  });
  after(() => emulator.stop());
  beforeEach(() => cleanSlate(admin));

  test('experimental_generateVideo polls to the end; the video is an H.264 MP4 of the asked duration and ratio', async () => {
    const before = await creates();
    const result = await generateVideo({
      model: xai.video('grok-imagine-video-1.5'),
      prompt: 'A lighthouse at dusk',
      duration: 4,
      aspectRatio: '2:3',
      resolution: '1920x1080',
      poll: { intervalMs: 50 },
      download,
    });
    assert.equal(result.videos.length, 1);
    assert.equal(result.video.mediaType, 'video/mp4');
    const probed = await probeBytes(result.video.uint8Array);
    assert.equal(probed.codec, 'h264');
    assert.equal(probed.width * 3, probed.height * 2, `2:3: ${probed.width}x${probed.height}`);
    assert.ok(Math.abs(probed.seconds - 4) < 0.2, `duration ${probed.seconds}`);
    const meta = result.providerMetadata.xai as { requestId: string; videoUrl: string; duration: number };
    assert.equal(
      meta.videoUrl,
      `${emulator.url}/xai/vidgen/xai-vidgen-bucket/xai-video-${meta.requestId}.mp4`,
    );
    assert.equal(meta.duration, 4);
    assert.equal(await creates(), before + 1, 'one upstream request');
  });

  test("a wrong key, an unknown model and 1080p on grok-imagine-video are APICallErrors with xAI's words", async () => {
    const before = await creates();
    const call = (model: string, apiKey = KEY, resolution?: '1920x1080') =>
      rejection(
        generateVideo({
          model: createXai({ apiKey, baseURL: `${emulator.url}/xai/v1` }).video(model),
          prompt: 'refused',
          resolution,
          maxRetries: 0,
          download,
        }),
      );
    const wrongKey = await call('grok-imagine-video', 'xai-not-the-key');
    assert.ok(APICallError.isInstance(wrongKey));
    assert.deepEqual([wrongKey.statusCode, wrongKey.isRetryable], [400, false]);
    assert.equal(
      wrongKey.message,
      'Client specified an invalid argument: Incorrect API key provided: xa***ey. You can obtain an API key from https://console.x.ai.',
    );
    const unknown = await call('grok-imagine-video-9');
    assert.ok(APICallError.isInstance(unknown));
    assert.equal(unknown.statusCode, 404);
    assert.match(
      unknown.message,
      /^Some requested entity was not found: The model grok-imagine-video-9 does not exist/,
    );
    const tooBig = await call('grok-imagine-video', KEY, '1920x1080');
    assert.ok(APICallError.isInstance(tooBig));
    assert.equal(tooBig.statusCode, 400);
    assert.match(tooBig.message, /`resolution` must be one of 480p, 720p for model grok-imagine-video/);
    assert.equal(await creates(), before, 'refused creates start no request');
  });

  test("a denied prompt: doStatus reports an error status in xAI's words; a moderated output as the SDK's content-policy error", async () => {
    await admin('PATCH', 'config', { denyList: ['forbidden'] });
    const model = xai.video('grok-imagine-video');
    const { operation } = await model.doStart!(videoCallOptions('a FORBIDDEN scene', 2));
    const ended = () =>
      eventually(
        'the request ended',
        () => model.doStatus!({ operation }),
        (s) => s.status !== 'pending',
      );
    const denied = await ended();
    assert.equal(denied.status, 'error');
    assert.match(
      (denied as { error: string }).error,
      /^Video generation failed: .*rejected by content moderation/,
    );

    await admin('PATCH', 'config', { denyList: [], outputModerationRate: 1 });
    const second = await model.doStart!(videoCallOptions('filtered late', 1));
    const filtered = await eventually(
      'the second request ended',
      () => model.doStatus!({ operation: second.operation }),
      (s) => s.status !== 'pending',
    );
    assert.deepEqual(
      [filtered.status, (filtered as { error: string }).error],
      ['error', 'Video generation was blocked due to a content policy violation.'],
    );
  });

  test('injected faults reach the client: a retryable 429 on create, a 503 on polling', async () => {
    const before = await creates();
    await admin('PUT', 'faults', {
      rules: [{ route: 'POST /xai/v1/videos/generations', kind: 'status', status: 429, rate: 1 }],
    });
    const throttled = await rejection(
      generateVideo({ model: xai.video('grok-imagine-video'), prompt: 'x', maxRetries: 0, download }),
    );
    assert.ok(APICallError.isInstance(throttled));
    assert.deepEqual([throttled.statusCode, throttled.isRetryable], [429, true]);
    assert.equal(await creates(), before, 'the faulted create made no request');

    await admin('PUT', 'faults', {
      rules: [{ route: 'GET /xai/v1/videos/{request_id}', kind: 'status', status: 503, rate: 1 }],
    });
    const overloaded = await rejection(
      generateVideo({
        model: xai.video('grok-imagine-video'),
        prompt: 'y',
        duration: 1,
        maxRetries: 0,
        poll: { intervalMs: 50 },
        download,
      }),
    );
    assert.ok(APICallError.isInstance(overloaded));
    assert.deepEqual([overloaded.statusCode, overloaded.isRetryable], [503, true]);
    assert.match(
      overloaded.message,
      /^The service is currently unavailable: Service temporarily unavailable/,
    );
    assert.equal(await creates(), before + 1, 'the create went through; the poll was refused');
  });
});
