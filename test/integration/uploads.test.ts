// POST /api/uploads against the real stack (the Node Functions host running the built app,
// Azurite): good images are stored and described, bad ones refused with a problem naming the
// field and never a blob left behind (committed or only staged), an oversized one refused
// before the host has read it, and the expireUploads timer deletes expired uploads but not one
// a request holds. The hold goes through the app's own store (src/uploads/upload-blobs.ts) on
// the same Azurite, as the request side calls it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { BlobServiceClient } from '@azure/storage-blob';
import { ApiError, VideosApi } from '../../cli/api-client.js';
import { createReadUrlSigner } from '../../src/storage/read-urls.js';
import { UploadBlobs, uploadBlobName, UPLOAD_PREFIX } from '../../src/uploads/upload-blobs.js';
import { UPLOAD_ID_PATTERN } from '../../src/uploads/upload-record.js';
import { eventually } from '../support/eventually.js';
import { flood } from '../support/flood.js';
import { SVG, solidJpeg, solidPng, solidWebp } from '../support/test-images.js';
import { call, CONTAINER, startPipelineStack, type Answer, type PipelineStack } from './pipeline-stack.js';

const MiB = 1024 * 1024;
const LIMIT = 10 * MiB;
/** Uploads live 12 s here, and the sweep runs every second: expiry is seen within a test. */
const TTL_SECONDS = 12;

let stack: PipelineStack;
let store: UploadBlobs;
before(async () => {
  stack = await startPipelineStack({
    settings: { UPLOAD_TTL_HOURS: String(TTL_SECONDS / 3600), UPLOAD_SWEEP_SCHEDULE: '* * * * * *' },
  });
  const service = BlobServiceClient.fromConnectionString(stack.azurite.connectionString);
  store = new UploadBlobs({
    container: async () => service.getContainerClient(CONTAINER),
    signer: createReadUrlSigner(service, 60, false),
    containerName: CONTAINER,
  });
});
after(async () => {
  await stack?.stop();
});

function upload(body: Buffer | string, contentType?: string): Promise<Answer> {
  return call(`${stack.host.url}/api/uploads`, {
    method: 'POST',
    headers: contentType ? { 'content-type': contentType } : {},
    body,
  });
}

/** Every blob under .uploads/, committed or only staged (uncommitted blocks show too). */
async function uploadBlobs(): Promise<string[]> {
  const names: string[] = [];
  if (!(await stack.container.exists())) return names;
  for await (const blob of stack.container.listBlobsFlat({
    prefix: UPLOAD_PREFIX,
    includeUncommitedBlobs: true,
  }))
    names.push(blob.name);
  return names.sort();
}

/** Request body bytes the host has read from its clients so far (its own count). */
async function bytesRead(): Promise<number> {
  return (await call(`${stack.host.url}/admin/host/status`)).body.requestBodyBytesRead as number;
}

const red: [number, number, number] = [200, 40, 40];

describe('good images are stored and described', () => {
  for (const [name, bytes, type, width, height] of [
    ['PNG', solidPng(64, 48, red), 'image/png', 64, 48],
    ['JPEG', solidJpeg(320, 180, red), 'image/jpeg', 320, 180],
    ['WebP', solidWebp(33, 65, red), 'image/webp', 33, 65],
    // Parameters on the Content-Type are allowed; the type is what counts.
    ['PNG sent as "Image/PNG; charset=binary"', solidPng(7, 5, red), 'Image/PNG; charset=binary', 7, 5],
  ] as const) {
    test(`${name} ${width}x${height} → 201`, async () => {
      const started = Date.now();
      const answer = await upload(bytes, type);
      assert.equal(answer.status, 201, answer.text);
      const body = answer.body as Record<string, unknown>;
      assert.match(String(body.uploadId), UPLOAD_ID_PATTERN);
      assert.equal(body.width, width);
      assert.equal(body.height, height);
      assert.equal(body.contentType, type.split(';')[0].toLowerCase());
      const expiresIn = Date.parse(String(body.expiresAt)) - started;
      assert.ok(
        expiresIn > (TTL_SECONDS - 2) * 1000 && expiresIn < (TTL_SECONDS + 5) * 1000,
        `${expiresIn} ms`,
      );
      // Stored as sent, under its own prefix, with its type: and the store finds it.
      const blob = stack.container.getBlockBlobClient(uploadBlobName(String(body.uploadId)));
      assert.deepEqual(await blob.downloadToBuffer(), bytes);
      assert.equal((await blob.getProperties()).contentType, body.contentType);
      const record = await store.find(String(body.uploadId));
      assert.equal(record?.width, width);
      assert.equal(record?.bytes, bytes.length);
      // The read link a provider gets opens the image.
      const link = await store.readUrl(String(body.uploadId), 60);
      const fetched = await fetch(link);
      assert.equal(fetched.status, 200);
      assert.deepEqual(Buffer.from(await fetched.arrayBuffer()), bytes);
    });
  }

  test('the bytes are never served back: no GET route for uploads', async () => {
    const answer = await upload(solidPng(4, 4, red), 'image/png');
    assert.equal(answer.status, 201);
    const get = await fetch(`${stack.host.url}/api/uploads/${answer.body.uploadId}`);
    assert.equal(get.status, 404);
    await get.body?.cancel();
  });
});

