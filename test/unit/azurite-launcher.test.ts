// The launcher every integration suite relies on: real Azurite, free ports, clean stop.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../../emulators/azurite/index.js';

test('startAzurite serves blob storage on a free port and stops', async () => {
  const azurite = await startAzurite();
  try {
    assert.match(azurite.blobEndpoint, /^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const container = blobs.getContainerClient('launcher-check');
    await container.create();
    await container.getBlockBlobClient('hello.txt').upload('hi', 2);
    const body = await container.getBlockBlobClient('hello.txt').downloadToBuffer();
    assert.equal(body.toString(), 'hi');
  } finally {
    await azurite.stop();
  }
  assert.notEqual(azurite.process.exitCode ?? azurite.process.signalCode, null);
});
