// Veo's first-frame image through the Gemini API, sent by the official @ai-sdk/google through the AI
// SDK's experimental_generateVideo (`prompt: {image, text}`): the video starts with the image's mean
// colour (decoded by ffmpeg); an image whose magic bytes pass but which does not decode is Google's
// 400 INVALID_ARGUMENT naming `image`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { APICallError, experimental_generateVideo as generateVideo } from 'ai';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { json } from './helpers.js';
import { carries, framesYuvOf, meanOf, pngOf, twoTone } from './input-images.js';

/** The SDK's default download refuses loopback addresses (its SSRF guard), so the test fetches the URI itself. */
async function download({ url }: { url: URL }) {
  const response = await fetch(url);
  return { data: new Uint8Array(await response.arrayBuffer()), mediaType: 'video/mp4' };
}

describe('provider emulator: Veo image-to-video through the Gemini API with @ai-sdk/google', () => {
  let emulator: RunningProviderEmulator;
  let google: ReturnType<typeof createGoogleGenerativeAI>;
  before(async () => {
    emulator = await startProviderEmulator({ timeScale: 0.02, geminiKey: 'AIza-test' });
    google = createGoogleGenerativeAI({ apiKey: 'AIza-test', baseURL: `${emulator.url}/v1beta` });
  });
  after(() => emulator.stop());

  test('the first frame carries the image; the operation shows it', async () => {
    const picture = twoTone(64, 64, [250, 250, 250], [120, 0, 60]);
    const result = await generateVideo({
      model: google.video('veo-3.0-fast-generate-001'),
      prompt: { image: pngOf(picture, 64, 64), text: 'A still comes alive' },
      duration: 4,
      poll: { intervalMs: 50 },
      download,
    });
    const [first, second] = await framesYuvOf(Buffer.from(result.video.uint8Array));
    const mean = meanOf(picture);
    assert.ok(carries(first, mean), `frame 1 ${first.join(',')} carries ${mean.join(',')}`);
    assert.ok(!carries(second, mean), `frame 2 ${second.join(',')} is the usual pattern`);
    const stats = await json<{ images: { fetched: number } }>(fetch(`${emulator.url}/_admin/stats`));
    assert.equal(stats.images.fetched, 1);
  });

  test('a PNG cut short (its signature intact) → 400 INVALID_ARGUMENT naming image', async () => {
    const cut = pngOf(twoTone(64, 64, [1, 2, 3], [4, 5, 6]), 64, 64).subarray(0, 60);
    const error = await generateVideo({
      model: google.video('veo-3.0-fast-generate-001'),
      prompt: { image: cut, text: 'p' },
      duration: 4,
      poll: { intervalMs: 50 },
      download,
    }).then(
      () => assert.fail('accepted'),
      (e: unknown) => e,
    );
    assert.ok(APICallError.isInstance(error), String(error));
    assert.equal(error.statusCode, 400);
    assert.match(error.responseBody ?? '', /INVALID_ARGUMENT/);
    assert.match(error.responseBody ?? '', /`image` is not a valid image/);
  });
});
