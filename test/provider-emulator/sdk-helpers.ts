// Shared pieces of the tests that run the AI SDK's provider packages, unchanged, against the
// emulator: the download the SDK is given, MP4 bytes probed by ffprobe, the error a call rejects
// with, and the call options a model's doStart takes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { probeVideo } from './ffprobe.js';

/** The SDK's default download refuses loopback addresses (its SSRF guard), so the tests fetch the URL themselves. */
export async function download({ url }: { url: URL }) {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`GET ${url.pathname} answered ${response.status}`);
  return {
    data: new Uint8Array(await response.arrayBuffer()),
    mediaType: response.headers.get('content-type') ?? undefined,
  };
}

/** Codec, size and duration of MP4 bytes (written to a temp file for ffprobe). */
export async function probeBytes(bytes: Uint8Array) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdk-client-'));
  try {
    const file = path.join(dir, 'video.mp4');
    writeFileSync(file, bytes);
    return await probeVideo(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The error a promise rejects with. */
export async function rejection(promise: PromiseLike<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/** Every option of the v4 video call spec, unset but `prompt`, `n` and `duration`, with `extra` over them. */
export const videoCallOptions = (prompt: string, duration: number, extra: Record<string, unknown> = {}) => ({
  prompt,
  n: 1,
  duration,
  aspectRatio: undefined,
  resolution: undefined,
  fps: undefined,
  seed: undefined,
  image: undefined,
  frameImages: undefined,
  inputReferences: undefined,
  generateAudio: undefined,
  providerOptions: {},
  ...extra,
});
