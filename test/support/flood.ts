// A large upload that stops as soon as the server answers: how much a server lets in before it
// refuses a body (a host's limit, or a route's own).
import http from 'node:http';

/**
 * Uploads up to `capBytes` (chunked, or under a declared Content-Length) and stops as soon
 * as the host answers. `written` says how much the host let in before answering.
 */
export function flood(
  host: { port: number },
  urlPath: string,
  options: {
    capBytes: number;
    contentLength?: number;
    timeoutMs?: number;
    contentType?: string;
    /** Sent before the filler (e.g. an image's first bytes, so only the size is wrong). */
    head?: Buffer;
    /** Wait for the whole answer and return its body as text (else only the status is awaited). */
    readAnswer?: boolean;
  },
): Promise<{ status: number | string; written: number; text?: string }> {
  return new Promise((resolve) => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    let written = 0;
    let settled = false;
    const finish = (status: number | string, text?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ status, written, ...(text === undefined ? {} : { text }) });
    };
    const timer = setTimeout(() => finish('timeout'), options.timeoutMs ?? 15_000);
    const headers: Record<string, string> = {
      'content-type': options.contentType ?? 'application/octet-stream',
    };
    if (options.contentLength !== undefined) headers['content-length'] = String(options.contentLength);
    const req = http.request({ host: '127.0.0.1', port: host.port, path: urlPath, method: 'POST', headers });
    req.on('response', (res) => {
      if (!options.readAnswer) {
        res.resume();
        return finish(res.statusCode ?? 0);
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => finish(res.statusCode ?? 0, text));
      res.on('error', () => finish(res.statusCode ?? 0, text));
    });
    // A reset while writing can overtake the answer already on its way: give it a moment.
    req.on('error', (error: NodeJS.ErrnoException) => setTimeout(() => finish(`error ${error.code}`), 500));
    if (options.head) {
      req.write(options.head);
      written += options.head.length;
    }
    const pump = () => {
      while (!settled && written < options.capBytes) {
        written += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!settled && options.contentLength === undefined) req.end();
    };
    pump();
  });
}
