// Issue 23's first acceptance item through the whole stack (the Node functions host running the
// app, Azurite, the provider emulator): for fal, Replicate and Sora 2, an uploaded PNG
// (POST /api/uploads, then image:{uploadId}) and a linked JPEG (image:{url} on a loopback https
// server whose self-signed certificate the openssl CLI makes now) each give a completed video
// whose first frame, decoded by ffmpeg, carries the image's mean colour; the status view shows
// request.image as the caller sent it. Each case has its own colours, so a mix-up fails.
//
// Who reads the link: fal's and Replicate's emulated models fetch it themselves (they trust the
// test certificate through the emulator's imageCaFile); for Sora 2 the app fetches it (it sends
// the bytes as input_reference, src/providers/http/image-bytes.ts) and trusts the certificate
// through NODE_EXTRA_CA_CERTS given to the host. ALLOW_LOCAL_CALLBACKS (on in the stack) lets
// both reach loopback.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  bt601,
  carries,
  framesYuvOf,
  jpegOf,
  meanOf,
  pngOf,
  startImageServer,
  twoTone,
  type ImageServer,
  type Rgb,
} from '../support/input-images.js';
import { call, postVideo, startPipelineStack, waitForVideo, type PipelineStack } from './pipeline-stack.js';

let stack: PipelineStack;
let images: ImageServer;

before(async () => {
  images = await startImageServer();
  stack = await startPipelineStack({
    emulator: { imageCaFile: images.caFile },
    settings: { NODE_EXTRA_CA_CERTS: images.caFile },
  });
});
after(async () => {
  await stack?.stop();
  await images?.stop();
});

interface Provider {
  name: string;
  /** The request body without image. */
  body: Record<string, unknown>;
  /** The image's size (Sora 2's must be the video's). */
  width: number;
  height: number;
  /** The two halves of the uploaded PNG and of the linked JPEG. */
  png: [Rgb, Rgb];
  jpeg: [Rgb, Rgb];
}

const providers: Provider[] = [
  {
    name: 'fal (Kling 2.1 image-to-video)',
    body: { provider: 'fal', model: 'fal-ai/kling-video/v2.1/standard/image-to-video', seconds: 5 },
    width: 320,
    height: 180,
    png: [
      [230, 30, 30],
      [200, 60, 20],
    ],
    jpeg: [
      [30, 200, 40],
      [60, 160, 30],
    ],
  },
  {
    name: 'Replicate (kwaivgi/kling-v2.1)',
    body: { provider: 'replicate', model: 'kwaivgi/kling-v2.1', seconds: 5 },
    width: 320,
    height: 180,
    png: [
      [30, 40, 220],
      [60, 30, 180],
    ],
    jpeg: [
      [230, 220, 40],
      [200, 230, 20],
    ],
  },
  {
    name: 'Sora 2 (OpenAI videos API)',
    body: { provider: 'openai', model: 'sora-2', size: '1280x720', seconds: '4' },
    width: 1280,
    height: 720,
    png: [
      [200, 40, 200],
      [160, 20, 220],
    ],
    jpeg: [
      [40, 210, 210],
      [20, 180, 230],
    ],
  },
];

/** The mean colours of every case, to check that no two cases could pass for each other. */
const means = providers.flatMap((p) => [p.png, p.jpeg].map(([a, b]) => meanOf(twoTone(8, 2, a, b))));
test('every case has a colour of its own (more than twice the tolerance apart in YUV)', () => {
  for (const [i, a] of means.entries())
    for (const b of means.slice(i + 1)) {
      const distance = Math.max(...bt601(a).map((v, c) => Math.abs(v - bt601(b)[c])));
      assert.ok(distance > 12, `${a.join(',')} and ${b.join(',')} are ${distance.toFixed(1)} apart`);
    }
});

async function upload(png: Buffer): Promise<string> {
  const answer = await call(`${stack.host.url}/api/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body: png,
  });
  assert.equal(answer.status, 201, answer.text);
  return answer.body.uploadId as string;
}

/** Runs the request to its end and answers frame 1's average Y, U, V and the status view. */
async function firstFrameOf(body: Record<string, unknown>): Promise<{ yuv: Rgb; status: any }> {
  const accepted = await postVideo(stack.host, body);
  assert.equal(accepted.status, 202, accepted.text);
  const status = await waitForVideo(stack.host, accepted.body.id, 180_000);
  assert.equal(status.phase, 'completed', JSON.stringify(status));
  assert.equal(status.videos.length, 1);
  const mp4 = await stack.container.getBlockBlobClient(status.videos[0].blobName).downloadToBuffer();
  const [yuv] = await framesYuvOf(mp4, 1);
  return { yuv, status };
}

for (const provider of providers) {
  describe(provider.name, () => {
    const { width, height } = provider;

    test('an uploaded PNG: the first frame carries its mean colour; the status shows image.uploadId', async () => {
      const pixels = twoTone(width, height, ...provider.png);
      const uploadId = await upload(pngOf(pixels, width, height));
      const image = { uploadId };
      const { yuv, status } = await firstFrameOf({
        ...provider.body,
        prompt: `A flag in the wind, uploaded ${Date.now()}.`,
        image,
      });
      const mean = meanOf(pixels);
      assert.ok(
        carries(yuv, mean),
        `frame 1 YUV ${yuv.map((v) => v.toFixed(1)).join(',')} carries the image's mean ${mean.join(',')} ` +
          `(BT.601 ${bt601(mean)
            .map((v) => v.toFixed(1))
            .join(',')})`,
      );
      assert.deepEqual(status.request.image, image);
    });

    test('a linked JPEG over loopback https: the first frame carries its mean colour; the status shows image.url', async () => {
      const pixels = twoTone(width, height, ...provider.jpeg);
      const file = `/${provider.body.provider as string}-${Date.now()}.jpg`;
      images.serve(file, jpegOf(pixels, width, height), 'image/jpeg');
      const image = { url: `${images.url}${file}` };
      const { yuv, status } = await firstFrameOf({
        ...provider.body,
        prompt: `A flag in the wind, linked ${Date.now()}.`,
        image,
      });
      assert.ok(images.requested.includes(file), 'the image was fetched from its link');
      // The JPEG's own pixels are full-range YCbCr (JFIF); what is compared is the RGB mean the
      // test drew, as the video's encoder stores it (limited range), within the tolerance.
      const mean = meanOf(pixels);
      assert.ok(
        carries(yuv, mean),
        `frame 1 YUV ${yuv.map((v) => v.toFixed(1)).join(',')} carries the image's mean ${mean.join(',')} ` +
          `(BT.601 ${bt601(mean)
            .map((v) => v.toFixed(1))
            .join(',')})`,
      );
      assert.deepEqual(status.request.image, image);
    });
  });
}
