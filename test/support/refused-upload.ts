// A large upload that goes on after the server refuses it, measured from outside the server: how
// many bytes the server process took out of its socket (the kernel's own counters for the
// server's end of the connection, read with `ss` every few ms until the connection closes), how
// many the client managed to write, and whether the server then closed the connection instead
// of draining the rest. The client's own count also holds what waits in the two kernels' socket
// buffers (several MiB on loopback, whatever the server does), so the server's share is read
// from the kernel, not inferred from the client.
import { execFile, execFileSync } from 'node:child_process';
import http from 'node:http';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CHUNK = Buffer.alloc(64 * 1024, 0x20);
const POLL_MS = 10;

export interface RefusedUpload {
  /** The server's answer (or what went wrong before one arrived). */
  status: number | string;
  /** The most bytes of the connection (headers too) the server process had taken from its
   * socket, over the whole upload (it only grows): NaN unless the connection was seen when the
   * answer arrived (a client slowed by a loaded machine can get there after the server closed). */
  serverRead: number;
  /** Bytes the client had handed to its request when the answer arrived. */
  clientWroteAtAnswer: number;
  /** Bytes the client had handed to its request when the connection ended. */
  clientWroteInAll: number;
  /** How the upload ended: closed by the server, sent whole (the server took all of it), or neither in time. */
  ended: 'closed by the server' | 'sent whole' | 'timeout';
}

const ssArgs = (local: number, remote: number) => [
  '-tinH',
  'state',
  'connected',
  `( sport = :${local} and dport = :${remote} )`,
];

/** Bytes received less those still unread in the socket buffer, from `ss -ti` output. */
function readFrom(stdout: string): number | undefined {
  const [line, info = ''] = stdout.split('\n').filter((l) => l.trim() !== '');
  if (!line) return undefined;
  // "[State] Recv-Q Send-Q Local Peer": ss prints the state when the filter allows several.
  const columns = line.trim().split(/\s+/);
  if (!/^\d+$/.test(columns[0])) columns.shift();
  const unread = Number(columns[0]);
  const received = Number(/bytes_received:(\d+)/.exec(info)?.[1] ?? NaN);
  return received - unread;
}

/** What the server process has read from one TCP connection (any state but listening and closed: the server may have ended its side) (`local` its port,
 * `remote` the client's), or undefined when there is no such connection. */
export async function serverBytesRead(local: number, remote: number): Promise<number | undefined> {
  return readFrom((await run('ss', ssArgs(local, remote))).stdout);
}

/** The same, at once (the caller's event loop waits). */
export function serverBytesReadNow(local: number, remote: number): number | undefined {
  return readFrom(execFileSync('ss', ssArgs(local, remote), { encoding: 'utf8' }));
}

/**
 * POSTs `size` bytes (chunked, or under a declared Content-Length) and keeps writing after the
 * answer, as an attacker would, until the server closes the connection or the body is all sent.
 */
export function refusedUpload(
  server: { port: number },
  urlPath: string,
  options: { size: number; declared?: boolean; headers?: Record<string, string>; timeoutMs?: number },
): Promise<RefusedUpload> {
  return new Promise((resolve) => {
    let written = 0;
    const body = new Readable({
      highWaterMark: CHUNK.length,
      read() {
        if (written >= options.size) return void this.push(null);
        written += CHUNK.length;
        this.push(CHUNK);
      },
    });
    const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
    if (options.declared) headers['content-length'] = String(options.size);
    const req = http.request({
      host: '127.0.0.1',
      port: server.port,
      path: urlPath,
      method: 'POST',
      headers,
    });
    const result: RefusedUpload = {
      status: 'no answer',
      serverRead: NaN,
      clientWroteAtAnswer: NaN,
      clientWroteInAll: NaN,
      ended: 'timeout',
    };
    let settled = false;
    let polling: NodeJS.Timeout | undefined;
    let seenAtAnswer = false;
    const seen = (read: number) => {
      result.serverRead = Number.isNaN(result.serverRead) ? read : Math.max(result.serverRead, read);
    };
    const finish = (ended: RefusedUpload['ended']) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(polling);
      result.ended = ended;
      if (!seenAtAnswer) result.serverRead = NaN;
      result.clientWroteInAll = written;
      body.destroy();
      req.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish('timeout'), options.timeoutMs ?? 20_000);
    const poll = async (clientPort: number) => {
      const read = await serverBytesRead(server.port, clientPort).catch(() => undefined);
      if (read !== undefined) seen(read);
      if (!settled) polling = setTimeout(() => void poll(clientPort), POLL_MS);
    };
    req.once('socket', (socket) => {
      if (socket.connecting) socket.once('connect', () => void poll(socket.localPort!));
      else void poll(socket.localPort!);
    });
    req.on('response', (res) => {
      // Read at once as well: the server closes a refused upload's connection a moment later.
      const read = serverBytesReadNow(server.port, req.socket!.localPort!);
      if (read !== undefined) seen(read);
      seenAtAnswer = read !== undefined;
      result.status = res.statusCode ?? 0;
      result.clientWroteAtAnswer = written;
      res.resume();
    });
    // The server resetting the connection is the expected end of a refused upload.
    req.on('error', () => finish('closed by the server'));
    req.on('close', () =>
      finish(written >= options.size && req.writableFinished ? 'sent whole' : 'closed by the server'),
    );
    body.pipe(req);
  });
}

/** refusedUpload, tried again (up to three times in all) only while the server's end of the
 * connection could not be seen when the answer arrived: a reading, never a verdict, is retried.
 * `count`, when given, is read before and after each try (a server's own counter of bytes read):
 * `counted` is its rise during the try kept. */
export async function measuredRefusedUpload(
  server: { port: number },
  urlPath: string,
  options: Parameters<typeof refusedUpload>[2],
  count: () => Promise<number> = () => Promise.resolve(0),
): Promise<RefusedUpload & { counted: number }> {
  for (let tries = 1; ; tries++) {
    const before = await count();
    const upload = await refusedUpload(server, urlPath, options);
    const counted = (await count()) - before;
    if (!Number.isNaN(upload.serverRead) || tries === 3) return { ...upload, counted };
  }
}
