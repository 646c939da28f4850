// Shared by the end-to-end suites: run our CLIs as real child processes, inspect MP4s with ffprobe.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ffprobe from '@ffprobe-installer/ffprobe';
import { eventually } from '../support/eventually.js';

export const repoRoot = path.resolve(__dirname, '..', '..');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

/** Starts cli/<file> under Node with tsx as its loader, in its own process group so every
 * grandchild can be stopped together. One process, not the `tsx` command's parent + child:
 * that parent relays a signal only if the child acknowledges it within 30 ms, and SIGKILLs it
 * otherwise (exit 130), which a loaded CI machine sometimes missed. */
export function startCli(file: string, args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'cli', file), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  return collect(child);
}

/** `npm run --silent <script> -- <args>`, as a user types it, in its own process group (so
 * killGroup stops the stack it starts too). */
export function startNpmScript(script: string, args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn('npm', ['run', '--silent', script, '--', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  return collect(child);
}

function collect(child: ChildProcess): RunningCli {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<CliResult>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** Last-resort cleanup for t.after: the whole group, so Azurite/host/emulator children die too. */
export function killGroup(cli: RunningCli): void {
  if (cli.child.exitCode !== null || cli.child.signalCode !== null) return;
  try {
    process.kill(-cli.child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Waits until `check()` holds (e.g. a line in a process's output). */
export function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<boolean> {
  return eventually(what, check, { timeoutMs, everyMs: 100 });
}

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A port that was free a moment ago and has nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface VideoFacts {
  codec: string;
  width: number;
  height: number;
  durationSeconds: number;
}

/** What ffprobe (a real decoder, not our code) says the file is. */
export async function probeVideo(file: string): Promise<VideoFacts> {
  const { stdout } = await promisify(execFile)(ffprobe.path, [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=codec_name,width,height:format=duration',
    '-of',
    'json',
    file,
  ]);
  const parsed = JSON.parse(stdout) as {
    streams: { codec_name: string; width: number; height: number }[];
    format: { duration: string };
  };
  const stream = parsed.streams[0];
  return {
    codec: stream.codec_name,
    width: stream.width,
    height: stream.height,
    durationSeconds: Number(parsed.format.duration),
  };
}

/** `npm start` with every port free and its data in `dataDir`; resolves once it printed its endpoints. */
export async function startStack(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ cli: RunningCli; appUrl: string; emulatorUrl: string }> {
  const cli = startCli(
    'start.ts',
    ['--port', '0', '--emulator-port', '0', '--azurite-port', '0', '--data-dir', dataDir],
    env,
  );
  try {
    await waitFor(
      'npm start to print its endpoints',
      () => /Press Ctrl-C to stop/.test(cli.stdout()) || cli.child.exitCode !== null,
      60_000,
    );
  } catch (error) {
    killGroup(cli);
    throw error;
  }
  const appUrl = /app\s+(http:\/\/\S+)\/api\/videos/.exec(cli.stdout())?.[1];
  const emulatorUrl = /emulator\s+(http:\/\/\S+) \(/.exec(cli.stdout())?.[1];
  if (!appUrl || !emulatorUrl) {
    killGroup(cli);
    throw new Error(
      `npm start did not print its endpoints.\nstdout:\n${cli.stdout()}\nstderr:\n${cli.stderr()}`,
    );
  }
  return { cli, appUrl, emulatorUrl };
}

/** Ctrl-C as a terminal sends it: SIGINT to the whole process group. */
export function interruptGroup(cli: RunningCli): void {
  process.kill(-cli.child.pid!, 'SIGINT');
}
