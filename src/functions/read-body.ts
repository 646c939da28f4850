// Request bodies read up to a route's own limit. The app streams requests
// (app.setup({ enableHttpStream: true }) in ../index.ts), so a body is read only as far as its
// route allows: a declared Content-Length over the limit is refused before a byte is read, and
// a body without one stops being read the moment it passes the limit. The host's own limit
// (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, set in infra/) is only the outer bound.
import type { HttpRequest } from '@azure/functions';

/** The body, or undefined once it is known to pass `limit` bytes (reading stops there). */
export async function readLimited(request: HttpRequest, limit: number): Promise<Buffer | undefined> {
  if (Number(request.headers.get('content-length') ?? 0) > limit) return undefined;
  if (!request.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, size);
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(Buffer.from(value));
  }
}
