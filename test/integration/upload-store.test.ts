// The upload store on real Azurite (src/uploads/upload-blobs.ts, expire-uploads.ts): records
// round-trip through blob metadata, expiry hides an upload, holds only move expiry forwards
// (concurrent ones too), and a hold that lands between the sweep's listing and its delete
// wins: the sweep deletes only the version it saw expired (If-Match).
import assert from 'node:assert/strict';
import { text } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../../emulators/azurite/index.js';
import { createReadUrlSigner } from '../../src/storage/read-urls.js';
import { expireUploads } from '../../src/uploads/expire-uploads.js';
import { UploadBlobs, uploadBlobName, UploadNotFoundError } from '../../src/uploads/upload-blobs.js';
import type { UploadRecord } from '../../src/uploads/upload-record.js';
import { newUploadId } from '../../src/functions/uploads-api.js';
import { solidPng } from '../support/test-images.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const HOUR = 3600 * 1000;

let azurite: RunningAzurite;
let service: BlobServiceClient;
let container: ContainerClient;
before(async () => {
  azurite = await startAzurite();
  service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  container = service.getContainerClient('videos');
  await container.create();
});
after(async () => {
  await azurite?.stop();
});

/** A store whose clock reads `at` (ms). */
const storeAt = (at: number, on: ContainerClient = container) =>
  new UploadBlobs({
    container: async () => on,
    signer: createReadUrlSigner(service, 60, false),
    containerName: 'videos',
    now: () => new Date(at),
  });

async function saved(expiresInHours = 1): Promise<UploadRecord> {
  const bytes = solidPng(4, 3, [1, 2, 3]);
  const record: UploadRecord = {
    uploadId: newUploadId(),
    contentType: 'image/png',
    width: 4,
    height: 3,
    bytes: bytes.length,
    createdAt: new Date(T0).toISOString(),
    expiresAt: new Date(T0 + expiresInHours * HOUR).toISOString(),
  };
  await storeAt(T0).save(record, bytes);
  return record;
}

describe('UploadBlobs on Azurite', () => {
  test('find gives the record back until it expires; openRead streams the bytes', async () => {
    const record = await saved();
    assert.deepEqual(await storeAt(T0 + HOUR - 1).find(record.uploadId), record);
    assert.equal(await storeAt(T0 + HOUR).find(record.uploadId), undefined);
    const read = await storeAt(T0).openRead(record.uploadId);
    assert.equal(read.contentType, 'image/png');
    assert.equal((await text(read.stream)).length > 0, true);
    await assert.rejects(storeAt(T0 + HOUR).openRead(record.uploadId), UploadNotFoundError);
    await assert.rejects(storeAt(T0 + HOUR).readUrl(record.uploadId, 60), UploadNotFoundError);
  });

  test('a save never overwrites an upload', async () => {
    const record = await saved();
    await assert.rejects(storeAt(T0).save(record, Buffer.from('other')), (e: { statusCode?: number }) =>
      [409, 412].includes(e.statusCode ?? 0),
    );
  });

  test('the read link is for this blob only, and for the time asked', async () => {
    const record = await saved();
    const url = new URL(await storeAt(T0).readUrl(record.uploadId, 90));
    assert.ok(url.pathname.endsWith(`/videos/${uploadBlobName(record.uploadId)}`), url.pathname);
    assert.equal(url.searchParams.get('sp'), 'r');
    const expiry = Date.parse(url.searchParams.get('se')!) - Date.now();
    assert.ok(expiry > 80_000 && expiry <= 91_000, `${expiry} ms`);
  });

  test('holds only move expiry forwards; concurrent holds end at the latest', async () => {
    const record = await saved();
    const store = storeAt(T0);
    await store.holdUntil(record.uploadId, new Date(T0 + 30 * 60 * 1000).toISOString()); // earlier: no change
    assert.equal((await store.find(record.uploadId))?.expiresAt, record.expiresAt);
    const untils = [5, 3, 9, 2, 7].map((hours) => new Date(T0 + hours * HOUR).toISOString());
    await Promise.all(untils.map((until) => store.holdUntil(record.uploadId, until)));
    assert.equal((await store.find(record.uploadId))?.expiresAt, new Date(T0 + 9 * HOUR).toISOString());
    await assert.rejects(store.holdUntil('upl_AAAAAAAAAAAAAAAAAAAAAA', untils[0]), UploadNotFoundError);
  });

  test('the sweep deletes expired uploads only', async () => {
    const expired = await saved(1);
    const alive = await saved(5);
    const result = await expireUploads(container, new Date(T0 + 2 * HOUR), 24);
    assert.ok(result.deleted >= 1);
    assert.equal(await container.getBlockBlobClient(uploadBlobName(expired.uploadId)).exists(), false);
    assert.equal(await container.getBlockBlobClient(uploadBlobName(alive.uploadId)).exists(), true);
  });

  test('a hold between the listing and the delete wins: the upload is kept', async () => {
    const record = await saved(1);
    // The sweep's clock is past the expiry; the request holding it still saw it alive.
    const holder = storeAt(T0 + HOUR - 1000);
    const racing = new Proxy(container, {
      get(target, name, receiver) {
        if (name !== 'deleteBlob') return Reflect.get(target, name, receiver);
        return async (...args: Parameters<ContainerClient['deleteBlob']>) => {
          if (args[0] === uploadBlobName(record.uploadId))
            await holder.holdUntil(record.uploadId, new Date(T0 + 6 * HOUR).toISOString());
          return target.deleteBlob(...args);
        };
      },
    });
    await expireUploads(racing, new Date(T0 + 2 * HOUR), 24);
    assert.equal(await container.getBlockBlobClient(uploadBlobName(record.uploadId)).exists(), true);
    assert.equal(
      (await storeAt(T0 + 2 * HOUR).find(record.uploadId))?.expiresAt,
      new Date(T0 + 6 * HOUR).toISOString(),
    );
  });

  test('a blob under .uploads/ without a record goes once older than the TTL', async () => {
    await container.getBlockBlobClient('.uploads/stray').uploadData(Buffer.from('x'));
    await expireUploads(container, new Date(Date.now() + 1000), 1);
    assert.equal(await container.getBlockBlobClient('.uploads/stray').exists(), true);
    await expireUploads(container, new Date(Date.now() + 2 * HOUR), 1);
    assert.equal(await container.getBlockBlobClient('.uploads/stray').exists(), false);
  });
});
