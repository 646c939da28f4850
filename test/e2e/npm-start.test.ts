// `npm start` in one process, plain HTTP requests (the README's curl commands) in another:
// the job completes, the video URL serves a playable MP4, Ctrl-C stops everything, and a
// second start on the same data still knows the job.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { interruptGroup, killGroup, probeVideo, startStack, tempDir } from './helpers.js';
import { eventually } from '../support/eventually.js';

interface Status {
  videos?: { url: string }[];
  [key: string]: unknown;
}

async function waitForVideos(appUrl: string, id: string): Promise<Status> {
  return eventually(
    'the job completed',
    async () => {
      const response = await fetch(`${appUrl}/api/videos/${id}`);
      assert.equal(response.status, 200, await response.clone().text());
      const status = (await response.json()) as Status;
      assert.doesNotMatch(
        JSON.stringify(status),
        /"(Failed|failed|Terminated)"/,
        `job failed: ${JSON.stringify(status)}`,
      );
      return status;
    },
    (status) => Array.isArray(status.videos) && status.videos.length > 0,
    { timeoutMs: 90_000, everyMs: 500 },
  );
}

test('npm start + curl-style requests reach a completed, playable video; Ctrl-C stops; a restart reuses the data', async (t) => {
  const dir = tempDir(t);
  const dataDir = path.join(dir, 'azurite');
  const first = await startStack(dataDir, { PROVIDER_EMULATOR_TIME_SCALE: '0.1' });
  t.after(() => killGroup(first.cli));

  // The gallery and the API reference are printed beside the API, and answer there.
  assert.match(first.cli.stdout(), new RegExp(`gallery\\s+${first.appUrl}/api/gallery\\b`));
  assert.match(first.cli.stdout(), new RegExp(`API reference\\s+${first.appUrl}/api/openapi\\.json`));
  const gallery = await fetch(`${first.appUrl}/api/gallery`);
  assert.equal(gallery.status, 200);
  assert.match(gallery.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(
    ((await (await fetch(`${first.appUrl}/api/openapi.json`)).json()) as { openapi: string }).openapi,
    '3.1.0',
  );

  const created = await fetch(`${first.appUrl}/api/videos`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      prompt: 'A cat playing piano in a jazz bar.',
      width: 480,
      height: 480,
      n_seconds: 5,
      model: 'sora',
      n_variants: 1,
    }),
  });
  assert.equal(created.status, 202, await created.clone().text());
  const { id } = (await created.json()) as { id: string };
  const status = await waitForVideos(first.appUrl, id);

  const video = await fetch(status.videos![0].url);
  assert.equal(video.status, 200);
  const file = path.join(dir, 'video.mp4');
  await writeFile(file, Buffer.from(await video.arrayBuffer()));
  const facts = await probeVideo(file);
  assert.deepEqual([facts.codec, facts.width, facts.height], ['h264', 480, 480]);

  // Every provider the sample settings name works offline, from {provider, model, prompt} alone.
  const providers = (await (await fetch(`${first.appUrl}/api/providers`)).json()) as {
    name: string;
    models: { id: string }[];
  }[];
  assert.deepEqual(
    providers.map((p) => p.name),
    ['azure-openai', 'openai', 'fal', 'replicate', 'google', 'xai', 'gateway'],
  );
  const asks = [
    // Veo through @ai-sdk/google (kind ai-sdk), unchanged, against the emulator's Gemini API.
    { provider: 'google', model: 'veo-3.1-generate-preview' },
    // A model only the sample's VIDEO_PROVIDERS__google__MODELS setting adds (no built-in row).
    { provider: 'google', model: 'veo-3.1-lite-generate-preview' },
    { provider: 'azure-openai', model: 'sora-2' },
    { provider: 'openai', model: 'sora-2' },
    { provider: 'fal', model: 'fal-ai/kling-video/v2/master/text-to-video' },
    { provider: 'replicate', model: 'kwaivgi/kling-v2.0' },
    // xAI and the AI Gateway through @ai-sdk/xai and @ai-sdk/gateway, unchanged, against the emulator.
    { provider: 'xai', model: 'grok-imagine-video' },
    { provider: 'gateway', model: 'klingai/kling-v2.6-t2v' },
  ];
  for (const ask of asks)
    assert.ok(
      providers.find((p) => p.name === ask.provider)?.models.some((m) => m.id === ask.model),
      `${ask.provider} lists ${ask.model}`,
    );
  await Promise.all(
    asks.map(async (ask) => {
      const started = await fetch(`${first.appUrl}/api/videos`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...ask, prompt: 'A cat playing piano in a jazz bar.' }),
      });
      assert.equal(started.status, 202, await started.clone().text());
      const done = await waitForVideos(first.appUrl, ((await started.json()) as { id: string }).id);
      if (ask.provider === 'fal' || ask.provider === 'replicate') {
        // These two push a signed webhook when the job ends: no status call needed.
        assert.equal(done.events, 1, `${ask.provider} was woken by its webhook: ${JSON.stringify(done)}`);
        assert.ok((done.polls as number) <= 1, `${ask.provider}: ${String(done.polls)} status calls`);
      }
      const bytes = Buffer.from(await (await fetch(done.videos![0].url)).arrayBuffer());
      const saved = path.join(dir, `${ask.provider}-${ask.model.replace(/\W/g, '_')}.mp4`);
      await writeFile(saved, bytes);
      assert.equal((await probeVideo(saved)).codec, 'h264', `${ask.provider} made a playable H.264 MP4`);
    }),
  );
  const refused = await fetch(`${first.appUrl}/api/videos`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      provider: 'fal',
      model: 'fal-ai/kling-video/v2/master/text-to-video',
      prompt: 'A cat',
      seconds: 7,
    }),
  });
  assert.equal(refused.status, 400);
  assert.deepEqual(
    ((await refused.json()) as { errors: { field: string }[] }).errors.map((e) => e.field),
    ['seconds'],
    'a capability violation names the field',
  );

  interruptGroup(first.cli);
  const stopped = await first.cli.done;
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stdout, /Stopped\./);

  const second = await startStack(dataDir, { PROVIDER_EMULATOR_TIME_SCALE: '0.1' });
  t.after(() => killGroup(second.cli));
  const again = await fetch(`${second.appUrl}/api/videos/${id}`);
  assert.equal(again.status, 200, await again.clone().text());
  const known = (await again.json()) as Status;
  assert.ok(Array.isArray(known.videos) && known.videos.length === 1, JSON.stringify(known));
});
