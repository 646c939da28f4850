// The embedded local stack used by both `npm start` and `npm run generate`:
// Azurite + the provider emulator (unless a real Azure OpenAI endpoint is given) + the app, under `func`
// when it is installed, else under the project's Node Functions host.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startAzurite, type RunningAzurite } from '../emulators/azurite/index.js';
import { stopChildProcess } from '../emulators/stop-child.js';

export const repoRoot = path.resolve(__dirname, '..');

/** What the provider emulator and Node host modules promise (see their contracts in the design). */
interface RunningService {
  url: string;
  port: number;
  process?: ChildProcess;
  stop(): Promise<void>;
}
interface ProviderEmulatorModule {
  startProviderEmulator(options: {
    port?: number;
    apiKey?: string;
    timeScale?: number;
  }): Promise<RunningService>;
}
interface FunctionsHostModule {
  startHost(options: {
    appDir: string;
    port?: number;
    env?: Record<string, string>;
    store?: 'memory' | 'azure';
    quiet?: boolean;
  }): Promise<RunningService & { output(): string }>;
}

/** Loaded by path at run time so this file type-checks even before a sibling's module has landed. */
async function loadEmulator<T>(relative: string): Promise<T> {
  const file = path.join(repoRoot, relative);
  if (!existsSync(file))
    throw new StackError(`${relative} is missing from this checkout; the local stack needs it.`);
  return (await import(file)) as T;
}

export class StackError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StackError';
  }
}

export interface LocalStackOptions {
  /** App port; 0 = any free port. */
  appPort: number;
  /** Provider emulator port (ignored when azureOpenAiEndpoint is set). */
  emulatorPort: number;
  azurite: { location?: string; blobPort: number; queuePort: number; tablePort: number };
  /** A real Azure OpenAI endpoint; undefined = run the provider emulator. */
  azureOpenAiEndpoint?: string;
  /** Key the app sends to every provider the emulator stands for (the emulator demands it),
   * or to azureOpenAiEndpoint when that is set. */
  apiKey: string;
  /** Emulator speed-up (tests); undefined = the emulator's own realistic timing. */
  emulatorTimeScale?: number;
  /** App settings (local.settings.json Values); storage and provider entries are filled in here. */
  settings: Record<string, string>;
  /** Prefer `func start` when it is installed. */
  preferFunc: boolean;
  quiet: boolean;
}

export interface RunningStack {
  appUrl: string;
  /** The provider emulator's URL; undefined when azureOpenAiEndpoint is used instead. */
  emulatorUrl?: string;
  storageConnectionString: string;
  usingFunc: boolean;
  /** Resolves with a one-line description if a piece dies while the stack is meant to be up. */
  crashed: Promise<string>;
  stop(): Promise<void>;
}

/** The emulator speed-up PROVIDER_EMULATOR_TIME_SCALE asks for (undefined = realistic timing).
 * SORA_EMULATOR_TIME_SCALE is its old name, still read for one release (README, "Renamed"). */
export function emulatorTimeScale(
  env: Record<string, string | undefined>,
  notice: (line: string) => void,
): number | undefined {
  const value = env.PROVIDER_EMULATOR_TIME_SCALE ?? env.SORA_EMULATOR_TIME_SCALE;
  if (env.PROVIDER_EMULATOR_TIME_SCALE === undefined && env.SORA_EMULATOR_TIME_SCALE !== undefined) {
    notice(
      'Note: SORA_EMULATOR_TIME_SCALE is the old name of PROVIDER_EMULATOR_TIME_SCALE; it goes away in the next release.',
    );
  }
  return value ? Number(value) : undefined;
}

/** Fails with a clear message when a fixed port is taken (port 0 is always free). */
export async function assertPortFree(port: number, what: string, flag: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new StackError(
          error.code === 'EADDRINUSE'
            ? `Port ${port} (${what}) is already in use. Stop whatever uses it, or choose another port with ${flag}.`
            : `Cannot use port ${port} (${what}): ${error.message}`,
        ),
      ),
    );
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve()));
  });
}

export function findFunc(): string | undefined {
  const local = path.join(repoRoot, 'node_modules', '.bin', 'func');
  if (existsSync(local)) return local;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'func'))) return path.join(dir, 'func');
  }
  return undefined;
}

