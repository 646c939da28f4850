// A streamed request body is forwarded to the library's own HTTP server (app.setup({
// enableHttpStream: true })) no further than a small window ahead of what that server has read.
//
// Why a window of our own: the connection to the library's server is a loopback socket, whose
// kernel buffers on Linux are MiBs (64 KiB segments: the sender's buffer starts near 1.3 MiB and
// grows to net.ipv4.tcp_wmem's maximum), and Node cannot make them smaller. Backpressure alone
// (pipe, pipeline) only stops the host once those buffers are full, so a body the app refuses at
// 1 MiB had 2-4 MiB read from the client before the answer came back. The library's server runs
// in this process, so the host sees how far it has read: Node's `http.server.request.start`
// diagnostics channel hands over the server side of each request, found here by the
// invocation id the host sends with it, and its socket's `bytesRead` says how much has left the
// kernel. The host then holds each chunk until the bytes written on its side less the bytes read
// on the library's side are under the window.
import diagnosticsChannel from 'node:diagnostics_channel';
import type http from 'node:http';
import type { Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';

/** Bytes a body may run ahead of the library's server: small next to any route's limit. */
export const FORWARD_WINDOW_BYTES = 64 * 1024;
/** A held chunk looks again at how far the library's server has read on each of the next few
 * turns of the event loop (the library reads in this process: one turn is often enough), then
 * every millisecond, so a body nobody reads costs no busy loop. */
const IMMEDIATE_RECHECKS = 16;
const RECHECK_MS = 1;

const INVOCATION_HEADER = 'x-ms-invocation-id';

/** Library-side sockets by invocation id, for the requests whose window is open. */
const serverSockets = new Map<string, Socket | undefined>();

function onServerRequest(message: unknown): void {
  const { request, socket } = message as { request: http.IncomingMessage; socket: Socket };
  const id = request.headers[INVOCATION_HEADER];
  if (typeof id === 'string' && serverSockets.has(id)) serverSockets.set(id, socket);
}
let subscribed = false;

export interface ForwardWindow {
  /** Passes the body on within the window; pipe the client's body through it to the library. */
  readonly stream: Transform;
  /** Once the request to the library has its socket. */
  useSocket(socket: Socket): void;
  /** Lets go of the library-side socket (call when the exchange ends, however it ends). */
  close(): void;
}

/**
 * A window for one invocation's body. Until the library's server has the request and the host
 * its socket, at most `windowBytes` go ahead; from then on, chunks wait while the connection
 * holds `windowBytes` or more that the library has not read.
 */
export function forwardWindow(invocationId: string, windowBytes = FORWARD_WINDOW_BYTES): ForwardWindow {
  if (!subscribed) {
    diagnosticsChannel.subscribe('http.server.request.start', onServerRequest);
    subscribed = true;
  }
  serverSockets.set(invocationId, undefined);
  let hostSocket: Socket | undefined;
  let forwarded = 0;
  let closed = false;
  const ahead = (): number => {
    const serverSocket = serverSockets.get(invocationId);
    if (!hostSocket || !serverSocket) return forwarded;
    // Everything the host wrote on this connection (its user-space queue too) less everything the
    // library's server took from it: a reused keep-alive connection carries earlier requests that
    // were read whole, so both totals start level.
    return (hostSocket.bytesWritten ?? 0) - serverSocket.bytesRead;
  };
  const stream = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      let rechecks = 0;
      const pass = () => {
        if (closed) return; // the exchange is over: the chunk goes nowhere
        if (ahead() >= windowBytes)
          return void (rechecks++ < IMMEDIATE_RECHECKS ? setImmediate(pass) : setTimeout(pass, RECHECK_MS));
        forwarded += chunk.length;
        callback(null, chunk);
      };
      pass();
    },
  });
  return {
    stream,
    useSocket(socket) {
      hostSocket = socket;
    },
    close() {
      closed = true;
      serverSockets.delete(invocationId);
    },
  };
}
