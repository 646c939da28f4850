// Provider instances as configuration, on the real stack: two openai-videos instances (each
// its own endpoint and key: two emulators) configured at once each make a video, and
// GET /api/providers and the OpenAPI document list every configured instance.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import {
  call,
  startPipelineStack,
  startVideo,
  waitForVideo,
  EMULATOR_KEY,
  type PipelineStack,
} from './pipeline-stack.js';

const SECOND_KEY = 'second-emulator-key';

describe('named provider instances', () => {
  let stack: PipelineStack;
  let second: RunningProviderEmulator;
  before(async () => {
    second = await startProviderEmulator({ port: 0, apiKey: SECOND_KEY, timeScale: 0.05 });
    stack = await startPipelineStack({
      settingsFor: (url) => ({
        VIDEO_PROVIDERS__openrouter__KIND: 'openai-videos',
        VIDEO_PROVIDERS__openrouter__BASE_URL: `${url}/v1`,
        VIDEO_PROVIDERS__openrouter__API_KEY: EMULATOR_KEY,
        VIDEO_PROVIDERS__litellm__KIND: 'openai-videos',
        VIDEO_PROVIDERS__litellm__BASE_URL: `${second.url}/v1`,
        VIDEO_PROVIDERS__litellm__API_KEY: SECOND_KEY,
        GOOGLE_GENERATIVE_AI_API_KEY: EMULATOR_KEY,
        VIDEO_PROVIDERS__google__BASE_URL: `${url}/v1beta`,
        XAI_API_KEY: 'xai-key-never-called',
        AI_GATEWAY_API_KEY: 'gateway-key-never-called',
      }),
    });
  });
  after(async () => {
    await stack?.stop();
    await second?.stop();
  });

  test('GET /api/providers lists every configured instance, with its kind', async () => {
    const answer = await call(`${stack.host.url}/api/providers`);
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(
      answer.body.map((p: any) => [p.name, p.kind]),
      [
        ['azure-openai', 'azure-openai'],
        ['openai', 'openai-videos'],
        ['fal', 'fal'],
        ['replicate', 'replicate'],
        ['google', 'ai-sdk'],
        ['xai', 'ai-sdk'],
        ['gateway', 'ai-sdk'],
        ['litellm', 'openai-videos'],
        ['openrouter', 'openai-videos'],
      ],
    );
    const document = await call(`${stack.host.url}/api/openapi.json`);
    assert.deepEqual(
      document.body.components.schemas.VideoRequest.properties.provider.enum,
      answer.body.map((p: any) => p.name),
    );
  });

  test('two openai-videos instances configured at once each make a video at their own endpoint', async () => {
    const stats = async (emulator: RunningProviderEmulator) =>
      (await call(`${emulator.url}/_admin/stats`)).body.creates.videos as number;
    const before = { first: await stats(stack.emulator), second: await stats(second) };
    const ids = await Promise.all(
      ['openrouter', 'litellm'].map((provider) =>
        startVideo(stack.host, {
          provider,
          model: 'sora-2',
          prompt: `A lighthouse at dusk, via ${provider}.`,
        }),
      ),
    );
    const finals = await Promise.all(ids.map((id) => waitForVideo(stack.host, id, 90_000)));
    for (const [index, final] of finals.entries()) {
      assert.equal(final.phase, 'completed', JSON.stringify(final));
      assert.equal(final.upstream.provider, ['openrouter', 'litellm'][index]);
      assert.equal(final.upstream.kind, 'openai-videos');
      assert.ok(final.videos[0].bytes > 0);
    }
    assert.equal(
      (await stats(stack.emulator)) - before.first,
      1,
      'openrouter: one job at the first endpoint',
    );
    assert.equal((await stats(second)) - before.second, 1, 'litellm: one job at the second endpoint');
  });
});
