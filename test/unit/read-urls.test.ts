// Read links to stored videos: read-only, short-lived, and pinned to HTTPS wherever the storage
// endpoint is https (a security review's item 6: no link may be usable over plain http).
// Signing is local (account key, or a delegation key handed in): nothing here connects anywhere.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlobServiceClient, type UserDelegationKey } from '@azure/storage-blob';
import { createReadUrlSigner } from '../../src/storage/read-urls.js';

const ACCOUNT_KEY = Buffer.from('not-a-real-account-key-for-signing-tests-only').toString('base64');
const connectionString = (endpoint: string) =>
  `DefaultEndpointsProtocol=https;AccountName=videoacct;AccountKey=${ACCOUNT_KEY};BlobEndpoint=${endpoint};`;

/** A service that hands out a user delegation key without asking Azure (the key is fake). */
function delegatingService(endpoint: string): BlobServiceClient {
  const service = new BlobServiceClient(endpoint);
  const key: UserDelegationKey = {
    signedObjectId: '00000000-0000-0000-0000-000000000001',
    signedTenantId: '00000000-0000-0000-0000-000000000002',
    signedStartsOn: new Date(Date.now() - 60_000),
    signedExpiresOn: new Date(Date.now() + 3_600_000),
    signedService: 'b',
    signedVersion: '2025-01-05',
    value: ACCOUNT_KEY,
  };
  return Object.assign(service, { getUserDelegationKey: async () => key });
}

test('an https storage endpoint gets https-only links (spr=https), with the account key', async () => {
  const signer = createReadUrlSigner(
    BlobServiceClient.fromConnectionString(connectionString('https://videoacct.blob.core.windows.net')),
    60,
    false,
  );
  const { url } = await signer.readUrl('videos', 'run/a.mp4');
  const query = new URL(url).searchParams;
  assert.equal(query.get('spr'), 'https');
  assert.equal(query.get('sp'), 'r');
});

test('an https storage endpoint gets https-only links with a user delegation key (Azure)', async () => {
  const signer = createReadUrlSigner(delegatingService('https://videoacct.blob.core.windows.net'), 60, true);
  const { url } = await signer.readUrl('videos', 'run/a.mp4');
  const query = new URL(url).searchParams;
  assert.equal(query.get('spr'), 'https');
  assert.equal(query.get('sp'), 'r');
  assert.ok(query.get('skoid'), 'signed with the delegation key');
});

test('an http endpoint (Azurite, locally) is not pinned: its links must still open', async () => {
  const signer = createReadUrlSigner(
    BlobServiceClient.fromConnectionString(connectionString('http://127.0.0.1:10000/videoacct')),
    60,
    false,
  );
  const { url } = await signer.readUrl('videos', 'run/a.mp4');
  assert.notEqual(new URL(url).searchParams.get('spr'), 'https');
});

test("a link for a time of the caller's own (an upload's, for a provider) lasts that long, pinned the same", async () => {
  for (const [service, delegated] of [
    [
      BlobServiceClient.fromConnectionString(connectionString('https://videoacct.blob.core.windows.net')),
      false,
    ],
    [delegatingService('https://videoacct.blob.core.windows.net'), true],
  ] as const) {
    const signer = createReadUrlSigner(service, 60, delegated);
    const before = Date.now();
    const { url, expiresOn } = await signer.readUrl('videos', '.uploads/upl_AAAAAAAAAAAAAAAAAAAAAA', 300);
    const query = new URL(url).searchParams;
    assert.equal(query.get('spr'), 'https');
    assert.equal(query.get('sp'), 'r');
    const lasts = expiresOn.getTime() - before;
    assert.ok(lasts >= 299_000 && lasts <= 301_000, `${lasts} ms`);
    assert.equal(Date.parse(query.get('se')!), Math.floor(expiresOn.getTime() / 1000) * 1000);
  }
});
