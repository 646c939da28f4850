// The happy path for both Sora API families, end to end on the real parts: the status URLs
// go 202 → 200, the blob exists and a real decoder (ffprobe) confirms size and duration,
// and the read link from GET /api/videos/{id} serves the same bytes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { probeVideo } from '../e2e/helpers.js';
import {
  call,
  postVideo,
  quickstartBody,
  EMULATOR_KEY,
  emulatorStats,
  startPipelineStack,
  totalJobsCreated,
  waitForVideo,
  type PipelineStack,
} from './pipeline-stack.js';

let stack: PipelineStack;
let scratch: string;
before(async () => {
  // Four Sora 2 videos here: above the emulator's default quota of 2 creates a minute.
  stack = await startPipelineStack({ emulator: { videosCreatesPerMinute: 10 } });
  scratch = mkdtempSync(path.join(tmpdir(), 'pipeline-'));
});
after(async () => {
  await stack?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

interface Expected {
  width: number;
  height: number;
  seconds: number;
  count: number;
  still: { type: string; extension: string; codec: string };
}
/** Sora 1 serves JPEG stills; Sora 2 WebP (OpenAI's spec), stored with the type it sent. */
const JPEG = { type: 'image/jpeg', extension: 'jpg', codec: 'mjpeg' };
const WEBP = { type: 'image/webp', extension: 'webp', codec: 'webp' };

async function checkVideo(id: string, expected: Expected) {
  const status = await waitForVideo(stack.host, id);
  assert.equal(status.phase, 'completed', JSON.stringify(status));
  assert.equal(status.videos.length, expected.count);
  for (const video of status.videos) {
    assert.equal(video.contentType, 'video/mp4');
    // {instance}/{run}/{output}.mp4: each run of an id keeps its own blobs.
    assert.match(
      video.blobName,
      new RegExp(`^${id}/[0-9a-f]{32}/[A-Za-z0-9_-]+\\.mp4$`),
      'blob named from ids, never from the prompt',
    );
    const stored = await stack.container.getBlockBlobClient(video.blobName).downloadToBuffer();
    assert.equal(stored.length, video.bytes);
    const viaLink = Buffer.from(await (await fetch(video.url)).arrayBuffer());
    assert.ok(viaLink.equals(stored), 'the read link serves the stored bytes');
    const file = path.join(scratch, `${id}-${video.outputId}.mp4`);
    writeFileSync(file, stored);
    const facts = await probeVideo(file);
    assert.equal(facts.codec, 'h264');
    assert.equal(facts.width, expected.width);
    assert.equal(facts.height, expected.height);
    assert.ok(
      Math.abs(facts.durationSeconds - expected.seconds) < 0.5,
      `duration ${facts.durationSeconds} s`,
    );
    const props = await stack.container.getBlockBlobClient(video.blobName).getProperties();
    assert.equal(props.contentType, 'video/mp4');
    assert.equal(props.metadata?.size, `${expected.width}x${expected.height}`);
    assert.ok(!JSON.stringify(props.metadata).includes('cat'), 'metadata holds no prompt');
    await checkThumbnail(video, expected);
  }
  return status;
}

/** The output's still beside its video, of the video's size, with its own read link. */
async function checkThumbnail(video: any, expected: Expected) {
  const thumbnail = video.thumbnail;
  assert.ok(thumbnail, `a thumbnail beside ${video.blobName}`);
  assert.equal(thumbnail.blobName, video.blobName.replace(/\.mp4$/, `.${expected.still.extension}`));
  assert.equal(thumbnail.contentType, expected.still.type);
  const stored = await stack.container.getBlockBlobClient(thumbnail.blobName).downloadToBuffer();
  assert.equal(stored.length, thumbnail.bytes);
  assert.equal(
    (await stack.container.getBlockBlobClient(thumbnail.blobName).getProperties()).contentType,
    expected.still.type,
  );
  const viaLink = Buffer.from(await (await fetch(thumbnail.url)).arrayBuffer());
  assert.ok(viaLink.equals(stored), 'the thumbnail link serves the stored bytes');
  const file = path.join(scratch, `${video.outputId}.${expected.still.extension}`);
  writeFileSync(file, stored);
  const facts = await probeVideo(file);
  assert.equal(facts.codec, expected.still.codec);
  assert.deepEqual([facts.width, facts.height], [expected.width, expected.height]);
}

describe('POST /api/videos to a finished video', () => {
  test('Sora 1 (jobs API): the quickstart body as is', async () => {
    const jobsBefore = totalJobsCreated(await emulatorStats(stack.emulator));
    const started = await postVideo(stack.host, quickstartBody);
    assert.equal(started.status, 202, started.text);
    assert.deepEqual(
      Object.keys(started.body).sort(),
      ['id', 'statusUri'],
      "only the app's own URL: no durable management URLs",
    );
    assert.equal(started.headers.get('location'), started.body.statusUri);
    assert.equal(
      started.body.statusUri,
      `${stack.settings.PUBLIC_BASE_URL}/api/videos/${started.body.id}`,
      'built from the configured public base URL, never from the request',
    );

    const status = await checkVideo(started.body.id, {
      width: 480,
      height: 480,
      seconds: 5,
      count: 1,
      still: JPEG,
    });
    assert.deepEqual(status.upstream.provider, 'azure-openai');
    assert.deepEqual(status.request, {
      prompt: quickstartBody.prompt,
      provider: 'azure-openai',
      model: 'sora',
      seconds: 5,
      size: '480x480',
      variants: 1,
    });
    const done = await call(`${stack.host.url}/runtime/webhooks/durabletask/instances/${started.body.id}`);
    assert.equal(done.status, 200, 'the durable status answers 200 once completed');
    assert.equal(done.body.runtimeStatus, 'Completed');
    assert.ok(
      !JSON.stringify(done.body.output).includes('ftyp'),
      'the output holds references, never video bytes',
    );
    assert.equal(
      totalJobsCreated(await emulatorStats(stack.emulator)) - jobsBefore,
      1,
      'exactly one Sora job',
    );
  });

  test('Sora 1 with n_variants: one blob per generation, downloaded in parallel', async () => {
    const started = await postVideo(stack.host, {
      ...quickstartBody,
      width: 854,
      height: 480,
      n_seconds: 2,
      n_variants: 2,
    });
    assert.equal(started.status, 202, started.text);
    await checkVideo(started.body.id, { width: 854, height: 480, seconds: 2, count: 2, still: JPEG });
  });

  test('Sora 2 (videos API): size and seconds', async () => {
    const started = await postVideo(stack.host, {
      model: 'sora-2',
      prompt: 'A paper boat on a rainy street.',
      size: '1280x720',
      seconds: '4',
    });
    assert.equal(started.status, 202, started.text);
    const status = await checkVideo(started.body.id, {
      width: 1280,
      height: 720,
      seconds: 4,
      count: 1,
      still: WEBP,
    });
    assert.equal(status.upstream.model, 'sora-2');
  });

  test('provider-neutral bodies: {provider, model, prompt} on each Sora provider', async () => {
    for (const [provider, model] of [
      ['azure-openai', 'sora-2'],
      ['openai', 'sora-2'],
      ['azure-openai', 'sora'],
    ] as const) {
      const started = await postVideo(stack.host, {
        provider,
        model,
        prompt: 'A paper boat on a rainy street.',
      });
      assert.equal(started.status, 202, started.text);
      const expected =
        model === 'sora'
          ? { width: 480, height: 480, seconds: 5, count: 1, still: JPEG }
          : { width: 720, height: 1280, seconds: 4, count: 1, still: WEBP };
      const status = await checkVideo(started.body.id, expected);
      assert.deepEqual(
        [status.upstream.provider, status.upstream.kind, status.upstream.model],
        [provider, provider === 'openai' ? 'openai-videos' : 'azure-openai', model],
      );
    }
  });

  test("provider-neutral bodies on the live providers' APIs (fal queue, Replicate predictions): a playable H.264 MP4 of the asked aspect ratio and length", async () => {
    const cases = [
      { provider: 'fal', model: 'fal-ai/kling-video/v2/master/text-to-video', size: '9:16', seconds: 5 },
      { provider: 'replicate', model: 'kwaivgi/kling-v2.0', size: '16:9', seconds: 5 },
    ];
    await Promise.all(
      cases.map(async ({ provider, model, size, seconds }) => {
        const started = await postVideo(stack.host, {
          provider,
          model,
          prompt: 'A paper boat on a rainy street.',
          size,
        });
        assert.equal(started.status, 202, started.text);
        const status = await waitForVideo(stack.host, started.body.id);
        assert.equal(status.phase, 'completed', JSON.stringify(status));
        assert.deepEqual(
          [status.upstream.provider, status.upstream.kind, status.upstream.model],
          [provider, provider, model],
        );
        assert.deepEqual(status.request, {
          prompt: 'A paper boat on a rainy street.',
          provider,
          model,
          seconds,
          size,
          variants: 1,
        });
        assert.equal(status.videos.length, 1);
        const [video] = status.videos;
        assert.equal(video.contentType, 'video/mp4');
        const stored = await stack.container.getBlockBlobClient(video.blobName).downloadToBuffer();
        assert.equal(stored.length, video.bytes);
        const file = path.join(scratch, `${provider}.mp4`);
        writeFileSync(file, stored);
        const facts = await probeVideo(file);
        assert.equal(facts.codec, 'h264');
        const [w, h] = size.split(':').map(Number);
        assert.ok(
          Math.abs(facts.width / facts.height - w / h) < 0.05,
          `${facts.width}x${facts.height} is ${size}`,
        );
        assert.ok(Math.abs(facts.durationSeconds - seconds) < 0.5, `duration ${facts.durationSeconds} s`);
      }),
    );
  });

  test('GET /api/providers lists the configured providers and their models, no secrets', async () => {
    const answer = await call(`${stack.host.url}/api/providers`);
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(
      answer.body.map((p: { name: string }) => p.name),
      ['azure-openai', 'openai', 'fal', 'replicate'],
    );
    assert.deepEqual(
      answer.body.map((p: { kind: string }) => p.kind),
      ['azure-openai', 'openai-videos', 'fal', 'replicate'],
    );
    assert.equal(answer.body[0].default, true);
    assert.deepEqual(
      answer.body[1].models.map((m: { id: string }) => m.id),
      ['sora-2', 'sora-2-pro'],
    );
    assert.ok(!answer.text.includes(EMULATOR_KEY), 'no key');
    assert.ok(!answer.text.includes(stack.emulator.url), 'no endpoint');
  });
});
