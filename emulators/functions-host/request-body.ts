// Request bodies under a size limit, enforced while reading: a declared Content-Length over
// the limit is refused before a byte is read, and a chunked body is cut the moment it
// passes the limit, so the host never holds more than the limit of any one request
// (Azure's default is 100 MB; FUNCTIONS_REQUEST_BODY_SIZE_LIMIT changes it there too).
import type http from 'node:http';
import type net from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';

export const DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024;

/** Request body bytes this host has read from its clients, every route together (reported by
 * GET /admin/host/status, so a test can tell how much of a refused upload went in). */
export const bodyBytesRead = { total: 0 };

export class BodyTooLargeError extends Error {
  readonly status = 413;
  constructor(limit: number) {
    super(
      `The request body is larger than the host's limit of ${limit} bytes (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT).`,
    );
    this.name = 'BodyTooLargeError';
  }
}

/** The limit from FUNCTIONS_REQUEST_BODY_SIZE_LIMIT (bytes), else the default. */
export function bodyLimitFromEnv(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_MAX_BODY_BYTES;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`FUNCTIONS_REQUEST_BODY_SIZE_LIMIT must be a positive number of bytes, got "${value}"`);
  return n;
}

/** Throws before reading when the declared length is already too large. */
export function checkDeclaredLength(req: http.IncomingMessage, limit: number): void {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit);
}

/**
 * The whole body, read into one buffer of the declared size when there is one (no second
 * copy from concatenating chunks). Stops reading at the limit.
 */
export async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  checkDeclaredLength(req, limit);
  const declared = Number(req.headers['content-length']);
  if (Number.isInteger(declared) && declared >= 0) {
    const body = Buffer.allocUnsafe(declared);
    let size = 0;
    for await (const chunk of req) {
      const bytes = chunk as Buffer;
      bodyBytesRead.total += bytes.length;
      if (size + bytes.length > declared) throw new BodyTooLargeError(limit); // more than declared: a broken client
      bytes.copy(body, size);
      size += bytes.length;
    }
    return size === declared ? body : body.subarray(0, size);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    bodyBytesRead.total += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

/**
 * The whole body, or undefined once a body over the limit has been answered with 413 (the
 * caller then answers nothing more). Every route that reads a body reads it through this.
 */
export async function readBodyOr413(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  limit: number,
): Promise<Buffer | undefined> {
  try {
    return await readBody(req, limit);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    refuseTooLarge(req, res, error.message);
    return undefined;
  }
}

/** Passes bytes through until the limit, then fails with BodyTooLargeError (streamed requests). */
export function limitStream(limit: number): Transform {
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      size += chunk.length;
      bodyBytesRead.total += chunk.length;
      if (size > limit) return callback(new BodyTooLargeError(limit));
      callback(null, chunk);
    },
  });
}

/**
 * Answers with `Connection: close`, so the client sends nothing more on this connection, but
 * ends only the host's side once the answer is out (FIN) instead of closing the socket at
 * once: closing it with unread bytes in it resets the connection, and the client may then lose
 * the answer. closeUnreadSoon (or the client) closes it fully.
 */
export function closeGently(res: http.ServerResponse, socket: net.Socket | null): void {
  res.setHeader('connection', 'close');
  // Node's server ends a `Connection: close` answer's socket with destroySoon() when present,
  // else with end(): this socket takes the end().
  if (socket) socket.destroySoon = () => void socket.end();
}

/** Refused uploads whose connection drop (a second after the 413) has not run yet; shown by
 * GET /admin/host/status as `uploadsClosing`, so a caller can wait for every drop to have run. */
let uploadsClosing = 0;
export const refusedUploadsClosing = () => uploadsClosing;

/**
 * Answers 413 and stops reading: the rest of the upload stays in the client's socket (once the
 * request's small buffer is full, Node's server stops reading the connection), and a client that
 * goes on sending loses the connection a second later: closing at once would reset it before the
 * client has read the 413 (it would see EPIPE instead). Reading on meanwhile (resume(), to
 * discard) took in all a client could send in that second: 4-5 MiB of a declared 90 MiB upload
 * refused by its Content-Length before a byte was read (test/functions-host/hardening.test.ts).
 */
export function refuseTooLarge(req: http.IncomingMessage, res: http.ServerResponse, message: string): void {
  // Taken first: once the response is done the request lets go of its socket (req.socket is null).
  // A body read with for await (readBody) and cut there has had its request destroyed, which
  // also lets go of it: the response still holds it then. Without it the connection stayed open
  // until the server's keep-alive timeout, 5 s later.
  const socket = (req.socket ?? res.socket) as http.IncomingMessage['socket'] | null;
  if (!res.headersSent) {
    const text = JSON.stringify({ message });
    res.writeHead(413, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }
  req.unpipe();
  // Marked as being read (read(0)), so Node's server does not dump the rest once the answer is
  // out, and paused, so nothing pulls it in.
  req.read(0);
  req.pause();
  closeUnreadSoon(req, res, socket);
}

/**
 * Closes the connection of a request whose body is not read to its end, a second after the answer
 * is sent (at once would reset it before the client has read the answer). `socket` is taken
 * before the answer finishes: the request lets go of it then.
 */
export function closeUnreadSoon(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  socket = req.socket as http.IncomingMessage['socket'] | null,
): void {
  // The client may reset the connection meanwhile: that is expected, not an error to crash on.
  req.on('error', () => undefined);
  const drop = () => {
    uploadsClosing++;
    setTimeout(() => {
      if (!req.complete && socket && !socket.destroyed) socket.destroy();
      uploadsClosing--;
    }, 1000).unref();
  };
  if (res.writableFinished) drop();
  else res.once('finish', drop);
}

/** A declared body this small is read off and dropped after an answer, as Node does (the
 * connection then stays usable for the client's next request). */
const SMALL_UNREAD_BODY_BYTES = 1024 * 1024;

/**
 * A body the host answers without reading (no key, no such route, a refused function) stays
 * unread: left alone, Node's server would pull the rest of it off the wire after the answer
 * (IncomingMessage's dump), however large it is. Marked as being read instead (`read(0)` takes at
 * most one buffer's worth), the rest waits in the client's socket until the connection closes, a
 * second after the answer (closeUnreadSoon).
 */
export function keepUnreadBodyUnread(req: http.IncomingMessage, res: http.ServerResponse): void {
  // No body (a GET, say), or a small declared one: Node's server may read it off, which keeps the
  // connection usable. What is left is a large declared body or one of unknown length.
  const declared = Number(req.headers['content-length'] ?? 0);
  if (req.headers['transfer-encoding'] === undefined && !(declared > SMALL_UNREAD_BODY_BYTES)) return;
  const socket = req.socket as http.IncomingMessage['socket'] | null;
  // 'prefinish' comes before the server's own 'finish' handler, which is where the dump happens.
  res.once('prefinish', () => {
    if (req.complete || req.readableDidRead || req.readableFlowing) return;
    req.read(0);
    closeUnreadSoon(req, res, socket);
  });
}

/** Whether every path segment decodes; a malformed %-sequence would make decodeURIComponent throw later. */
export function wellEncodedPath(pathname: string): boolean {
  try {
    for (const segment of pathname.split('/')) decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}
