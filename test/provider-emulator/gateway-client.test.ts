// The official @ai-sdk/gateway video model, unchanged, against the emulator's AI Gateway dialect
// (its baseURL = ${url}/gateway/v4/ai), through the model's doStart/doStatus as the app's ai-sdk
// kind drives it: a generation completes with H.264 MP4 URLs of the asked length and ratio, a
// start sent again with the same idempotency-key makes no second generation, and refusals,
// failures and injected faults reach the client as the package's Gateway errors.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createGatewayProvider, GatewayError } from '@ai-sdk/gateway';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { spawnProviderEmulatorCli } from '../../emulators/providers/spawn-cli.js';
import { adminCaller, cleanSlate, downloadAndProbe, json } from './helpers.js';
import { rejection, videoCallOptions } from './sdk-helpers.js';
import { eventually } from '../support/eventually.js';

const KEY = 'gateway-client-key';

describe('provider emulator: AI Gateway video through @ai-sdk/gateway', () => {
  let emulator: RunningProviderEmulator;
  let gateway: ReturnType<typeof createGatewayProvider>;
  const admin = adminCaller(() => emulator.url);
  const creates = async () =>
    (await json<{ creates: { gateway: number } }>(admin('GET', 'stats'))).creates.gateway;
  const ended = (model: ReturnType<typeof gateway.video>, operation: unknown) =>
    eventually(
      'the generation ended',
      () => model.doStatus!({ operation: operation as never }),
      (s) => s.status !== 'pending',
    );

  before(async () => {
    emulator = await startProviderEmulator({ timeScale: 0.02, gatewayKey: KEY });
    gateway = createGatewayProvider({ apiKey: KEY, baseURL: `${emulator.url}/gateway/v4/ai` });
  });
  after(() => emulator.stop());
  beforeEach(() => cleanSlate(admin));

  test('doStart then doStatus: completed with n videos, each a public H.264 MP4 of the asked length and ratio', async () => {
    const before = await creates();
    const model = gateway.video('google/veo-3.1-generate-001');
    const { operation } = await model.doStart!(
      videoCallOptions('A lighthouse at dusk', 2, { n: 2, aspectRatio: '9:16' }),
    );
    assert.match((operation as { id: string }).id, /^vgen_[0-9a-f]{24}$/);
    assert.equal((await model.doStatus!({ operation })).status, 'pending');
    const status = await ended(model, operation);
    assert.equal(status.status, 'completed', JSON.stringify(status));
    const videos = (status as { videos: Array<{ type: string; url: string; mediaType: string }> }).videos;
    assert.equal(videos.length, 2);
    const probed = await Promise.all(videos.map((v) => downloadAndProbe(v.url)));
    for (const p of probed) {
      assert.equal(p.codec, 'h264');
      assert.ok(p.height > p.width, `9:16: ${p.width}x${p.height}`);
      assert.ok(Math.abs(p.seconds - 2) < 0.2, `duration ${p.seconds}`);
    }
    assert.notEqual(videos[0].url, videos[1].url);
    assert.equal(await creates(), before + 1, 'one generation for n = 2');
    const timing = await json<{ status: string }>(admin('GET', `jobs/${(operation as { id: string }).id}`));
    assert.equal(timing.status, 'completed');
  });

  test('a start sent again with the same idempotency-key gets the same operation and makes no second generation', async () => {
    const before = await creates();
    const model = gateway.video('klingai/kling-v2.6-t2v');
    const headers = { 'idempotency-key': `idem-${Date.now()}` };
    const first = await model.doStart!(videoCallOptions('once', 2, { headers }));
    const again = await model.doStart!(videoCallOptions('once', 2, { headers }));
    assert.deepEqual(again.operation, first.operation);
    assert.equal(await creates(), before + 1);
    const other = await model.doStart!(videoCallOptions('once', 2));
    assert.notDeepEqual(other.operation, first.operation, 'without the key, a new generation');
    assert.equal(await creates(), before + 2);
  });

  test('a wrong key, an unknown model and a bad duration are Gateway errors; nothing is started', async () => {
    const before = await creates();
    const wrongKey = await rejection(
      createGatewayProvider({ apiKey: 'not-the-key', baseURL: `${emulator.url}/gateway/v4/ai` }).video(
        'minimax/minimax-h3',
      ).doStart!(videoCallOptions('x', 2)),
    );
    assert.ok(GatewayError.isInstance(wrongKey));
    assert.deepEqual([wrongKey.name, wrongKey.statusCode], ['GatewayAuthenticationError', 401]);
    const unknown = await rejection(gateway.video('acme/video-9').doStart!(videoCallOptions('x', 2)));
    assert.ok(GatewayError.isInstance(unknown));
    assert.deepEqual([unknown.name, unknown.statusCode], ['GatewayModelNotFoundError', 404]);
    const badDuration = await rejection(
      gateway.video('minimax/minimax-h3').doStart!(videoCallOptions('x', 2, { duration: 99 })),
    );
    assert.ok(GatewayError.isInstance(badDuration));
    assert.deepEqual([badDuration.name, badDuration.statusCode], ['GatewayInvalidRequestError', 400]);
    assert.match(badDuration.message, /`duration` must be a whole number of seconds from 1 to 15/);
    assert.equal(await creates(), before);
  });

  test('a denied prompt and a late failure end in an error status with the words given', async () => {
    const model = gateway.video('spacexai/grok-imagine-video');
    await admin('PATCH', 'config', { denyList: ['forbidden'] });
    const denied = await ended(
      model,
      (await model.doStart!(videoCallOptions('a FORBIDDEN scene', 2))).operation,
    );
    assert.equal(denied.status, 'error');
    assert.match((denied as { error: string }).error, /content policy/);
    await admin('PATCH', 'config', { denyList: [], internalErrorRate: 1 });
    const broken = await ended(model, (await model.doStart!(videoCallOptions('breaks', 2))).operation);
    assert.match((broken as { error: string }).error, /internal error/);
  });

  test('injected faults: a retryable 429 on start, a 503 on status; a reset start is a Gateway 500 whose cause has no status', async () => {
    const before = await creates();
    const model = gateway.video('alibaba/wan-v2.6-t2v');
    await admin('PUT', 'faults', {
      rules: [{ route: 'POST /gateway/v4/ai/video-model/start', kind: 'status', status: 429, rate: 1 }],
    });
    const throttled = await rejection(model.doStart!(videoCallOptions('x', 2)));
    assert.ok(GatewayError.isInstance(throttled));
    assert.deepEqual(
      [throttled.name, throttled.statusCode, throttled.isRetryable],
      ['GatewayRateLimitError', 429, true],
    );
    await admin('PUT', 'faults', {
      rules: [{ route: 'POST /gateway/v4/ai/video-model/start', kind: 'reset', rate: 1 }],
    });
    const lost = await rejection(model.doStart!(videoCallOptions('x', 2)));
    // @ai-sdk/gateway reports a start that got no answer as a 500; only its cause says no answer came.
    assert.ok(GatewayError.isInstance(lost));
    assert.equal(lost.statusCode, 500);
    assert.equal((lost.cause as { statusCode?: number }).statusCode, undefined);
    assert.equal(await creates(), before, 'neither started a generation');

    await admin('DELETE', 'faults');
    const { operation } = await model.doStart!(videoCallOptions('polled', 2));
    await admin('PUT', 'faults', {
      rules: [{ route: 'POST /gateway/v4/ai/video-model/status', kind: 'status', status: 503, rate: 1 }],
    });
    const overloaded = await rejection(model.doStatus!({ operation }));
    assert.ok(GatewayError.isInstance(overloaded));
    assert.deepEqual([overloaded.statusCode, overloaded.isRetryable], [503, true]);
  });
});

test('CLI: --gateway-key is applied; a start without the spec version header is refused', async () => {
  const { url, child } = await spawnProviderEmulatorCli(['--port', '0', '--gateway-key', 'gw-cli-key']);
  try {
    const start = (key: string, version = '4') =>
      fetch(`${url}/gateway/v4/ai/video-model/start`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'ai-model-id': 'minimax/minimax-h3',
          'ai-video-model-specification-version': version,
        },
        body: JSON.stringify({ prompt: 'cli' }),
      });
    assert.deepEqual(
      [
        (await start('other')).status,
        (await start('gw-cli-key', '3')).status,
        (await start('gw-cli-key')).status,
      ],
      [401, 400, 200],
    );
  } finally {
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  }
});
