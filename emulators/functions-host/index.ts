// Programmatic entry: startHost() runs the host CLI as a child process (so a test can
// SIGKILL it like a crashed Functions host) and resolves once its "Host started" line
// names the URL.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { stopChildProcess } from '../stop-child.js';

export interface StartHostOptions {
  /** The v4 app directory (package.json, host.json, local.settings.json). */
  appDir: string;
  /** 0 = any free port. */
  port?: number;
  /** Extra environment for the app (wins over local.settings.json, like real env vars). */
  env?: Record<string, string>;
  /** 'azure' (AzureWebJobsStorage, default) or 'memory'. */
  store?: 'memory' | 'azure';
  requireKeys?: boolean;
  /** Largest request body (413 beyond); default FUNCTIONS_REQUEST_BODY_SIZE_LIMIT or 100 MiB. */
  maxRequestBodyBytes?: number;
  quiet?: boolean;
  verbose?: boolean;
  /** Milliseconds to wait for start-up. */
  startTimeoutMs?: number;
}

export interface RunningHost {
  url: string;
  port: number;
  process: ChildProcess;
  /** Everything the host printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
  /** Kills without shutdown (SIGKILL by default), as a crash would. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export class HostStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
    this.name = 'HostStartError';
  }
}

const root = path.resolve(__dirname, '..', '..');

export async function startHost(options: StartHostOptions): Promise<RunningHost> {
  const args = [
    '--import',
    'tsx',
    path.join(root, 'emulators/functions-host/cli.ts'),
    '--app',
    options.appDir,
    '--port',
    String(options.port ?? 0),
    '--store',
    options.store ?? 'azure',
  ];
  if (options.requireKeys) args.push('--require-keys');
  if (options.maxRequestBodyBytes !== undefined)
    args.push('--max-request-body-bytes', String(options.maxRequestBodyBytes));
  if (options.quiet) args.push('--quiet');
  if (options.verbose) args.push('--verbose');
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new HostStartError(
          `The Functions host did not start within ${options.startTimeoutMs ?? 60000} ms:\n${out}`,
          out,
        ),
      );
    }, options.startTimeoutMs ?? 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /Host started \(\d+ms\) listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new HostStartError(
          `The Functions host exited (${signal ?? `code ${code}`}) before it started:\n${out}`,
          out,
        ),
      );
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    process: child,
    output: () => out,
    stop: () => stopChildProcess(child),
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
