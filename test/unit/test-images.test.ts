// The test images (test/support/test-images.ts) are real images: the pinned ffprobe decodes
// each to its size and colour, so the upload tests feed the app files any decoder reads, not
// files that only our own check accepts.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import ffprobe from '@ffprobe-installer/ffprobe';
import { framesYuvOf } from '../support/input-images.js';
import { solidJpeg, solidPng, solidWebp, type Rgb } from '../support/test-images.js';

const folder = mkdtempSync(path.join(tmpdir(), 'test-images-'));

/** Width and height as ffprobe reads them. */
function probeSize(file: string): [number, number] {
  const size = execFileSync(ffprobe.path, [
    '-v',
    'error',
    '-show_entries',
    'stream=width,height',
    '-of',
    'csv=p=0',
    file,
  ])
    .toString()
    .trim()
    .split(',')
    .map(Number);
  return [size[0], size[1]];
}

/** BT.601 Y, U, V of an RGB colour: limited range (16-235) for RGB sources, full for JPEG (JFIF). */
function yuv([r, g, b]: Rgb, full: boolean): number[] {
  const y = 0.299 * r + 0.587 * g + 0.114 * b;
  const u = (b - y) / 1.772;
  const v = (r - y) / 1.402;
  return full ? [y, 128 + u, 128 + v] : [16 + (219 * y) / 255, 128 + (224 * u) / 255, 128 + (224 * v) / 255];
}

for (const [name, make, extension, full] of [
  ['PNG', solidPng, 'png', false],
  ['JPEG', solidJpeg, 'jpg', true],
  ['WebP', solidWebp, 'webp', false],
] as const) {
  test(`${name}: ffprobe decodes its size and its colour`, async () => {
    for (const [width, height, colour] of [
      [64, 48, [200, 40, 40]],
      [33, 17, [20, 180, 90]],
    ] as [number, number, Rgb][]) {
      const bytes = make(width, height, colour);
      const file = path.join(folder, `${width}x${height}.${extension}`);
      writeFileSync(file, bytes);
      assert.deepEqual(probeSize(file), [width, height]);
      const [seen] = await framesYuvOf(bytes, 1, `image.${extension}`);
      const expected = yuv(colour, full);
      seen.forEach((value, i) =>
        assert.ok(
          Math.abs(value - expected[i]) <= 3,
          `${name} ${colour}: ${seen} vs ${expected.map(Math.round)}`,
        ),
      );
    }
  });
}
