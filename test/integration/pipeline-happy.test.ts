// The happy path for both Sora API families, end to end on the real parts: the status URLs
// go 202 → 200, the blob exists and a real decoder (ffprobe) confirms size and duration,
// and the read link from GET /api/videos/{id} serves the same bytes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { probeVideo } from '../e2e/helpers.js';
import { call, postVideo, quickstartBody, soraStats, startPipelineStack, totalJobsCreated, waitForVideo, type PipelineStack } from './pipeline-stack.js';

let stack: PipelineStack;
let scratch: string;
before(async () => {
  stack = await startPipelineStack();
  scratch = mkdtempSync(path.join(tmpdir(), 'pipeline-'));
});
after(async () => {
  await stack?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function checkVideo(id: string, expected: { width: number; height: number; seconds: number; count: number }) {
  const status = await waitForVideo(stack.host, id);
  assert.equal(status.phase, 'completed', JSON.stringify(status));
  assert.equal(status.videos.length, expected.count);
  for (const video of status.videos) {
    assert.equal(video.contentType, 'video/mp4');
    assert.match(video.blobName, new RegExp(`^${id}/[A-Za-z0-9_-]+\\.mp4$`), 'blob named from ids, never from the prompt');
    const stored = await stack.container.getBlockBlobClient(video.blobName).downloadToBuffer();
    assert.equal(stored.length, video.bytes);
    const viaLink = Buffer.from(await (await fetch(video.url)).arrayBuffer());
    assert.ok(viaLink.equals(stored), 'the read link serves the stored bytes');
    const file = path.join(scratch, `${id}-${video.generationId}.mp4`);
    writeFileSync(file, stored);
    const facts = await probeVideo(file);
    assert.equal(facts.codec, 'h264');
    assert.equal(facts.width, expected.width);
    assert.equal(facts.height, expected.height);
    assert.ok(Math.abs(facts.durationSeconds - expected.seconds) < 0.5, `duration ${facts.durationSeconds} s`);
    const props = await stack.container.getBlockBlobClient(video.blobName).getProperties();
    assert.equal(props.contentType, 'video/mp4');
    assert.equal(props.metadata?.size, `${expected.width}x${expected.height}`);
    assert.ok(!JSON.stringify(props.metadata).includes('cat'), 'metadata holds a prompt hash, not the prompt');
    await checkThumbnail(video, expected);
  }
  return status;
}

/** The generation's still beside its video: a JPEG of the video's size, with its own read link. */
async function checkThumbnail(video: any, expected: { width: number; height: number }) {
  const thumbnail = video.thumbnail;
  assert.ok(thumbnail, `a thumbnail beside ${video.blobName}`);
  assert.equal(thumbnail.blobName, video.blobName.replace(/\.mp4$/, '.jpg'));
  assert.equal(thumbnail.contentType, 'image/jpeg');
  const stored = await stack.container.getBlockBlobClient(thumbnail.blobName).downloadToBuffer();
  assert.equal(stored.length, thumbnail.bytes);
  assert.equal((await stack.container.getBlockBlobClient(thumbnail.blobName).getProperties()).contentType, 'image/jpeg');
  const viaLink = Buffer.from(await (await fetch(thumbnail.url)).arrayBuffer());
  assert.ok(viaLink.equals(stored), 'the thumbnail link serves the stored bytes');
  const file = path.join(scratch, `${video.generationId}.jpg`);
  writeFileSync(file, stored);
  const facts = await probeVideo(file);
  assert.equal(facts.codec, 'mjpeg');
  assert.deepEqual([facts.width, facts.height], [expected.width, expected.height]);
}

describe('POST /api/videos to a finished video', () => {
  test('Sora 1 (jobs API): the quickstart body as is', async () => {
    const jobsBefore = totalJobsCreated(await soraStats(stack.sora));
    const started = await postVideo(stack.host, quickstartBody);
    assert.equal(started.status, 202, started.text);
    assert.equal(started.headers.get('location'), started.body.statusQueryGetUri);
    const durable = await call(started.body.statusQueryGetUri);
    assert.ok([200, 202].includes(durable.status));

    const status = await checkVideo(started.body.id, { width: 480, height: 480, seconds: 5, count: 1 });
    assert.equal(status.sora.family, 'jobs');
    const done = await call(started.body.statusQueryGetUri);
    assert.equal(done.status, 200, 'the durable status URL answers 200 once completed');
    assert.equal(done.body.runtimeStatus, 'Completed');
    assert.ok(!JSON.stringify(done.body.output).includes('ftyp'), 'the output holds references, never video bytes');
    assert.equal(totalJobsCreated(await soraStats(stack.sora)) - jobsBefore, 1, 'exactly one Sora job');
  });

  test('Sora 1 with n_variants: one blob per generation, downloaded in parallel', async () => {
    const started = await postVideo(stack.host, { ...quickstartBody, width: 854, height: 480, n_seconds: 2, n_variants: 2 });
    assert.equal(started.status, 202, started.text);
    await checkVideo(started.body.id, { width: 854, height: 480, seconds: 2, count: 2 });
  });

  test('Sora 2 (videos API): size and seconds', async () => {
    const started = await postVideo(stack.host, { model: 'sora-2', prompt: 'A paper boat on a rainy street.', size: '1280x720', seconds: '4' });
    assert.equal(started.status, 202, started.text);
    const status = await checkVideo(started.body.id, { width: 1280, height: 720, seconds: 4, count: 1 });
    assert.equal(status.sora.family, 'videos');
  });
});
