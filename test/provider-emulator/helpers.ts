// Shared pieces of the provider emulator tests: a local webhook receiver that records raw bodies
// and headers, and video downloads probed by ffprobe.
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { probeVideo } from './ffprobe.js';

export interface ReceivedWebhook {
  body: string;
  headers: Record<string, string>;
  at: number;
}

/** A local endpoint for webhooks; `answer` decides each status code (default 200). */
export async function startReceiver(answer: (n: number) => number = () => 200) {
  const received: ReceivedWebhook[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({
      body: Buffer.concat(chunks).toString('utf8'),
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      at: Date.now(),
    });
    res.writeHead(answer(received.length)).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Downloads a video URL (no auth, as CDNs serve them) and probes it. */
export async function downloadAndProbe(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'provider-emulator-'));
  try {
    const file = path.join(dir, 'video.mp4');
    writeFileSync(file, Buffer.from(await response.arrayBuffer()));
    return { contentType: response.headers.get('content-type'), ...(await probeVideo(file)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const json = async <T>(response: Response | Promise<Response>) => (await (await response).json()) as T;

/** A fal status object as the fal tests read it. */
export interface FalStatus {
  status: string;
  queue_position?: number;
  logs?: Array<{ message: string; level: string; timestamp: string }> | null;
  error?: string;
  error_type?: string;
  response_url: string;
  status_url: string;
  cancel_url: string;
  request_id: string;
}

/** Calls to the fal dialect of the emulator at `url()` with `Authorization: Key <key>` and a JSON body. */
export function falCaller(url: () => string, defaultKey: string) {
  return (method: string, route: string, body?: unknown, key = defaultKey) =>
    fetch(`${url()}${route}`, {
      method,
      headers: { authorization: `Key ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
}

/** Calls to the emulator's admin API at `url()` with a JSON body. */
export const adminCaller = (url: () => string) => (method: string, route: string, body?: unknown) =>
  fetch(`${url()}/_admin/${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/** Clears the faults and the outcome settings a test may have changed, and sets `extra`. */
export async function cleanSlate(
  admin: ReturnType<typeof adminCaller>,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await admin('DELETE', 'faults');
  await admin('PATCH', 'config', { denyList: [], internalErrorRate: 0, outputModerationRate: 0, ...extra });
}
