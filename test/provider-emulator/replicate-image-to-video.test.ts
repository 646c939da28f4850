// Replicate image-to-video models in the emulator, driven by the official replicate client: the
// image input (its name differs per model) is fetched from a real Azurite SAS read link over
// http, or from loopback https with a test CA, when the prediction starts; the video's first
// frame carries the image's mean colour (decoded by ffmpeg). A missing required image is a 422;
// an image that is not one, or whose link no longer reads, fails the prediction with an error
// naming the input.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BlobSASPermissions, BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import Replicate, { type ApiError } from 'replicate';
import { startAzurite, type RunningAzurite } from '../../emulators/azurite/index.js';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { json } from './helpers.js';
import {
  carries,
  framesYuv,
  jpegOf,
  meanOf,
  pngOf,
  startImageServer,
  twoTone,
  type ImageServer,
} from './input-images.js';

interface AdminJob {
  image: { source: string; format: string; average: number[] } | null;
}

describe('provider emulator: Replicate image-to-video with the official replicate client', () => {
  let emulator: RunningProviderEmulator;
  let azurite: RunningAzurite;
  let container: ContainerClient;
  let images: ImageServer;
  let replicate: Replicate;
  const jpegPicture = twoTone(80, 48, [250, 200, 30], [30, 60, 250]);
  const pngPicture = twoTone(40, 60, [10, 10, 10], [200, 240, 220]);

  /** An http read link to the blob, as the app would hand a provider (expired when `expiresOn` is past). */
  async function sasUrl(name: string, bytes: Buffer, expiresOn = new Date(Date.now() + 600_000)) {
    const blob = container.getBlockBlobClient(name);
    await blob.uploadData(bytes, { blobHTTPHeaders: { blobContentType: 'image/jpeg' } });
    return blob.generateSasUrl({ permissions: BlobSASPermissions.parse('r'), expiresOn });
  }

  before(async () => {
    [azurite, images] = await Promise.all([startAzurite(), startImageServer()]);
    container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      'uploads',
    );
    await container.create();
    images.serve('/picture.png', pngOf(pngPicture, 40, 60), 'image/png');
    images.serve('/notes.txt', Buffer.from('plain text, not an image'), 'text/plain');
    emulator = await startProviderEmulator({
      timeScale: 0.02,
      replicateToken: 'r8_test',
      imageCaFile: images.caFile,
    });
    replicate = new Replicate({ auth: 'r8_test', baseUrl: `${emulator.url}/replicate/v1` });
  });
  after(async () => {
    await emulator.stop();
    await Promise.all([azurite.stop(), images.stop()]);
  });

  test('kling-v2.1 start_image from an Azurite SAS link (http): the first frame carries the JPEG mean colour', async () => {
    const link = await sasUrl('still.jpg', jpegOf(jpegPicture, 80, 48));
    assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/uploads\/still\.jpg\?.*sig=/);
    const created = await replicate.predictions.create({
      model: 'kwaivgi/kling-v2.1',
      input: { prompt: 'A yellow and blue wall', start_image: link, duration: 5 },
    });
    const done = await replicate.wait(created, { interval: 50 });
    assert.equal(done.status, 'succeeded', String(done.error));
    const [first, second] = await framesYuv(done.output as string);
    const mean = meanOf(jpegPicture);
    assert.ok(carries(first, mean), `frame 1 ${first.join(',')} carries ${mean.join(',')}`);
    assert.ok(!carries(second, mean), `frame 2 ${second.join(',')} is the usual pattern`);
    const job = await json<AdminJob>(fetch(`${emulator.url}/_admin/jobs/${created.id}`));
    assert.deepEqual([job.image?.source, job.image?.format], ['http', 'jpeg']);
  });

  test('wan-2.2-i2v-fast image over loopback https, trusted through the test CA', async () => {
    const created = await replicate.predictions.create({
      model: 'wan-video/wan-2.2-i2v-fast',
      input: { prompt: 'Dark and pale', image: `${images.url}/picture.png` },
    });
    const done = await replicate.wait(created, { interval: 50 });
    assert.equal(done.status, 'succeeded', String(done.error));
    const [first] = await framesYuv(done.output as string, 1);
    const mean = meanOf(pngPicture);
    assert.ok(carries(first, mean), `frame 1 ${first.join(',')} carries ${mean.join(',')}`);
  });

  test('a data: URI image (what the client sends for inline files) starts the video too', async () => {
    // replicate@1.4.0's own `fileEncodingStrategy: "data-uri"` hands its transform the client
    // instead of the input (lib/util.js transformFileInputs), so the URI is made here.
    const image = `data:image/png;base64,${pngOf(pngPicture, 40, 60).toString('base64')}`;
    const created = await replicate.predictions.create({
      model: 'bytedance/seedance-1-pro',
      input: { prompt: 'Inline', image, duration: 2 },
    });
    const done = await replicate.wait(created, { interval: 50 });
    assert.equal(done.status, 'succeeded', String(done.error));
    const [first] = await framesYuv(done.output as string, 1);
    const mean = meanOf(pngPicture);
    assert.ok(carries(first, mean), `frame 1 ${first.join(',')} carries ${mean.join(',')}`);
    const job = await json<AdminJob>(fetch(`${emulator.url}/_admin/jobs/${created.id}`));
    assert.deepEqual([job.image?.source, job.image?.format], ['data', 'png']);
  });

  test('a required image left out → 422 naming input.start_image; nothing created', async () => {
    const before = (await json<{ creates: { replicate: number } }>(fetch(`${emulator.url}/_admin/stats`)))
      .creates.replicate;
    const error = await replicate.predictions
      .create({ model: 'kwaivgi/kling-v2.1', input: { prompt: 'no image' } })
      .then(
        () => assert.fail('created without its required image'),
        (e: ApiError) => e,
      );
    assert.equal(error.response.status, 422);
    // The client has read the body into its message.
    const body = JSON.parse(/: (\{.*\})\.$/s.exec(error.message)![1]) as { invalid_fields: unknown };
    assert.deepEqual(body.invalid_fields, [
      { type: 'required', field: 'input.start_image', description: 'input: start_image is required' },
    ]);
    const after = (await json<{ creates: { replicate: number } }>(fetch(`${emulator.url}/_admin/stats`)))
      .creates.replicate;
    assert.equal(after, before);
  });

  test('an optional image left out: hailuo-02 runs from the prompt alone and shows no image', async () => {
    const created = await replicate.predictions.create({
      model: 'minimax/hailuo-02',
      input: { prompt: 'text only' },
    });
    const done = await replicate.wait(created, { interval: 50 });
    assert.equal(done.status, 'succeeded');
    const job = await json<AdminJob>(fetch(`${emulator.url}/_admin/jobs/${created.id}`));
    assert.equal(job.image, null);
  });

  test('not an image, or an expired SAS link: the prediction fails at its start with an error naming the input', async () => {
    const expired = await sasUrl('old.jpg', jpegOf(jpegPicture, 80, 48), new Date(Date.now() - 60_000));
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ start_image: `${images.url}/notes.txt` }, 'kwaivgi/kling-v2.1', /start_image is not a valid image/],
      [{ start_image: expired }, 'kwaivgi/kling-v2.1', /Failed to download start_image: .*HTTP 403/],
      [
        { first_frame_image: `${images.url}/nothing.png` },
        'minimax/hailuo-02',
        /Failed to download first_frame_image: .*HTTP 404/,
      ],
    ];
    for (const [input, model, error] of cases) {
      const created = await replicate.predictions.create({
        model: model as `${string}/${string}`,
        input: { prompt: 'bad image', ...input },
      });
      assert.equal(created.status, 'starting', 'the create itself is accepted');
      const done = await replicate.wait(created, { interval: 50 }).catch((e: unknown) => e);
      const got = await replicate.predictions.get(created.id);
      assert.equal(got.status, 'failed', `${model} ${JSON.stringify(input)} (${String(done)})`);
      assert.match(String(got.error), error);
      assert.equal(got.output, null);
    }
  });
});