describe('bad images are refused, naming the field, leaving no blob behind', () => {
  const png = solidPng(64, 48, red);
  const cases: {
    name: string;
    body: Buffer | string;
    type?: string;
    status: number;
    field: string;
    detail: RegExp;
  }[] = [
    {
      name: 'not an image',
      body: 'just some text, not an image at all',
      type: 'image/png',
      status: 400,
      field: '',
      detail: /not a PNG/,
    },
    { name: 'empty body', body: '', type: 'image/jpeg', status: 400, field: '', detail: /empty/ },
    {
      name: 'a truncated PNG',
      body: png.subarray(0, png.length - 20),
      type: 'image/png',
      status: 400,
      field: '',
      detail: /truncated PNG/,
    },
    {
      name: 'a PNG with a damaged chunk',
      body: Buffer.concat([png.subarray(0, 40), Buffer.from('xxxx'), png.subarray(44)]),
      type: 'image/png',
      status: 400,
      field: '',
      detail: /CRC/,
    },
    {
      name: 'a truncated JPEG',
      body: solidJpeg(64, 48, red).subarray(0, 300),
      type: 'image/jpeg',
      status: 400,
      field: '',
      detail: /truncated JPEG/,
    },
    {
      name: 'SVG sent as image/svg+xml',
      body: SVG,
      type: 'image/svg+xml',
      status: 415,
      field: 'Content-Type',
      detail: /image\/svg\+xml/,
    },
    { name: 'SVG sent as image/png', body: SVG, type: 'image/png', status: 415, field: '', detail: /SVG/ },
    {
      name: 'a JPEG sent as image/png',
      body: solidJpeg(16, 16, red),
      type: 'image/png',
      status: 415,
      field: '',
      detail: /JPEG but was sent as image\/png/,
    },
    {
      name: 'a PNG sent as image/webp',
      body: png,
      type: 'image/webp',
      status: 415,
      field: '',
      detail: /PNG but was sent as image\/webp/,
    },
    {
      name: 'a GIF',
      body: Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00', 'latin1'),
      type: 'image/gif',
      status: 415,
      field: 'Content-Type',
      detail: /image\/gif/,
    },
    { name: 'no Content-Type', body: png, status: 415, field: 'Content-Type', detail: /none/ },
    {
      name: 'sent as JSON',
      body: '{"image":"x"}',
      type: 'application/json',
      status: 415,
      field: 'Content-Type',
      detail: /application\/json/,
    },
  ];
  for (const bad of cases) {
    test(`${bad.name} → ${bad.status}`, async () => {
      const blobsBefore = await uploadBlobs();
      const answer = await upload(bad.body, bad.type);
      assert.equal(answer.status, bad.status, answer.text);
      assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.deepEqual(
        answer.body.errors.map((e: { field: string }) => e.field),
        [bad.field],
      );
      assert.match(answer.body.detail, bad.detail);
      assert.deepEqual(await uploadBlobs(), blobsBefore, 'a blob was left behind');
    });
  }

  test('10 MiB is taken; 10 MiB + 1 is 413 at its Content-Length, before the host read it', async (t) => {
    // Exactly the limit: a real PNG padded to 10 MiB with an ancillary chunk passes.
    const exact = paddedPng(LIMIT);
    assert.equal(exact.length, LIMIT);
    const taken = await upload(exact, 'image/png');
    assert.equal(taken.status, 201, taken.text);

    const blobsBefore = await uploadBlobs();
    const readBefore = await bytesRead();
    const answer = await flood(stack.host, '/api/uploads', {
      capBytes: LIMIT + 1,
      contentLength: LIMIT + 1,
      contentType: 'image/png',
      head: png.subarray(0, 33),
      readAnswer: true,
    });
    assert.equal(answer.status, 413);
    assert.deepEqual(JSON.parse(answer.text!).errors, [
      { field: '', message: `is larger than ${LIMIT} bytes` },
    ]);
    const read = (await bytesRead()) - readBefore;
    // Refused on its header: the host read only what was in flight when the app answered.
    t.diagnostic(`declared: the host read ${(read / MiB).toFixed(2)} MiB before the 413`);
    assert.ok(
      read < 8 * MiB,
      `the host read ${(read / MiB).toFixed(2)} MiB of ${((LIMIT + 1) / MiB).toFixed(2)}`,
    );
    assert.deepEqual(await uploadBlobs(), blobsBefore);
  });

  test('10 MiB + 1 sent chunked (no Content-Length) is 413 once the body passes the limit', async (t) => {
    const blobsBefore = await uploadBlobs();
    const readBefore = await bytesRead();
    const answer = await flood(stack.host, '/api/uploads', {
      capBytes: 40 * MiB,
      contentType: 'image/png',
      head: png.subarray(0, 33),
      readAnswer: true,
    });
    assert.equal(answer.status, 413);
    // The app's problem, naming the body (not the host's own limit, which is far above).
    assert.deepEqual(JSON.parse(answer.text!).errors, [
      { field: '', message: `is larger than ${LIMIT} bytes` },
    ]);
    const read = (await bytesRead()) - readBefore;
    t.diagnostic(`chunked: the host read ${(read / MiB).toFixed(2)} MiB of 40 MiB offered`);
    assert.ok(read < LIMIT + 8 * MiB, `the host read ${(read / MiB).toFixed(2)} MiB of 40`);
    assert.deepEqual(await uploadBlobs(), blobsBefore);
  });
});

