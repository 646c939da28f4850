// The create activity and the request's image, on real parts (Azurite for claims, the fal adapter
// over HTTP to a loopback capture server standing for fal's queue): an upload becomes a fresh
// short-lived read link made inside the activity and handed to the provider, and never comes back
// in the activity's result; an upload gone by then sends nothing. The upload store is a small
// in-memory implementation of the UploadStore interface (src/uploads/ holds the real one).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../../emulators/azurite/index.js';
import { createActivities, IMAGE_LINK_SECONDS } from '../../src/activities/video-activities.js';
import { createFalProvider } from '../../src/providers/fal/provider.js';
import { createReplicateProvider } from '../../src/providers/replicate/provider.js';
import type { VideoRequest } from '../../src/requests/video-request.js';
import { JobClaims } from '../../src/storage/job-claims.js';
import type { UploadStore } from '../../src/uploads/upload-record.js';

let azurite: RunningAzurite;
let container: ContainerClient;
let fal: { url: string; bodies: unknown[]; stop: () => Promise<void> };
before(async () => {
  azurite = await startAzurite();
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('videos');
  await container.createIfNotExists();
  const bodies: unknown[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(text || '{}'));
      const answer = JSON.stringify({ request_id: `req_${bodies.length}`, status: 'IN_QUEUE' });
      res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fal = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});
after(async () => {
  await fal?.stop();
  await azurite?.stop();
});

const UPLOAD = 'upl_AAAAAAAAAAAAAAAAAAAAAA';
const GONE = 'upl_ZZZZZZZZZZZZZZZZZZZZZZ';

/** An in-memory store holding one upload; records what it was asked. */
function memoryUploads() {
  const asked: string[] = [];
  const store: UploadStore = {
    find: async (id) =>
      id === UPLOAD
        ? {
            uploadId: id,
            contentType: 'image/png',
            width: 8,
            height: 8,
            bytes: 3,
            createdAt: '2026-12-07T00:00:00Z',
            expiresAt: '2999-01-01T00:00:00Z',
          }
        : undefined,
    readUrl: async (id, seconds) => {
      asked.push(`readUrl ${id} ${seconds}`);
      return `https://account.blob.example/uploads/${id}?se=later&sig=SIGNED`;
    },
    openRead: async () => ({
      stream: Readable.from([Buffer.from('abc')]),
      contentType: 'image/png',
      bytes: 3,
    }),
    holdUntil: async (id, until) => {
      asked.push(`holdUntil ${id} ${until}`);
    },
  };
  return { store, asked };
}

const request = (image: VideoRequest['image']): VideoRequest => ({
  provider: 'fal',
  kind: 'fal',
  model: 'fal-ai/kling-video/v2.1/standard/image-to-video',
  prompt: `A heron takes off ${Date.now()}.`,
  seconds: 5,
  size: 'auto',
  variants: 1,
  image,
  imageRole: 'first-frame',
});

const activitiesWith = (uploads: UploadStore) => {
  const provider = createFalProvider('fal', { queueUrl: fal.url, apiKey: 'k' }, { requestTimeoutMs: 5000 });
  return createActivities({
    providers: { get: () => provider },
    container: async () => container,
    claims: new JobClaims(async () => container),
    uploads,
  });
};

test('an upload goes to the provider as a fresh short-lived read link, and not back out', async () => {
  const { store, asked } = memoryUploads();
  const before = fal.bodies.length;
  const result = await activitiesWith(store).createVideoJob({
    instanceId: `inst-image-${Date.now()}`,
    request: request({ uploadId: UPLOAD }),
  });
  assert.ok(result.ok, JSON.stringify(result));
  assert.deepEqual(asked, [`readUrl ${UPLOAD} ${IMAGE_LINK_SECONDS}`]);
  const sent = fal.bodies[before] as Record<string, unknown>;
  assert.equal(sent.image_url, `https://account.blob.example/uploads/${UPLOAD}?se=later&sig=SIGNED`);
  assert.ok(!JSON.stringify(result).includes('SIGNED'), 'the signed link is not in the result (history)');
});

