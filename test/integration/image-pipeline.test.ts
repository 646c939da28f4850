// A start image through the whole stack (the Node functions host running the app, Azurite, the
// provider emulator): Sora 2 on the OpenAI videos API takes only the image's bytes, so for a
// caller's link the app fetches it (here from a loopback image server: ALLOW_LOCAL_CALLBACKS is
// on in the stack) and sends it as input_reference, which the emulator checks against `size`. A
// link of the wrong size fails the request before any create reaches the provider. The status view
// shows the image as the caller gave it.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { solidPng } from '../support/test-images.js';
import {
  emulatorStats,
  postVideo,
  startPipelineStack,
  totalJobsCreated,
  waitForVideo,
  type PipelineStack,
} from './pipeline-stack.js';

let stack: PipelineStack;
let images: { url: string; served: string[]; stop: () => Promise<void> };
before(async () => {
  stack = await startPipelineStack();
  const files: Record<string, Buffer> = {
    '/heron-1280x720.png': solidPng(1280, 720, [200, 60, 30]),
    '/heron-640x480.png': solidPng(640, 480, [200, 60, 30]),
  };
  const served: string[] = [];
  const server = http.createServer((req, res) => {
    served.push(req.url ?? '');
    const file = files[req.url ?? ''];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': file.length }).end(file);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  images = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});
after(async () => {
  await images?.stop();
  await stack?.stop();
});

const sora2 = (image: unknown) => ({
  provider: 'openai',
  model: 'sora-2',
  size: '1280x720',
  seconds: '4',
  prompt: `A heron takes off ${Date.now()}.`,
  image,
});

test("Sora 2 with a linked image of its size: fetched, sent, the video made; the status shows the caller's link", async () => {
  const image = { url: `${images.url}/heron-1280x720.png` };
  const accepted = await postVideo(stack.host, sora2(image));
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  const done = await waitForVideo(stack.host, accepted.body.id, 120_000);
  assert.equal(done.phase, 'completed', JSON.stringify(done));
  assert.deepEqual(done.request.image, image);
  assert.equal(done.request.imageRole, 'first-frame');
  assert.ok(images.served.includes('/heron-1280x720.png'), 'the app fetched the link');
});

test('Sora 2 with a linked image of another size: the request fails, and no create reaches the provider', async () => {
  const before = totalJobsCreated(await emulatorStats(stack.emulator));
  const accepted = await postVideo(stack.host, sora2({ url: `${images.url}/heron-640x480.png` }));
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  const done = await waitForVideo(stack.host, accepted.body.id, 120_000);
  assert.equal(done.phase, 'failed', JSON.stringify(done));
  assert.match(JSON.stringify(done), /640x480.*1280x720/);
  assert.equal(totalJobsCreated(await emulatorStats(stack.emulator)), before, 'no job was created');
});

test('Sora 1 (jobs API) with a linked image: sent as a file and its inpainting item, the video made', async () => {
  const before = images.served.length;
  const image = { url: `${images.url}/heron-640x480.png` };
  const accepted = await postVideo(stack.host, {
    provider: 'azure-openai',
    model: 'sora',
    size: '480x480',
    seconds: 5,
    prompt: `A heron lands ${Date.now()}.`,
    image,
  });
  assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
  const done = await waitForVideo(stack.host, accepted.body.id, 120_000);
  assert.equal(done.phase, 'completed', JSON.stringify(done));
  assert.deepEqual(done.request.image, image);
  assert.ok(images.served.length > before, 'the app fetched the link');
});