describe("the CLI's client (npm run generate -- --image FILE)", () => {
  test('uploads a file and gets its id and size; a refusal is an error quoting the problem', async () => {
    const api = new VideosApi(stack.host.url);
    const uploaded = await api.upload(solidWebp(40, 30, red), 'image/webp');
    assert.match(uploaded.uploadId, UPLOAD_ID_PATTERN);
    assert.deepEqual([uploaded.width, uploaded.height, uploaded.contentType], [40, 30, 'image/webp']);
    assert.equal((await store.find(uploaded.uploadId))?.bytes, solidWebp(40, 30, red).length);
    await assert.rejects(
      api.upload(solidJpeg(8, 8, red), 'image/png'),
      (error: Error) =>
        error instanceof ApiError &&
        /refused the image \(415: .*JPEG but was sent as image\/png/.test(error.message),
    );
  });
});

describe('expiry', () => {
  test('the timer deletes an expired upload, and keeps one a request holds', async () => {
    const first = await upload(solidPng(8, 8, red), 'image/png');
    const second = await upload(solidPng(8, 8, [10, 200, 10]), 'image/png');
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    const expiring = String(first.body.uploadId);
    const held = String(second.body.uploadId);
    const holdUntil = new Date(Date.now() + 3600 * 1000).toISOString();
    await store.holdUntil(held, holdUntil);
    assert.equal((await store.find(held))?.expiresAt, holdUntil);

    // Past its expiry the store no longer knows it, and the sweep deletes its blob.
    await eventually(
      'the unheld upload unknown',
      () => store.find(expiring),
      (record) => record === undefined,
      {
        timeoutMs: (TTL_SECONDS + 10) * 1000,
        everyMs: 250,
      },
    );
    await eventually(
      'the expired upload deleted by the timer',
      uploadBlobs,
      (names) => !names.includes(uploadBlobName(expiring)),
      { timeoutMs: 15_000, everyMs: 250 },
    );
    await assert.rejects(store.readUrl(expiring, 60), /unknown or expired/);
    // The held one outlived the same TTL: still stored and known, past the time it would have gone.
    assert.ok(Date.parse(String(second.body.expiresAt)) < Date.now());
    assert.ok((await uploadBlobs()).includes(uploadBlobName(held)));
    assert.equal((await store.find(held))?.uploadId, held);
  });

  test('unknown and malformed ids are not found', async () => {
    assert.equal(await store.find('upl_AAAAAAAAAAAAAAAAAAAAAA'), undefined);
    assert.equal(await store.find('../videos/x'), undefined);
    await assert.rejects(
      store.holdUntil('upl_AAAAAAAAAAAAAAAAAAAAAA', new Date().toISOString()),
      /unknown or expired/,
    );
  });
});

/** A valid PNG of exactly `size` bytes: an 8x8 image and a private ancillary chunk of padding. */
function paddedPng(size: number): Buffer {
  const base = solidPng(8, 8, red);
  const iend = base.subarray(base.length - 12);
  const pad = size - base.length - 12;
  const chunk = Buffer.alloc(12 + pad);
  chunk.writeUInt32BE(pad, 0);
  chunk.write('paDd', 4, 'latin1');
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + pad)), 8 + pad);
  return Buffer.concat([base.subarray(0, base.length - 12), chunk, iend]);
}
