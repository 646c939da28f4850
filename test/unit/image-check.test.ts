// The start image checks (src/images/image-check.ts): the format by magic bytes, the whole file
// by a structural walk (truncated, padded or corrupted files are refused), the size from headers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { checkImage, MAX_IMAGE_SIDE, sniffFormat } from '../../src/images/image-check.js';
import { SVG, solidJpeg, solidPng, solidWebp } from '../support/test-images.js';

const red: [number, number, number] = [200, 40, 40];

function refused(bytes: Buffer, reason: string, message: RegExp) {
  const result = checkImage(bytes);
  assert.equal(result.ok, false, 'accepted');
  if (result.ok) return;
  assert.equal(result.reason, reason, result.message);
  assert.match(result.message, message);
}

describe('good images: format and dimensions', () => {
  for (const [name, make, type] of [
    ['PNG', solidPng, 'image/png'],
    ['JPEG', solidJpeg, 'image/jpeg'],
    ['WebP (VP8L)', solidWebp, 'image/webp'],
  ] as const) {
    for (const [width, height] of [
      [1, 1],
      [64, 48],
      [333, 17],
      [1280, 720],
    ])
      test(`${name} ${width}x${height}`, () => {
        assert.deepEqual(checkImage(make(width, height, red)), {
          ok: true,
          contentType: type,
          width,
          height,
        });
      });
  }

  test('WebP VP8X (extended) and VP8 (lossy) headers give the canvas size', () => {
    const riff = (chunks: Buffer[]) => {
      const body = Buffer.concat(chunks);
      const head = Buffer.alloc(12);
      head.write('RIFF', 0, 'latin1');
      head.writeUInt32LE(4 + body.length, 4);
      head.write('WEBP', 8, 'latin1');
      return Buffer.concat([head, body]);
    };
    const chunk = (type: string, data: Buffer) => {
      const head = Buffer.alloc(8);
      head.write(type, 0, 'latin1');
      head.writeUInt32LE(data.length, 4);
      return Buffer.concat([head, data, Buffer.alloc(data.length % 2)]);
    };
    const vp8x = Buffer.alloc(10);
    vp8x.writeUIntLE(1919, 4, 3);
    vp8x.writeUIntLE(1079, 7, 3);
    const lossy = Buffer.from([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01, 0, 0, 0]);
    assert.deepEqual(checkImage(riff([chunk('VP8X', vp8x), chunk('VP8 ', lossy)])), {
      ok: true,
      contentType: 'image/webp',
      width: 1920,
      height: 1080,
    });
    assert.deepEqual(checkImage(riff([chunk('VP8 ', lossy)])), {
      ok: true,
      contentType: 'image/webp',
      width: 640,
      height: 360,
    });
  });
});

describe('not images, and formats we do not take', () => {
  test('text, empty, random bytes: not an image', () => {
    refused(Buffer.from('hello, this is not an image'), 'not-an-image', /not a PNG, JPEG or WebP/);
    refused(Buffer.alloc(0), 'not-an-image', /not a PNG/);
    refused(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]), 'not-an-image', /not a PNG/);
  });
  test('SVG (with an XML prolog or without), GIF, BMP: unsupported formats, named', () => {
    refused(SVG, 'unsupported-format', /SVG/);
    refused(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), 'unsupported-format', /SVG/);
    refused(Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), 'unsupported-format', /GIF/);
    refused(Buffer.from('BM\x00\x00\x00\x00', 'latin1'), 'unsupported-format', /BMP/);
  });
  test('sniffFormat tells the three apart by their first bytes', () => {
    assert.equal(sniffFormat(solidPng(2, 2, red)), 'image/png');
    assert.equal(sniffFormat(solidJpeg(2, 2, red)), 'image/jpeg');
    assert.equal(sniffFormat(solidWebp(2, 2, red)), 'image/webp');
    assert.equal(sniffFormat(SVG), undefined);
  });
});

describe('damaged images: the structural walk', () => {
  const png = solidPng(64, 48, red);
  const jpg = solidJpeg(64, 48, red);
  const webp = solidWebp(64, 48, red);

  test('a PNG cut anywhere is refused', () => {
    for (const keep of [8, 20, 33, png.length - 30, png.length - 12, png.length - 1])
      refused(png.subarray(0, keep), 'damaged', /PNG/);
  });
  test('a PNG with a flipped byte fails its CRC; bytes after IEND are refused', () => {
    const flipped = Buffer.from(png);
    flipped[50] ^= 0xff;
    refused(flipped, 'damaged', /CRC/);
    refused(Buffer.concat([png, Buffer.from('extra')]), 'damaged', /after IEND|follow IEND/);
  });
  test('a PNG without image data, or not starting with IHDR, is refused', () => {
    const withoutData = Buffer.concat([png.subarray(0, 33), png.subarray(png.length - 12)]);
    refused(withoutData, 'damaged', /no image data/);
    const idatFirst = Buffer.concat([png.subarray(0, 8), png.subarray(33)]);
    refused(idatFirst, 'damaged', /does not start with IHDR/);
  });
  test('a JPEG cut anywhere is refused; a trailer after EOI is not (phones append one)', () => {
    for (const keep of [3, 10, 200, jpg.length - 2, jpg.length - 1])
      refused(jpg.subarray(0, keep), 'damaged', /JPEG/);
    assert.deepEqual(checkImage(Buffer.concat([jpg, Buffer.from('SEFT trailer')])), {
      ok: true,
      contentType: 'image/jpeg',
      width: 64,
      height: 48,
    });
  });
  test('a WebP shorter or longer than its RIFF size is refused', () => {
    refused(webp.subarray(0, webp.length - 2), 'damaged', /truncated WebP/);
    refused(Buffer.concat([webp, Buffer.alloc(2)]), 'damaged', /WebP/);
  });
  test('a WebP whose first chunk is no image chunk is refused', () => {
    const bad = Buffer.from(webp);
    bad.write('JUNK', 12, 'latin1');
    refused(bad, 'damaged', /not VP8, VP8L or VP8X/);
  });
  test('sides of 0 or over the maximum are refused', () => {
    refused(solidPng(0, 5, red), 'damaged', /dimensions 0x5/);
    const huge = Buffer.from(solidPng(1, 1, red));
    // Rewrite the IHDR width and its CRC: the header then says MAX+1 wide.
    huge.writeUInt32BE(MAX_IMAGE_SIDE + 1, 16);
    huge.writeUInt32BE(crc32(huge.subarray(12, 29)), 29);
    refused(huge, 'damaged', new RegExp(`${MAX_IMAGE_SIDE + 1}x1`));
  });
});
