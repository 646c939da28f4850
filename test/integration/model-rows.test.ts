// Every row of the app's fal and Replicate tables makes a video through its adapter against the
// provider emulator over HTTP (issue 26): the adapter's wire input for the row's default length and
// size (its image, as a data: URI, where the model requires one) is accepted, the job succeeds, and
// the MP4 it streams is H.264 of the length asked, in the shape asked. The emulator's own tables
// are written apart from src/ (model-coverage.test.ts checks every length and size against them).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { callbackUrlProblem } from '../../src/callbacks/callback-url.js';
import { createFalProvider } from '../../src/providers/fal/provider.js';
import { FAL_MODELS } from '../../src/providers/fal/models.js';
import type { ForeignUrlRule } from '../../src/providers/http/transport.js';
import type { JobSpec, ModelInfo, VideoProvider } from '../../src/providers/provider.js';
import { createReplicateProvider } from '../../src/providers/replicate/provider.js';
import { REPLICATE_MODELS } from '../../src/providers/replicate/models.js';
import { probeVideo } from '../provider-emulator/ffprobe.js';
import { eventually } from '../support/eventually.js';
import { solidPng } from '../support/test-images.js';

const KEY = 'model-rows-key';
/** The registry's rule in local development: the emulator's files are on loopback. */
const localRule: ForeignUrlRule = (url) => callbackUrlProblem(url, { allowLoopback: true });
/** A small square image the emulated model fetches like the vendor (a data: URI needs no server). */
const IMAGE = `data:image/png;base64,${solidPng(32, 32, [200, 120, 40]).toString('base64')}`;

/** Rows in flight at once: the emulator encodes each video, and a few at a time keep its answers
 * prompt on a loaded machine (all at once, its status answers passed the adapters' timeout). */
const AT_ONCE = 3;

/** `work` over the items, at most `limit` at a time; the results in the items' order. */
async function inTurns<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** The request a row gets by default, with the image where the model requires one. */
function specOf(row: ModelInfo): JobSpec {
  return {
    model: row.id,
    prompt: `A lighthouse at dusk (${row.id}).`,
    seconds: row.defaultSeconds,
    size: row.defaultSize,
    variants: 1,
    ...(row.image?.use === 'required'
      ? { image: { role: row.image.roles[0], field: row.image.field, url: IMAGE, source: { kind: 'link' } } }
      : {}),
  };
}

/** Makes the row's video through the adapter, and probes what it streams. */
async function makeVideo(adapter: VideoProvider, spec: JobSpec, dir: string) {
  const created = await adapter.createJob(spec);
  const done = await eventually(
    `${spec.model} finished`,
    () => adapter.getJob({ model: spec.model, jobId: created.jobId }),
    (job) => !['queued', 'running'].includes(job.phase),
    { everyMs: 100, timeoutMs: 120_000 },
  );
  assert.equal(done.phase, 'succeeded', `${spec.model}: ${JSON.stringify(done)}`);
  const content = await adapter.openOutput({ model: spec.model, jobId: created.jobId }, done.outputs[0].id);
  const chunks: Buffer[] = [];
  for await (const chunk of content.body) chunks.push(chunk as Buffer);
  const file = path.join(dir, `${spec.model.replaceAll('/', '_')}.mp4`);
  writeFileSync(file, Buffer.concat(chunks));
  return probeVideo(file);
}

describe('every fal and Replicate row makes a video against the emulator', () => {
  let emulator: RunningProviderEmulator;
  let dir: string;
  before(async () => {
    emulator = await startProviderEmulator({
      port: 0,
      apiKey: KEY,
      timeScale: 0.02,
      falConcurrency: AT_ONCE,
    });
    dir = mkdtempSync(path.join(tmpdir(), 'model-rows-'));
  });
  after(async () => {
    await emulator?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const kinds: Array<{ name: string; rows: readonly ModelInfo[]; adapter: () => VideoProvider }> = [
    {
      name: 'fal',
      rows: FAL_MODELS,
      adapter: () =>
        createFalProvider(
          'fal',
          { queueUrl: `${emulator.url}/fal`, apiKey: KEY },
          { requestTimeoutMs: 10_000, foreignUrls: localRule },
        ),
    },
    {
      name: 'replicate',
      rows: REPLICATE_MODELS,
      adapter: () =>
        createReplicateProvider(
          'replicate',
          { baseUrl: `${emulator.url}/replicate/v1`, apiToken: KEY },
          { requestTimeoutMs: 10_000, foreignUrls: localRule },
        ),
    },
  ];
  for (const kind of kinds)
    test(`${kind.name}: each row's default request ends succeeded with an H.264 video of its length and shape`, async () => {
      const adapter = kind.adapter();
      const made = await inTurns(kind.rows, AT_ONCE, async (row) => ({
        row,
        video: await makeVideo(adapter, specOf(row), dir),
      }));
      for (const { row, video } of made) {
        assert.equal(video.codec, 'h264', row.id);
        assert.ok(
          Math.abs(video.seconds - row.defaultSeconds) < 0.5,
          `${row.id}: ${video.seconds} s, asked ${row.defaultSeconds}`,
        );
        const ratio = /^(\d+):(\d+)$/.exec(row.defaultSize);
        if (ratio)
          assert.ok(
            Math.abs(video.width / video.height - Number(ratio[1]) / Number(ratio[2])) < 0.05,
            `${row.id}: ${video.width}x${video.height}, asked ${row.defaultSize}`,
          );
      }
    });
});
