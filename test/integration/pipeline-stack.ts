// The real parts, wired as a user runs them: Azurite, the provider emulator over HTTP, and the
// Node Functions host running the built app (dist/) with the real durable-functions replay.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../../emulators/azurite/index.js';
import { startHost, type RunningHost } from '../../emulators/functions-host/index.js';
import {
  startProviderEmulator,
  type RunningProviderEmulator,
  type ProviderEmulatorOptions,
} from '../../emulators/providers/index.js';
import { freePort } from '../../cli/local-stack.js';
export { freePort };
import { settingNames } from '../../src/config.js';
import { call, emulatorAdminAt, type Answer } from '../support/http.js';
import { registerApp, unregisterApp } from '../support/openapi-check.js';
import { eventually } from '../support/eventually.js';

export { call, type Answer };

export const repoRoot = path.resolve(__dirname, '..', '..');
export const EMULATOR_KEY = 'integration-key';
export const CONTAINER = 'videos';
/** The app's signing secret for events to callers (Standard Webhooks form). */
export const OUTBOUND_SECRET = `whsec_${Buffer.from('integration-outbound-signing-secret').toString('base64')}`;

export interface PipelineStack {
  azurite: RunningAzurite;
  emulator: RunningProviderEmulator;
  host: RunningHost;
  container: ContainerClient;
  /** App settings given to the host (so a restart can reuse them). */
  settings: Record<string, string>;
  restartHost(): Promise<RunningHost>;
  /** With requireKeys: the function key and the task hub's system key the host printed. */
  keys?: { function: string; system: string };
  stop(): Promise<void>;
}

export interface StackOptions {
  emulator?: ProviderEmulatorOptions;
  settings?: Record<string, string>;
  /** More settings, built from the emulator's URL once it listens (provider instances pointed at it). */
  settingsFor?: (emulatorUrl: string) => Record<string, string>;
  /** Host store: 'azure' (Azurite, the default) or 'memory'. */
  store?: 'azure' | 'memory';
  /** Require function and system keys, as on Azure (the host prints them). */
  requireKeys?: boolean;
}

/** The app's settings against local Azurite and the emulator, polling fast (emulator jobs take
 * seconds); bench/streaming.ts runs the app with them too. Every provider is the emulator's.
 * Every setting the app reads is given (blank when unused), so a developer's own
 * local.settings.json in the repository cannot change what a test runs. */
/** Every VIDEO_PROVIDERS__<name>__<FIELD> that the repository's local.settings.json (or the
 * sample) sets, blank: named instances are not in settingNames, and a developer's copy of the
 * sample must not configure one here. */