test('a link is handed over as given; the store is not asked', async () => {
  const { store, asked } = memoryUploads();
  const before = fal.bodies.length;
  const result = await activitiesWith(store).createVideoJob({
    instanceId: `inst-link-${Date.now()}`,
    request: request({ url: 'https://images.example.com/heron.png' }),
  });
  assert.ok(result.ok, JSON.stringify(result));
  assert.deepEqual(asked, []);
  assert.equal(
    (fal.bodies[before] as Record<string, unknown>).image_url,
    'https://images.example.com/heron.png',
  );
});

test('an upload gone by the time of the create sends nothing and fails for good', async () => {
  const { store } = memoryUploads();
  const before = fal.bodies.length;
  const instanceId = `inst-gone-${Date.now()}`;
  const claims = new JobClaims(async () => container);
  const result = await activitiesWith(store).createVideoJob({
    instanceId,
    request: request({ uploadId: GONE }),
  });
  assert.deepEqual([result.ok, !result.ok && result.kind], [false, 'permanent']);
  assert.equal(fal.bodies.length, before, 'no create was sent');
  assert.equal((await claims.readIntent(instanceId))?.sentAt, undefined, 'nothing is recorded as sent');
});

test('holdUpload keeps the upload until the given time', async () => {
  const { store, asked } = memoryUploads();
  await activitiesWith(store).holdUpload({ uploadId: UPLOAD, untilIso: '2026-12-08T01:00:00.000Z' });
  assert.deepEqual(asked, [`holdUntil ${UPLOAD} 2026-12-08T01:00:00.000Z`]);
});

/** A Replicate stand-in whose create answers are lost (the socket is cut after the request
 * arrives) and whose prediction list shows `listed`. */
async function lossyReplicate(listed: () => unknown[]) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST') {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results: listed() }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test("a lost create is adopted only from a listed job with this request's image", async () => {
  const prompt = `A heron lands ${Date.now()}.`;
  const listedJob = (id: string, image: string) => ({
    id,
    model: 'minimax/hailuo-02',
    status: 'starting',
    input: { prompt, duration: 6, first_frame_image: image },
    created_at: new Date().toISOString(),
  });
  let listed: unknown[] = [];
  const replicate = await lossyReplicate(() => listed);
  try {
    const { store } = memoryUploads();
    const provider = createReplicateProvider(
      'replicate',
      { baseUrl: replicate.url, apiToken: 'k' },
      { requestTimeoutMs: 5000 },
    );
    const activities = createActivities({
      providers: { get: () => provider },
      container: async () => container,
      claims: new JobClaims(async () => container),
      uploads: store,
      createSettleSeconds: 3600,
    });
    const input = {
      instanceId: `inst-adopt-${Date.now()}`,
      request: {
        provider: 'replicate',
        kind: 'replicate',
        model: 'minimax/hailuo-02',
        prompt,
        seconds: 6,
        size: 'auto',
        variants: 1,
        image: { uploadId: UPLOAD },
        imageRole: 'first-frame',
      } satisfies VideoRequest,
    };
    // Another client's job: same prompt, another image. Not ours.
    listed = [listedJob('other', 'https://elsewhere.example/heron.png')];
    const first = await activities.createVideoJob(input);
    assert.deepEqual([first.ok, !first.ok && first.kind], [false, 'transient'], JSON.stringify(first));
    // Ours shows up: the same upload (its read link signed anew, the signature differs).
    listed = [
      listedJob('other', 'https://elsewhere.example/heron.png'),
      listedJob('ours', `https://account.blob.example/uploads/${UPLOAD}?se=earlier&sig=OTHER`),
    ];
    const second = await activities.createVideoJob(input);
    assert.ok(second.ok, JSON.stringify(second));
    assert.equal(second.job.jobId, 'ours');
    assert.equal(second.adopted, true);
  } finally {
    await replicate.stop();
  }
});
