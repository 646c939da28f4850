// npm run provider-emulator -- --port N [--api-key K] [--time-scale X] [--duration-jitter F] [--data-dir DIR] [--max-running-jobs N]
//   [--deny WORD]... [--output-moderation-rate R] [--internal-error-rate R] [--content-ttl-seconds S] [--seed N] [--pad-to-bytes N] [--faults JSON]
//   [--fal-key K] [--fal-concurrency N] [--fal-file-ttl-seconds S] [--replicate-token T] [--replicate-creates-per-minute N] [--replicate-create-burst N]
//   [--replicate-data-ttl-seconds S] [--gemini-key K] [--gemini-creates-per-minute N] [--gemini-file-ttl-seconds S] [--xai-key K] [--gateway-key K]
//   [--webhook-drop-rate R] [--webhook-delay-ms MS] [--image-ca-file PEM]
// One process serves every dialect: Azure OpenAI Sora (/openai/v1), OpenAI videos (/v1), fal (/fal), Replicate (/replicate/v1),
// Gemini API (/v1beta), xAI (/xai/v1),
// AI Gateway (/gateway/v4/ai).
import { parseArgs } from 'node:util';
import { parseFaultConfig } from './faults.js';
import { startProviderEmulator } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8091' },
    'api-key': { type: 'string' },
    'time-scale': { type: 'string', default: '1' },
    'duration-jitter': { type: 'string', default: '0' },
    'data-dir': { type: 'string' },
    'max-running-jobs': { type: 'string', default: '2' },
    'videos-creates-per-minute': { type: 'string', default: '2' },
    'pad-to-bytes': { type: 'string' },
    deny: { type: 'string', multiple: true },
    'output-moderation-rate': { type: 'string', default: '0' },
    'internal-error-rate': { type: 'string', default: '0' },
    'content-ttl-seconds': { type: 'string', default: '86400' },
    seed: { type: 'string', default: '1' },
    faults: { type: 'string' },
    'fal-key': { type: 'string' },
    'fal-concurrency': { type: 'string', default: '2' },
    'fal-file-ttl-seconds': { type: 'string', default: String(7 * 86400) },
    'replicate-token': { type: 'string' },
    'replicate-creates-per-minute': { type: 'string', default: '600' },
    'replicate-create-burst': { type: 'string' },
    'replicate-data-ttl-seconds': { type: 'string', default: '3600' },
    'gemini-key': { type: 'string' },
    'gemini-creates-per-minute': { type: 'string', default: '10' },
    'gemini-file-ttl-seconds': { type: 'string', default: String(2 * 86400) },
    'xai-key': { type: 'string' },
    'gateway-key': { type: 'string' },
    'webhook-drop-rate': { type: 'string', default: '0' },
    'webhook-delay-ms': { type: 'string', default: '0' },
    'image-ca-file': { type: 'string' },
  },
});

const number = (name: string, text: string | undefined) => {
  const value = Number(text);
  if (text === undefined || !Number.isFinite(value) || value < 0) {
    console.error(`--${name} must be a non-negative number, got "${text}"`);
    process.exit(2);
  }
  return value;
};

/** A number in [0, 1). */
const fraction = (name: string, text: string | undefined) => {
  const value = number(name, text);
  if (value >= 1) {
    console.error(`--${name} must be below 1 (0.3 = ±30%), got "${text}"`);
    process.exit(2);
  }
  return value;
};

/** A share from 0 to 1. */
const rate = (name: string, text: string | undefined) => {
  const value = number(name, text);
  if (value > 1) {
    console.error(`--${name} must be from 0 to 1, got "${text}"`);
    process.exit(2);
  }
  return value;
};

/** --faults takes the same JSON as PUT /_admin/faults. */
function faultsFlag(text: string | undefined) {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    console.error(
      '--faults must be JSON like {"seed":1,"rules":[{"kind":"status","status":503,"rate":0.3}]}',
    );
    process.exit(2);
  }
  const config = parseFaultConfig((parsed ?? {}) as Record<string, unknown>);
  if (typeof config === 'string') {
    console.error(`--faults: ${config}`);
    process.exit(2);
  }
  return config;
}

async function main() {
  // `npm run sora-emulator` is this script's old name, kept for one release (README, "Renamed").
  if (process.env.npm_lifecycle_event === 'sora-emulator') {
    console.error(
      'Note: `npm run sora-emulator` is the old name of `npm run provider-emulator`; it goes away in the next release.',
    );
  }
  const emulator = await startProviderEmulator({
    port: number('port', values.port),
    apiKey: values['api-key'],
    timeScale: number('time-scale', values['time-scale']),
    durationJitter: fraction('duration-jitter', values['duration-jitter']),
    dataDir: values['data-dir'],
    maxRunningJobs: number('max-running-jobs', values['max-running-jobs']),
    videosCreatesPerMinute: number('videos-creates-per-minute', values['videos-creates-per-minute']),
    padToBytes:
      values['pad-to-bytes'] === undefined ? undefined : number('pad-to-bytes', values['pad-to-bytes']),
    denyList: values.deny ?? [],
    outputModerationRate: number('output-moderation-rate', values['output-moderation-rate']),
    internalErrorRate: number('internal-error-rate', values['internal-error-rate']),
    contentTtlSeconds: number('content-ttl-seconds', values['content-ttl-seconds']),
    seed: number('seed', values.seed),
    faults: faultsFlag(values.faults),
    falKey: values['fal-key'],
    falConcurrency: number('fal-concurrency', values['fal-concurrency']),
    falFileTtlSeconds: number('fal-file-ttl-seconds', values['fal-file-ttl-seconds']),
    replicateToken: values['replicate-token'],
    replicateCreatesPerMinute: number('replicate-creates-per-minute', values['replicate-creates-per-minute']),
    ...(values['replicate-create-burst'] !== undefined
      ? { replicateCreateBurst: number('replicate-create-burst', values['replicate-create-burst']) }
      : {}),
    replicateDataTtlSeconds: number('replicate-data-ttl-seconds', values['replicate-data-ttl-seconds']),
    geminiKey: values['gemini-key'],
    geminiCreatesPerMinute: number('gemini-creates-per-minute', values['gemini-creates-per-minute']),
    geminiFileTtlSeconds: number('gemini-file-ttl-seconds', values['gemini-file-ttl-seconds']),
    xaiKey: values['xai-key'],
    gatewayKey: values['gateway-key'],
    webhookDropRate: rate('webhook-drop-rate', values['webhook-drop-rate']),
    webhookDelayMs: number('webhook-delay-ms', values['webhook-delay-ms']),
    imageCaFile: values['image-ca-file'],
  });
  // The first line's wording is what tools wait for; the bases of the other dialects follow it.
  console.log(`Provider emulator listening on ${emulator.url} (API base ${emulator.url}/openai/v1)`);
  console.log(
    `  OpenAI videos ${emulator.url}/v1 · fal queue ${emulator.url}/fal · Replicate ${emulator.url}/replicate/v1 · Gemini ${emulator.url}/v1beta · xAI ${emulator.url}/xai/v1 · AI Gateway ${emulator.url}/gateway/v4/ai`,
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void emulator.stop().then(() => process.exit(0)));
  }
}

main().catch((error: Error) => {
  console.error(`Provider emulator could not start: ${error.message}`);
  process.exit(1);
});
