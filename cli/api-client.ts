// Talks to a deployment of the videos API (local or on Azure) over plain fetch.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { readJobStatus } from './job-status.js';

export class ApiError extends Error {
  /** HTTP status of the refusal; undefined when the app could not be reached at all. */
  readonly status?: number;

  constructor(message: string, options?: ErrorOptions & { status?: number }) {
    super(message, options);
    this.name = 'ApiError';
    this.status = options?.status;
  }

  /** Worth asking again: the app was unreachable or had a server-side hiccup. */
  get transient(): boolean {
    return this.status === undefined || this.status >= 500 || this.status === 429;
  }
}

/** What the starter returns with 202: the id and the app's own status URL. */
export interface StartedJob {
  id: string;
  statusUri?: string;
}

/** What POST /api/uploads answers with 201. */
export interface UploadedImage {
  uploadId: string;
  expiresAt: string;
  width: number;
  height: number;
  contentType: string;
}

/** Prints a URL without its query string: SAS tokens and function keys live there. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url.split('?')[0];
  }
}

/** One line out of an error response: the problem body's detail/title/error, else the status. */
async function problemOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const nested =
      body.error && typeof body.error === 'object'
        ? (body.error as Record<string, unknown>).message
        : undefined;
    const message = body.detail ?? body.title ?? body.message ?? nested ?? body.error;
    if (typeof message === 'string' && message) return `${response.status}: ${message}`;
  } catch {
    // not JSON: fall through to the raw text
  }
  return `${response.status} ${response.statusText}${text ? `: ${text.slice(0, 200).replace(/\s+/g, ' ')}` : ''}`;
}

export class VideosApi {
  constructor(
    private readonly baseUrl: string,
    private readonly functionKey?: string,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.functionKey ? { 'x-functions-key': this.functionKey, ...extra } : extra;
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, { ...init, headers: this.headers(init.headers as Record<string, string>) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiError(
        `cannot reach ${redactUrl(url)} (${cause?.code ?? cause?.message ?? (error as Error).message})`,
        { cause: error },
      );
    }
  }

  /** POST /api/uploads: the image's bytes under their type; its id, expiry and size. */
  async upload(bytes: Buffer, contentType: string): Promise<UploadedImage> {
    const response = await this.send(`${this.baseUrl}/api/uploads`, {
      method: 'POST',
      body: new Uint8Array(bytes),
      headers: { 'content-type': contentType },
    });
    if (response.status !== 201)
      throw new ApiError(`the app refused the image (${await problemOf(response)})`);
    const uploaded = (await response.json()) as Partial<UploadedImage>;
    if (typeof uploaded.uploadId !== 'string')
      throw new ApiError('the app accepted the image but returned no upload id');
    return uploaded as UploadedImage;
  }

  async start(body: Record<string, unknown>): Promise<StartedJob> {
    const response = await this.send(`${this.baseUrl}/api/videos`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    if (!response.ok) throw new ApiError(`the app refused the request (${await problemOf(response)})`);
    const started = (await response.json()) as Partial<StartedJob>;
    if (typeof started.id !== 'string')
      throw new ApiError('the app accepted the request but returned no job id');
    return started as StartedJob;
  }

  /** GET /api/videos/{id}: the app's own status view. */
  async status(job: StartedJob): Promise<unknown> {
    const response = await this.send(`${this.baseUrl}/api/videos/${encodeURIComponent(job.id)}`, {
      method: 'GET',
    });
    if (response.ok) return response.json();
    throw new ApiError(`status check failed (${await problemOf(response)})`, { status: response.status });
  }

  /** DELETE /api/videos/{id} of a job still running cancels it. DELETE of a job that has ended
   * deletes it and its video, so an ended job is left alone: false then. */
  async cancel(job: StartedJob): Promise<boolean> {
    if (readJobStatus(await this.status(job)).outcome !== 'running') return false;
    const response = await this.send(`${this.baseUrl}/api/videos/${encodeURIComponent(job.id)}`, {
      method: 'DELETE',
    });
    if (!response.ok) throw new ApiError(`cancel failed (${await problemOf(response)})`);
    await response.body?.cancel();
    // 204: it ended between the two calls, and the DELETE deleted it.
    if (response.status === 204)
      throw new ApiError(`job ${job.id} ended just before the cancel, which deleted it`);
    return true;
  }

  /** Streams a video to disk: videos can be large, so they never sit in memory whole. */
  static async download(url: string, file: string): Promise<number> {
    let response: Response;
    try {
      response = await fetch(url);
    } catch (error) {
      throw new ApiError(`cannot download ${redactUrl(url)} (${(error as Error).message})`, { cause: error });
    }
    if (!response.ok || !response.body)
      throw new ApiError(`download of ${redactUrl(url)} failed (${await problemOf(response)})`);
    let bytes = 0;
    const source = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    source.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    await pipeline(source, createWriteStream(file));
    return bytes;
  }
}
