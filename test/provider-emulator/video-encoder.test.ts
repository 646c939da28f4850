// The emulator's videos must be real: ffprobe reads the codec, size and duration we asked for,
// the same input gives the same bytes, and padding keeps the file valid.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { encodeVideoFile } from '../../emulators/providers/video-encoder.js';
import { probeVideo } from './ffprobe.js';
import { eventually } from '../support/eventually.js';

const dir = mkdtempSync(path.join(tmpdir(), 'encoder-video-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('encodeVideoFile', () => {
  test('writes an H.264 MP4 of the requested size and duration', async () => {
    const file = path.join(dir, 'a.mp4');
    await encodeVideoFile({ width: 480, height: 854, seconds: 5, seed: 'A cat playing piano' }, file);
    const info = await probeVideo(file);
    assert.equal(info.codec, 'h264');
    assert.deepEqual([info.width, info.height], [480, 854]);
    assert.ok(Math.abs(info.seconds - 5) < 0.2, `duration ${info.seconds}`);
    assert.match(info.format, /mp4/);
  });

  test('is deterministic for the same input and differs for another prompt', async () => {
    const spec = { width: 480, height: 480, seconds: 2, seed: 'same' };
    await encodeVideoFile(spec, path.join(dir, 'b1.mp4'));
    // Encode again in a later wall-clock second (MP4 creation times count whole seconds): the
    // muxer's clock must not leak into the bytes.
    const firstSecond = Math.floor(Date.now() / 1000);
    await eventually('a later wall-clock second', () => Math.floor(Date.now() / 1000) > firstSecond);
    await encodeVideoFile(spec, path.join(dir, 'b2.mp4'));
    await encodeVideoFile({ ...spec, seed: 'other' }, path.join(dir, 'b3.mp4'));
    const [b1, b2, b3] = ['b1', 'b2', 'b3'].map((n) => readFileSync(path.join(dir, `${n}.mp4`)));
    assert.ok(b1.equals(b2));
    assert.ok(!b1.equals(b3));
  });

  test('pads to the requested size with a free box and stays valid', async () => {
    const file = path.join(dir, 'padded.mp4');
    const bytes = await encodeVideoFile(
      { width: 480, height: 480, seconds: 1, seed: 'pad', padToBytes: 5 * 1024 * 1024 },
      file,
    );
    assert.equal(bytes, 5 * 1024 * 1024);
    assert.equal(statSync(file).size, 5 * 1024 * 1024);
    const info = await probeVideo(file);
    assert.deepEqual([info.codec, info.width, info.height], ['h264', 480, 480]);
  });
});
