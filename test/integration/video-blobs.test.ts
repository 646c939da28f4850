// Streaming into real Azurite: bytes arrive intact, an interrupted or short stream leaves
// no visible blob, and a second run keeps the complete blob instead of downloading again.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../../emulators/azurite/index.js';
import { streamVideoToBlob, videoBlobName } from '../../src/storage/video-blobs.js';

const metadata = {
  provider: 'azure-openai',
  jobId: 'task_1',
  outputId: 'gen_1',
  model: 'sora',
  size: '480x480',
  seconds: '5',
};

/** A stream of `bytes` that emits an error after `failAfter` bytes, if given. */
function source(bytes: Buffer, failAfter?: number): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (failAfter !== undefined && offset >= failAfter) return this.destroy(new Error('connection reset'));
      const next = bytes.subarray(offset, offset + 1024 * 1024);
      offset += next.length;
      this.push(next.length > 0 ? next : null);
    },
  });
}

describe('streamVideoToBlob on Azurite', () => {
  let azurite: RunningAzurite;
  let container: ContainerClient;
  before(async () => {
    azurite = await startAzurite();
    container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('videos');
    await container.create();
  });
  after(() => azurite.stop());

  test('stores the exact bytes with type and metadata, and no prompt or unsalted prompt hash', async () => {
    const video = randomBytes(20 * 1024 * 1024 + 123);
    const name = videoBlobName('inst1', 'gen_1');
    const stored = await streamVideoToBlob(container, name, source(video), metadata, video.length);
    assert.deepEqual(stored, {
      blobName: 'inst1/gen_1.mp4',
      bytes: video.length,
      contentType: 'video/mp4',
      reused: false,
    });
    const blob = container.getBlockBlobClient(name);
    assert.ok((await blob.downloadToBuffer()).equals(video));
    const properties = await blob.getProperties();
    assert.equal(properties.contentType, 'video/mp4');
    assert.equal(properties.metadata?.jobid, 'task_1');
    assert.deepEqual(Object.keys(properties.metadata ?? {}).sort(), [
      'complete',
      'jobid',
      'model',
      'outputid',
      'provider',
      'seconds',
      'size',
    ]);
  });

  test('an interrupted stream leaves no visible blob', async () => {
    const name = videoBlobName('inst2', 'gen_1');
    await assert.rejects(
      streamVideoToBlob(container, name, source(randomBytes(12 * 1024 * 1024), 9 * 1024 * 1024), metadata),
      /connection reset/,
    );
    assert.equal(await container.getBlockBlobClient(name).exists(), false);
  });

  test('a stream shorter than its content-length leaves no visible blob', async () => {
    const name = videoBlobName('inst3', 'gen_1');
    const video = randomBytes(3 * 1024 * 1024);
    await assert.rejects(
      streamVideoToBlob(container, name, source(video), metadata, video.length + 10),
      /ended after/,
    );
    assert.equal(await container.getBlockBlobClient(name).exists(), false);
  });

  test('a second run keeps the complete blob and does not read the source', async () => {
    const video = randomBytes(1024 * 1024);
    const name = videoBlobName('inst4', 'gen_1');
    await streamVideoToBlob(container, name, source(video), metadata, video.length);
    let read = false;
    const untouched = new Readable({
      read() {
        read = true;
        this.push(null);
      },
    });
    const second = await streamVideoToBlob(container, name, untouched, metadata, video.length);
    assert.equal(second.reused, true);
    assert.equal(read, false);
    assert.ok((await container.getBlockBlobClient(name).downloadToBuffer()).equals(video));
  });

  test('blob names refuse anything but plain ids', () => {
    for (const bad of ['../etc', 'a/b', '', 'x'.repeat(200), 'a b']) {
      assert.throws(() => videoBlobName(bad, 'gen_1'), /not a safe/);
    }
  });
});
