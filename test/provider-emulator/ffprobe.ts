// ffprobe helpers for the emulator tests: decode an image or video with ffmpeg's own decoders
// (not ours) and report what it found, including an adler32 of the decoded RGBA pixels.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ffprobe from '@ffprobe-installer/ffprobe';

const run = promisify(execFile);

/** Decodes the bytes (written to a temp file) and returns codec, size and the pixel checksum ffmpeg's showinfo prints. */
export async function decodeImage(
  bytes: Buffer,
  extension: string,
): Promise<{ codec: string; width: number; height: number; checksum: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'probe-'));
  const file = path.join(dir, `image.${extension}`);
  try {
    writeFileSync(file, bytes);
    const { stdout } = await run(ffprobe.path, [
      '-v',
      'error',
      '-count_frames',
      '-show_entries',
      'stream=codec_name,width,height,nb_read_frames',
      '-of',
      'json',
      file,
    ]);
    const stream = (
      JSON.parse(stdout) as {
        streams: Array<{ codec_name: string; width: number; height: number; nb_read_frames: string }>;
      }
    ).streams[0];
    if (stream.nb_read_frames !== '1') throw new Error(`ffmpeg decoded ${stream.nb_read_frames} frames`);
    // showinfo logs an adler32 (started at 0, not 1) of the decoded frame's bytes.
    const { stderr } = await run(ffprobe.path, [
      '-v',
      'info',
      '-f',
      'lavfi',
      '-i',
      `movie=${file},format=rgba,showinfo`,
      '-show_entries',
      'stream=width',
    ]);
    const checksum = /checksum:([0-9A-F]{8})/.exec(stderr)?.[1];
    if (!checksum) throw new Error(`no checksum in ffprobe output: ${stderr}`);
    return { codec: stream.codec_name, width: stream.width, height: stream.height, checksum };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** adler32 as ffmpeg's showinfo computes it (initial value 0). */
export function showinfoChecksum(bytes: Uint8Array): string {
  let a = 0;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return (((b << 16) | a) >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** Codec, size and duration of an MP4 file's first video stream. */
export async function probeVideo(
  file: string,
): Promise<{ codec: string; width: number; height: number; seconds: number; format: string }> {
  const { stdout } = await run(ffprobe.path, [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_streams',
    '-show_format',
    file,
  ]);
  const info = JSON.parse(stdout) as {
    streams: Array<{ codec_type: string; codec_name: string; width: number; height: number }>;
    format: { duration: string; format_name: string };
  };
  const video = info.streams.find((s) => s.codec_type === 'video');
  if (!video) throw new Error(`no video stream in ${file}`);
  return {
    codec: video.codec_name,
    width: video.width,
    height: video.height,
    seconds: Number(info.format.duration),
    format: info.format.format_name,
  };
}