/** Where local.settings.sample.json says the emulator is. Provider endpoints under it are
 * pointed at the running emulator (its port may differ), and their keys get the run's key. */
export const SAMPLE_EMULATOR_URL = 'http://127.0.0.1:8091';
/** Each provider's endpoint setting and the key setting that goes with it. */
const PROVIDER_ENDPOINTS: Array<{ endpoint: string; key?: string }> = [
  { endpoint: 'AZURE_OPENAI_ENDPOINT', key: 'AZURE_OPENAI_API_KEY' },
  { endpoint: 'OPENAI_BASE_URL', key: 'OPENAI_API_KEY' },
  { endpoint: 'FAL_QUEUE_URL', key: 'FAL_KEY' },
  { endpoint: 'FAL_JWKS_URL' },
  { endpoint: 'REPLICATE_BASE_URL', key: 'REPLICATE_API_TOKEN' },
  // The google, xai and gateway instances (kind ai-sdk): their keys are the AI SDK's own settings.
  { endpoint: 'VIDEO_PROVIDERS__google__BASE_URL', key: 'GOOGLE_GENERATIVE_AI_API_KEY' },
  { endpoint: 'VIDEO_PROVIDERS__xai__BASE_URL', key: 'XAI_API_KEY' },
  { endpoint: 'VIDEO_PROVIDERS__gateway__BASE_URL', key: 'AI_GATEWAY_API_KEY' },
];

/** Every provider endpoint in the settings: the fixed ones above, and each named instance's
 * VIDEO_PROVIDERS__<name>__BASE_URL with its own __API_KEY. */
function providerEndpoints(settings: Record<string, string>): Array<{ endpoint: string; key?: string }> {
  const fixed = new Set(PROVIDER_ENDPOINTS.map((entry) => entry.endpoint));
  const named = Object.keys(settings)
    .filter((name) => /^VIDEO_PROVIDERS__.+__BASE_URL$/.test(name) && !fixed.has(name))
    .map((endpoint) => ({ endpoint, key: endpoint.replace(/__BASE_URL$/, '__API_KEY') }));
  return [...PROVIDER_ENDPOINTS, ...named];
}

/** Settings with every provider that the sample points at the emulator pointed at `emulatorUrl`
 * (with `key`), or, when no emulator runs, left out so the app does not call a dead port. */
export function wireProviders(
  settings: Record<string, string>,
  emulatorUrl: string | undefined,
  key: string,
): Record<string, string> {
  const env = { ...settings };
  for (const { endpoint, key: keySetting } of providerEndpoints(env)) {
    const value = env[endpoint];
    if (!value?.startsWith(SAMPLE_EMULATOR_URL)) continue;
    if (emulatorUrl) {
      env[endpoint] = emulatorUrl + value.slice(SAMPLE_EMULATOR_URL.length);
      if (keySetting) env[keySetting] = key;
      // The emulator signs Replicate webhooks with a secret of its own, new each start: the app
      // fetches it from the emulator's GET /webhooks/default/secret, as from Replicate's.
      if (endpoint === 'REPLICATE_BASE_URL') env.REPLICATE_WEBHOOK_SECRET = '';
    } else {
      delete env[endpoint];
      if (keySetting) delete env[keySetting];
      // A named instance goes whole (its MODELS, KIND, …), or its remaining fields name an instance with no kind.
      const instance = /^(VIDEO_PROVIDERS__.+__)BASE_URL$/.exec(endpoint)?.[1];
      if (instance) for (const name of Object.keys(env)) if (name.startsWith(instance)) delete env[name];
    }
  }
  return env;
}

/** A free port, so the app's public URL is known before it starts (callbacks are built from it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The storage settings that mean "the local emulator" get Azurite's real endpoints (its ports may be random). */
function pointsAtLocalStorage(value: string | undefined): boolean {
  return value === undefined || value === '' || /UseDevelopmentStorage=true/i.test(value);
}