export function blankInstanceSettings(): Record<string, string> {
  const names = ['local.settings.json', 'local.settings.sample.json'].flatMap((file) => {
    const full = path.join(repoRoot, file);
    if (!existsSync(full)) return [];
    const values =
      (JSON.parse(readFileSync(full, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
    return Object.keys(values).filter((name) => name.startsWith('VIDEO_PROVIDERS__'));
  });
  return Object.fromEntries(names.map((name) => [name, '']));
}

export function pipelineSettings(
  storageConnectionString: string,
  emulatorUrl: string,
  key = EMULATOR_KEY,
): Record<string, string> {
  return {
    ...Object.fromEntries(settingNames.map((name) => [name, ''])),
    ...blankInstanceSettings(),
    // The host's own limit (not in settingNames: the app never reads it), blank for the host's
    // default: a local.settings.json copied from the sample (11 MiB) made a declared 90 MiB
    // upload refused by the host instead of by the route's limit (request-bodies.test.ts).
    FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '',
    AzureWebJobsStorage: storageConnectionString,
    VIDEO_STORAGE: storageConnectionString,
    VIDEO_CONTAINER: CONTAINER,
    AZURE_OPENAI_ENDPOINT: emulatorUrl,
    AZURE_OPENAI_API_KEY: key,
    // The same emulator's OpenAI-compatible surface (Bearer auth, no api-version), fal and Replicate dialects.
    OPENAI_API_KEY: key,
    OPENAI_BASE_URL: `${emulatorUrl}/v1`,
    FAL_KEY: key,
    FAL_QUEUE_URL: `${emulatorUrl}/fal`,
    FAL_JWKS_URL: `${emulatorUrl}/fal/.well-known/jwks.json`,
    REPLICATE_API_TOKEN: key,
    REPLICATE_BASE_URL: `${emulatorUrl}/replicate/v1`,
    DEFAULT_PROVIDER: 'azure-openai',
    // Events to callers are signed; the tests' receivers listen on loopback over http.
    OUTBOUND_WEBHOOK_SECRET: OUTBOUND_SECRET,
    ALLOW_LOCAL_CALLBACKS: 'true',
    // Where the app says it lives: status URLs and provider callbacks are built from it. The
    // stack sets the host's real address once it has chosen the port.
    PUBLIC_BASE_URL: '',
    // The suites that predate admission control test other things, on emulators often set above
    // the vendors' limits: their accounts are ungoverned. test/integration/admission.test.ts
    // sets limits of its own.
    ...Object.fromEntries(
      ['AZURE_OPENAI', 'OPENAI', 'FAL', 'REPLICATE'].flatMap((prefix) => [
        [`${prefix}_MAX_RUNNING_JOBS`, 'unlimited'],
        [`${prefix}_CREATES_PER_MINUTE`, 'unlimited'],
      ]),
    ),
    POLL_MIN_SECONDS: '0.2',
    POLL_MAX_SECONDS: '1',
    PROVIDER_REQUEST_TIMEOUT_SECONDS: '10',
  };
}

export async function startPipelineStack(options: StackOptions = {}): Promise<PipelineStack> {
  const azurite = await startAzurite();
  const emulator = await startProviderEmulator({
    port: 0,
    apiKey: EMULATOR_KEY,
    timeScale: 0.05,
    ...options.emulator,
  });
  const settings = {
    ...pipelineSettings(azurite.connectionString, emulator.url),
    ...options.settings,
    ...options.settingsFor?.(emulator.url),
  };
  // The port is chosen first so the app knows its own URL (provider webhooks come back to it),
  // and a restarted host answers where the old one did.
  const port = await freePort();
  settings.PUBLIC_BASE_URL ||= `http://127.0.0.1:${port}`;
  const launch = () =>
    startHost({
      appDir: repoRoot,
      port,
      store: options.store ?? 'azure',
      env: settings,
      quiet: !options.requireKeys,
      requireKeys: options.requireKeys,
    });
  const stack: PipelineStack = {
    azurite,
    emulator,
    settings,
    host: await launch(),
    container: BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(CONTAINER),
    async restartHost() {
      stack.host = await launch();
      return stack.host;
    },
    async stop() {
      unregisterApp(stack.host.url);
      await stack.host.stop().catch(() => undefined);
      await emulator.stop();
      await azurite.stop();
    },
  };
  // With keys required (as on Azure), the host prints them; the document is read with the function key.
  if (options.requireKeys) {
    const match = /^Keys \(--require-keys\): master=(\S+) function=(\S+) durabletask_extension=(\S+)$/m.exec(
      stack.host.output(),
    );
    assert.ok(match, `the host printed no keys:\n${stack.host.output()}`);
    stack.keys = { function: match[2], system: match[3] };
  }
  // From here every answer the suites get from this app is checked against its /api/openapi.json (see call).
  registerApp(stack.host.url, stack.keys ? { 'x-functions-key': stack.keys.function } : {});
  return stack;
}

export async function postVideo(
  host: RunningHost,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return call(`${host.url}/api/videos`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/** Follows GET /api/videos/{id} until the request has finished. */
export async function waitForVideo(host: RunningHost, id: string, timeoutMs = 60_000): Promise<any> {
  const last = await eventually(
    `video ${id} finished`,
    () => call(`${host.url}/api/videos/${id}`),
    (answer) => answer.status === 200 && FINISHED.has(answer.body.phase),
    { timeoutMs, everyMs: 100 },
  );
  return last.body;
}

export async function startVideo(
  host: RunningHost,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<string> {
  const answer = await postVideo(host, body, headers);
  assert.equal(answer.status, 202, answer.text);
  return answer.body.id as string;
}

export interface EmulatorStats {
  jobsCreated: Record<string, number>;
  requests: Record<string, Record<string, number>>;
}

export async function emulatorStats(emulator: RunningProviderEmulator): Promise<EmulatorStats> {
  return (await call(`${emulator.url}/_admin/stats`)).body as EmulatorStats;
}

export function totalJobsCreated(stats: EmulatorStats): number {
  return Object.values(stats.jobsCreated).reduce((a, b) => a + b, 0);
}

/** Blob names under the videos container, claims, learned durations and uploaded start images
 * (`.uploads/`, test/integration/uploads.test.ts lists those) excluded. */
export async function videoBlobs(container: ContainerClient, prefix = ''): Promise<string[]> {
  const names: string[] = [];
  if (!(await container.exists())) return names;
  for await (const blob of container.listBlobsFlat({ prefix }))
    if (!/^\.(claims|stats|uploads)\//.test(blob.name)) names.push(blob.name);
  return names;
}

export const quickstartBody = {
  prompt: 'A cat playing piano in a jazz bar.',
  width: 480,
  height: 480,
  n_seconds: 5,
  model: 'sora',
};

/** A call to the emulator's /_admin API (faults, config, stats); it must succeed. */
export async function emulatorAdmin(stack: PipelineStack, method: string, path: string, value?: unknown) {
  return emulatorAdminAt(stack.emulator.url)(method, path, value);
}

/** How many 429, 500 and 503 answers the emulator has sent (injected faults among them). */
export async function injectedErrorAnswers(stack: PipelineStack): Promise<number> {
  return Object.values(
    (await emulatorAdmin(stack, 'GET', 'stats')).requests as Record<string, Record<string, number>>,
  )
    .flatMap((byStatus) => Object.entries(byStatus))
    .filter(([code]) => ['429', '500', '503'].includes(code))
    .reduce((n, [, count]) => n + count, 0);
}

/** Starts one request per body while `faults` (PUT /_admin/faults) are injected, waits for every
 * one to end, and lifts the faults whatever happened; the final status views, in body order. */
export async function videosUnderFaults(
  stack: PipelineStack,
  faults: unknown,
  bodies: unknown[],
  timeoutMs: number,
): Promise<any[]> {
  await emulatorAdmin(stack, 'PUT', 'faults', faults);
  try {
    const ids = await Promise.all(bodies.map((body) => startVideo(stack.host, body)));
    return await Promise.all(ids.map((id) => waitForVideo(stack.host, id, timeoutMs)));
  } finally {
    await emulatorAdmin(stack, 'DELETE', 'faults');
  }
}
