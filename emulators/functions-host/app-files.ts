// Reads a Functions app directory the way `func start` does: package.json `main` (a file or
// a glob), host.json (route prefix, durable settings) and local.settings.json (`Values`
// become environment variables; real environment variables win, as with func).
import { existsSync, globSync, readFileSync } from 'node:fs';
import path from 'node:path';

export class AppLoadError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AppLoadError';
  }
}

export interface DurableSettings {
  hubName: string;
  maxConcurrentActivityFunctions: number;
  maxConcurrentOrchestratorFunctions: number;
}

export interface QueueHostSettings {
  batchSize: number;
  maxDequeueCount: number;
  visibilityTimeoutMs: number;
  maxPollingIntervalMs: number;
  messageEncoding: 'base64' | 'none';
}

export interface HostSettings {
  routePrefix: string;
  durable: DurableSettings;
  queues: QueueHostSettings;
}

/** host.json durations: a TimeSpan ("00:00:30", "1.00:00:00") or milliseconds. */
function durationMs(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && value >= 0) return value;
  const span =
    typeof value === 'string' ? /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(value) : null;
  if (!span)
    throw new AppLoadError(
      `host.json: ${name} must be a TimeSpan such as "00:00:30" (got ${JSON.stringify(value)})`,
    );
  return (
    ((Number(span[1] ?? 0) * 24 + Number(span[2])) * 3600 + Number(span[3]) * 60 + Number(span[4])) * 1000 +
    Number(`0.${span[5] ?? '0'}`) * 1000
  );
}

function readJson(file: string): unknown {
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppLoadError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** Case-insensitive lookup: host.json keys are case-insensitive on the real host. */
function pick(source: Record<string, unknown>, key: string): unknown {
  const found = Object.keys(source).find((k) => k.toLowerCase() === key.toLowerCase());
  return found === undefined ? undefined : source[found];
}

function positiveInt(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new AppLoadError(`host.json: ${name} must be a positive integer (got ${JSON.stringify(value)})`);
  return n;
}

export function readHostSettings(appDir: string): HostSettings {
  const file = path.join(appDir, 'host.json');
  const host = existsSync(file) ? record(readJson(file)) : {};
  const extensions = record(pick(host, 'extensions'));
  const http = record(pick(extensions, 'http'));
  const durable = record(pick(extensions, 'durableTask'));
  const queues = record(pick(extensions, 'queues'));
  const encoding = pick(queues, 'messageEncoding');
  if (encoding !== undefined && !['base64', 'none'].includes(String(encoding).toLowerCase()))
    throw new AppLoadError('host.json: queues.messageEncoding must be base64 or none');
  const routePrefixValue = pick(http, 'routePrefix');
  const routePrefix =
    typeof routePrefixValue === 'string' ? routePrefixValue.replace(/^\/+|\/+$/g, '') : 'api';
  const hubName = pick(durable, 'hubName');
  if (
    hubName !== undefined &&
    (typeof hubName !== 'string' || !/^[A-Za-z][A-Za-z0-9]{2,44}$/.test(hubName))
  ) {
    throw new AppLoadError(
      'host.json: durableTask.hubName must be 3-45 letters or digits starting with a letter',
    );
  }
  return {
    routePrefix,
    durable: {
      // The Durable extension's default hub name when host.json names none.
      hubName: typeof hubName === 'string' ? hubName : 'TestHubName',
      maxConcurrentActivityFunctions: positiveInt(
        pick(durable, 'maxConcurrentActivityFunctions'),
        10,
        'maxConcurrentActivityFunctions',
      ),
      maxConcurrentOrchestratorFunctions: positiveInt(
        pick(durable, 'maxConcurrentOrchestratorFunctions'),
        10,
        'maxConcurrentOrchestratorFunctions',
      ),
    },
    queues: {
      batchSize: positiveInt(pick(queues, 'batchSize'), 16, 'queues.batchSize'),
      maxDequeueCount: positiveInt(pick(queues, 'maxDequeueCount'), 5, 'queues.maxDequeueCount'),
      visibilityTimeoutMs: durationMs(pick(queues, 'visibilityTimeout'), 0, 'queues.visibilityTimeout'),
      // func's default is one minute; locally a second keeps queue-triggered work prompt.
      maxPollingIntervalMs: durationMs(pick(queues, 'maxPollingInterval'), 1000, 'queues.maxPollingInterval'),
      messageEncoding: String(encoding ?? 'base64').toLowerCase() as 'base64' | 'none',
    },
  };
}

/** local.settings.json `Values`, or {} when the file is absent. */
export function readLocalSettings(appDir: string): Record<string, string> {
  const file = path.join(appDir, 'local.settings.json');
  if (!existsSync(file)) return {};
  const values = record(pick(record(readJson(file)), 'Values'));
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value !== null && value !== undefined) out[key] = String(value);
  }
  return out;
}

/** The files package.json `main` names (globs expanded, sorted for a stable load order). */
export function resolveEntryFiles(appDir: string): string[] {
  const file = path.join(appDir, 'package.json');
  if (!existsSync(file))
    throw new AppLoadError(
      `${appDir} has no package.json: a v4 Node app names its entry point there ("main")`,
    );
  const main = pick(record(readJson(file)), 'main');
  if (typeof main !== 'string' || main.trim() === '') {
    throw new AppLoadError(
      `${file} has no "main": set it to the file (or glob) that registers your functions`,
    );
  }
  const matches = /[*?[{]/.test(main)
    ? globSync(main, { cwd: appDir })
        .map((m) => path.resolve(appDir, m))
        .sort()
    : [path.resolve(appDir, main)].filter((f) => existsSync(f));
  if (matches.length === 0) {
    throw new AppLoadError(
      `package.json "main" (${main}) matches no file in ${appDir}. Did you build the app (npm run build)?`,
    );
  }
  return matches;
}