async function startUnderFunc(
  funcPath: string,
  port: number,
  env: Record<string, string>,
  quiet: boolean,
): Promise<RunningService> {
  const child: ChildProcess = spawn(funcPath, ['start', '--port', String(port)], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!quiet) process.stdout.write(chunk);
      if (/Host started|Functions:/.test(output)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      reject(new StackError(`func exited with code ${code} before it was ready.\n${output}`)),
    );
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    process: child,
    stop: () => stopChildProcess(child),
  };
}

/** Every fixed port the stack will bind, checked up front so a clash is reported before anything starts. */
export async function assertPortsFree(
  options: Pick<LocalStackOptions, 'appPort' | 'emulatorPort' | 'azurite' | 'azureOpenAiEndpoint'>,
): Promise<void> {
  await assertPortFree(options.appPort, 'app', '--port');
  if (!options.azureOpenAiEndpoint)
    await assertPortFree(options.emulatorPort, 'provider emulator', '--emulator-port');
  await assertPortFree(options.azurite.blobPort, 'Azurite blob', '--azurite-port');
  await assertPortFree(options.azurite.queuePort, 'Azurite queue', '--azurite-port');
  await assertPortFree(options.azurite.tablePort, 'Azurite table', '--azurite-port');
}

export async function startLocalStack(options: LocalStackOptions): Promise<RunningStack> {
  await assertPortsFree(options);

  // Started pieces are stopped in reverse order, also when a later piece fails to start.
  const started: { stop(): Promise<void> }[] = [];
  let stopping = false;
  let reportCrash: (description: string) => void = () => undefined;
  const crashed = new Promise<string>((resolve) => {
    reportCrash = resolve;
  });
  /** A piece dying on its own leaves a half-working stack: say which one instead of hanging. */
  const watch = (name: string, child: ChildProcess | undefined) =>
    child?.once('exit', (code, signal) => {
      if (!stopping) reportCrash(`${name} exited unexpectedly (${signal ?? `code ${code}`})`);
    });
  const stopAll = async () => {
    stopping = true;
    for (const piece of started.reverse()) await piece.stop().catch(() => undefined);
  };
  try {
    const azurite: RunningAzurite = await startAzurite(options.azurite);
    started.push(azurite);
    watch('Azurite', azurite.process);

    let emulatorUrl: string | undefined;
    if (!options.azureOpenAiEndpoint) {
      const { startProviderEmulator } = await loadEmulator<ProviderEmulatorModule>(
        'emulators/providers/index.ts',
      );
      const emulator = await startProviderEmulator({
        port: options.emulatorPort,
        apiKey: options.apiKey,
        timeScale: options.emulatorTimeScale,
      });
      started.push(emulator);
      watch('The provider emulator', emulator.process);
      emulatorUrl = emulator.url;
    }

    const env = wireProviders(options.settings, emulatorUrl, options.apiKey);
    // A real Azure OpenAI endpoint (AZURE_OPENAI_ENDPOINT given) is used as is.
    if (options.azureOpenAiEndpoint) {
      env.AZURE_OPENAI_ENDPOINT = options.azureOpenAiEndpoint;
      if (options.apiKey) env.AZURE_OPENAI_API_KEY = options.apiKey;
    }
    // The app hands out status URLs and registers provider callbacks under its public URL.
    const appPort = options.appPort || (await freePort());
    env.PUBLIC_BASE_URL = `http://127.0.0.1:${appPort}`;
    for (const name of ['AzureWebJobsStorage', 'VIDEO_STORAGE']) {
      if (pointsAtLocalStorage(env[name])) env[name] = azurite.connectionString;
    }

    const funcPath = options.preferFunc ? findFunc() : undefined;
    let app: RunningService;
    if (funcPath) {
      app = await startUnderFunc(funcPath, appPort, env, options.quiet);
    } else {
      const { startHost } = await loadEmulator<FunctionsHostModule>('emulators/functions-host/index.ts');
      app = await startHost({ appDir: repoRoot, port: appPort, env, store: 'azure', quiet: options.quiet });
    }
    started.push(app);
    watch(funcPath ? 'func' : 'The Functions host', app.process);

    return {
      appUrl: app.url.replace(/\/+$/, ''),
      emulatorUrl,
      storageConnectionString: azurite.connectionString,
      usingFunc: !!funcPath,
      crashed,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
