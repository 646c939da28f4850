// How far an upload's body is read (src/uploads/receive-image.ts): a declared length over the
// limit reads nothing, a body passing the limit stops there, and bytes of the wrong format stop
// at their first chunk. The body is a real ReadableStream that counts what was pulled from it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { discardBody, receiveImage } from '../../src/uploads/receive-image.js';
import { SVG, solidJpeg, solidPng } from '../support/test-images.js';

/** A body of `chunks` (each pulled on demand), counting pulls and noting a cancel. */
function body(chunks: Buffer[]) {
  const seen = { pulled: 0, cancelled: false };
  let index = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        seen.pulled++;
        if (index < chunks.length) controller.enqueue(new Uint8Array(chunks[index++]));
        else controller.close();
      },
      cancel() {
        seen.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, seen };
}

const split = (bytes: Buffer, size: number) =>
  Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));

describe('receiveImage', () => {
  test('a good image, in many small chunks, is read whole and described', async () => {
    const png = solidPng(300, 200, [9, 9, 9]);
    const { stream, seen } = body(split(png, 7));
    const received = await receiveImage(stream, 'image/png', null);
    assert.equal(received.ok, true);
    if (!received.ok) return;
    assert.deepEqual(received.bytes, png);
    assert.deepEqual([received.width, received.height, received.contentType], [300, 200, 'image/png']);
    assert.equal(seen.cancelled, false);
  });

  test('a Content-Length over the limit: 413 with nothing read', async () => {
    const { stream, seen } = body([Buffer.alloc(10)]);
    const received = await receiveImage(stream, 'image/png', String(10 * 1024 * 1024 + 1));
    assert.deepEqual(received, { ok: false, status: 413, message: 'is larger than 10485760 bytes' });
    assert.equal(seen.pulled, 0);
  });

  test('a body that passes the limit stops being read there', async () => {
    const head = solidPng(1, 1, [0, 0, 0]).subarray(0, 33);
    const { stream, seen } = body([head, ...Array.from({ length: 100 }, () => Buffer.alloc(1000))]);
    const received = await receiveImage(stream, 'image/png', null, 10_000);
    assert.equal(received.ok || received.status, 413);
    assert.ok(seen.pulled <= 12, `pulled ${seen.pulled} chunks`);
    assert.equal(seen.cancelled, true);
  });

  test('bytes of another format are refused on their first chunk (415); the rest is drained so the client hears it', async () => {
    const jpeg = solidJpeg(64, 64, [1, 2, 3]);
    const chunks = split(jpeg, 64);
    const { stream, seen } = body(chunks);
    const received = await receiveImage(stream, 'image/png', null);
    assert.equal(received.ok || received.status, 415);
    assert.equal(seen.pulled, chunks.length + 1, 'read to its end');
    assert.equal(seen.cancelled, false);
  });

  test('a wrong-format body larger than the limit is drained only up to the limit', async () => {
    const head = solidJpeg(8, 8, [1, 2, 3]).subarray(0, 20);
    const { stream, seen } = body([head, ...Array.from({ length: 100 }, () => Buffer.alloc(1000))]);
    const received = await receiveImage(stream, 'image/png', null, 10_000);
    assert.equal(received.ok || received.status, 415);
    assert.ok(seen.pulled <= 12, `pulled ${seen.pulled} chunks`);
    assert.equal(seen.cancelled, true);
  });

  test('SVG sent as PNG is 415 naming SVG; text is 400; a truncated PNG 400', async () => {
    const svg = await receiveImage(body([SVG]).stream, 'image/png', null);
    assert.equal(svg.ok || svg.status, 415);
    assert.match(svg.ok ? '' : svg.message, /SVG/);
    const text = await receiveImage(body([Buffer.from('hello world, no image')]).stream, 'image/webp', null);
    assert.equal(text.ok || text.status, 400);
    const png = solidPng(20, 20, [1, 1, 1]);
    const cut = await receiveImage(body([png.subarray(0, png.length - 5)]).stream, 'image/png', null);
    assert.equal(cut.ok || cut.status, 400);
    assert.match(cut.ok ? '' : cut.message, /truncated PNG/);
  });

  test('no body at all is 400 (empty)', async () => {
    const received = await receiveImage(null, 'image/jpeg', null);
    assert.deepEqual(received, { ok: false, status: 400, message: 'is empty; send the image as the body' });
  });

  test('discardBody reads a refused body to its end, but nothing past the limit or a declared length over it', async () => {
    const small = body([Buffer.alloc(10), Buffer.alloc(10)]);
    await discardBody(small.stream, null, 100);
    assert.deepEqual(small.seen, { pulled: 3, cancelled: false });
    const declared = body([Buffer.alloc(10)]);
    await discardBody(declared.stream, '101', 100);
    assert.deepEqual(declared.seen, { pulled: 0, cancelled: true });
    const endless = body(Array.from({ length: 50 }, () => Buffer.alloc(10)));
    await discardBody(endless.stream, null, 100);
    assert.deepEqual(endless.seen, { pulled: 11, cancelled: true });
  });
});
