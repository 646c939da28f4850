// readLimited on a real streamed request (the WHATWG Request the library builds around the proxied
// body has the same `headers` and `body`): it reads a body only up to the route's limit and then
// cancels the stream, so nothing upstream keeps feeding it; a declared length over the limit is
// refused before a byte is pulled. (Issue 25, item 1: the app's side of stopping at the limit.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HttpRequest } from '@azure/functions';
import { readLimited } from '../../src/functions/read-body.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const CHUNK = 64 * KiB;

/** A POST whose body is `size` bytes pulled in 64 KiB chunks, counting what was pulled. */
function upload(size: number, headers: Record<string, string> = {}) {
  const seen = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (seen.pulled >= size) return controller.close();
      const length = Math.min(CHUNK, size - seen.pulled);
      seen.pulled += length;
      controller.enqueue(new Uint8Array(length).fill(0x20));
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  const request = new Request('http://127.0.0.1/api/callbacks/x', {
    method: 'POST',
    body,
    headers,
    duplex: 'half',
  } as RequestInit);
  return { request: request as unknown as HttpRequest, seen };
}

describe('readLimited', () => {
  test('a 90 MiB body without a length is read to just past the limit, then cancelled', async () => {
    const { request, seen } = upload(90 * MiB);
    assert.equal(await readLimited(request, MiB), undefined);
    assert.ok(seen.cancelled, 'the body stream was cancelled');
    // The limit, the chunk that passed it, and what the stream had queued ahead.
    assert.ok(seen.pulled <= MiB + 3 * CHUNK, `pulled ${seen.pulled} bytes`);
  });

  test('a declared length over the limit is refused before a byte is pulled', async () => {
    const { request, seen } = upload(90 * MiB, { 'content-length': String(90 * MiB) });
    assert.equal(await readLimited(request, 64 * KiB), undefined);
    assert.ok(seen.pulled <= CHUNK, `pulled ${seen.pulled} bytes`);
  });

  test('a body at the limit is returned whole', async () => {
    const { request } = upload(MiB);
    const body = await readLimited(request, MiB);
    assert.equal(body?.length, MiB);
  });
});
