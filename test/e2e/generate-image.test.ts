// `npm run generate -- --image <png> "prompt"` end to end (issue 23, CLI): the command starts the
// embedded stack, uploads the PNG (POST /api/uploads), asks an image-to-video model for a video
// from it and saves the MP4, whose first frame (decoded by ffmpeg) carries the image's mean colour.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { carries, framesYuvOf, meanOf, pngOf, twoTone } from '../support/input-images.js';
import { killGroup, probeVideo, startNpmScript, tempDir } from './helpers.js';

const MODEL = 'fal-ai/kling-video/v2.1/standard/image-to-video';

test('generate --image PATH with a fal image-to-video model saves a video that starts from the image', async (t) => {
  const dir = tempDir(t);
  const pixels = twoTone(320, 180, [250, 120, 20], [210, 90, 60]);
  const image = path.join(dir, 'start.png');
  writeFileSync(image, pngOf(pixels, 320, 180));
  const out = path.join(dir, 'from-image.mp4');

  const cli = startNpmScript(
    'generate',
    ['--image', image, '--provider', 'fal', '--model', MODEL, '--out', out, 'An orange kite rises.'],
    // The emulator's jobs at a twentieth of their realistic time; GENERATE_POLL_MS follows them.
    { PROVIDER_EMULATOR_TIME_SCALE: '0.05', GENERATE_POLL_MS: '300' },
  );
  // A guard against a hung run, not a speed claim.
  const budget = setTimeout(() => killGroup(cli), 240_000);
  t.after(() => {
    clearTimeout(budget);
    killGroup(cli);
  });
  const result = await cli.done;
  assert.equal(
    result.signal,
    null,
    `generate was killed.\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
  );
  assert.equal(result.code, 0, `generate failed.\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  assert.match(result.stderr, /Uploaded .*start\.png \(image\/png, 320x180\)/);
  assert.match(result.stdout, /Generated video saved as "[^"]*from-image\.mp4"/);

  const facts = await probeVideo(out);
  assert.equal(facts.codec, 'h264');
  const [first] = await framesYuvOf(readFileSync(out), 1);
  const mean = meanOf(pixels);
  assert.ok(
    carries(first, mean),
    `frame 1 YUV ${first.map((v) => v.toFixed(1)).join(',')} carries the image's mean ${mean.join(',')}`,
  );
});
