// Starts the real Azurite (from node_modules) as a child process on free loopback ports.
// Used by tests, benchmarks and the local stack; never by the deployed app.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { stopChildProcess } from '../stop-child.js';

/** Azurite's well-known development account (public, documented; not a secret). */
export const DEV_ACCOUNT_NAME = 'devstoreaccount1';
export const DEV_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Folder for Azurite's data; omitted = in-memory (lost on stop). */
  location?: string;
  /** Fixed ports; 0 or omitted = any free port. */
  blobPort?: number;
  queuePort?: number;
  tablePort?: number;
  /** Milliseconds to wait for all three services. */
  startTimeoutMs?: number;
}

export interface RunningAzurite {
  blobEndpoint: string;
  queueEndpoint: string;
  tableEndpoint: string;
  /** Full connection string with explicit endpoints (works for blob, queue and table SDKs). */
  connectionString: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const azuriteMain = path.join(
  path.dirname(require.resolve('azurite/package.json')),
  'dist',
  'src',
  'azurite.js',
);

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const args = [
    azuriteMain,
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(options.blobPort ?? 0),
    '--queueHost',
    '127.0.0.1',
    '--queuePort',
    String(options.queuePort ?? 0),
    '--tableHost',
    '127.0.0.1',
    '--tablePort',
    String(options.tablePort ?? 0),
    // Current Azure SDKs send API versions newer than Azurite knows.
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--loose',
  ];
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence');
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const endpoints: Record<string, string> = {};
  let output = '';

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`Azurite did not start within ${options.startTimeoutMs ?? 30000} ms. Output:\n${output}`),
      );
    }, options.startTimeoutMs ?? 30000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const match of output.matchAll(
        /Azurite (Blob|Queue|Table) service is successfully listening at (http:\/\/\S+)/g,
      )) {
        endpoints[match[1].toLowerCase()] = match[2];
      }
      if (endpoints.blob && endpoints.queue && endpoints.table) {
        clearTimeout(timer);
        // Ready: from now on the output (an access-log line per request) is only drained.
        // Kept, this listener would re-scan the whole, ever-growing log on every chunk.
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with code ${code} before it was ready. Output:\n${output}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();

  const blobEndpoint = `${endpoints.blob}/${DEV_ACCOUNT_NAME}`;
  const queueEndpoint = `${endpoints.queue}/${DEV_ACCOUNT_NAME}`;
  const tableEndpoint = `${endpoints.table}/${DEV_ACCOUNT_NAME}`;
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT_NAME};AccountKey=${DEV_ACCOUNT_KEY};` +
    `BlobEndpoint=${blobEndpoint};QueueEndpoint=${queueEndpoint};TableEndpoint=${tableEndpoint};`;

  return {
    blobEndpoint,
    queueEndpoint,
    tableEndpoint,
    connectionString,
    process: child,
    stop: () => stopChildProcess(child),
  };
}
