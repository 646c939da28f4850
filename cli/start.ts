// `npm start`: the whole local stack as one process tree, on the fixed ports that
// `UseDevelopmentStorage=true` and local.settings.sample.json expect. Data persists in .azurite/.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureLocalSettings, readValues } from './local-settings.js';
import { assertPortsFree, emulatorTimeScale, repoRoot, StackError, startLocalStack } from './local-stack.js';

function port(raw: string | undefined, fallback: number, flag: string): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535)
    throw new StackError(`${flag} must be a port number (0 = any free port), got "${raw}"`);
  return Number(raw);
}

async function main(): Promise<void> {
  // Overrides exist for tests and crowded machines; the defaults are what the README documents.
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      port: { type: 'string' },
      'emulator-port': { type: 'string' },
      // The old name of --emulator-port, accepted for one release (README, "Renamed").
      'sora-port': { type: 'string' },
      'azurite-port': { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const appPort = port(values.port, 7071, '--port');
  const oldPortFlag = values['emulator-port'] === undefined && values['sora-port'] !== undefined;
  if (oldPortFlag)
    console.error('Note: --sora-port is the old name of --emulator-port; it goes away in the next release.');
  const emulatorPort = port(
    values['emulator-port'] ?? values['sora-port'],
    8091,
    oldPortFlag ? '--sora-port' : '--emulator-port',
  );
  // One base port for Azurite's three services (0 = three free ports).
  const azuriteBase = port(values['azurite-port'], 10000, '--azurite-port');
  const dataDir = path.resolve(repoRoot, values['data-dir'] ?? '.azurite');
  const azureOpenAiEndpoint = process.env.AZURE_OPENAI_ENDPOINT;
  const azurite = {
    location: dataDir,
    blobPort: azuriteBase,
    queuePort: azuriteBase === 0 ? 0 : azuriteBase + 1,
    tablePort: azuriteBase === 0 ? 0 : azuriteBase + 2,
  };
  await assertPortsFree({ appPort, emulatorPort, azurite, azureOpenAiEndpoint });

  if (ensureLocalSettings(repoRoot))
    console.log('Created local.settings.json from local.settings.sample.json.');
  const settings = readValues(path.join(repoRoot, 'local.settings.json'));
  const apiKey = azureOpenAiEndpoint
    ? (process.env.AZURE_OPENAI_API_KEY ?? settings.AZURE_OPENAI_API_KEY ?? '')
    : settings.AZURE_OPENAI_API_KEY;
  if (!azureOpenAiEndpoint && !apiKey) {
    throw new StackError(
      'AZURE_OPENAI_API_KEY is missing from local.settings.json (Values); the provider emulator needs a key to share with the app.',
    );
  }
  const timeScale = emulatorTimeScale(process.env, (line) => console.error(line));

  console.log(
    'Starting Azurite, %s and the app...',
    azureOpenAiEndpoint ? 'no provider emulator (AZURE_OPENAI_ENDPOINT is set)' : 'the provider emulator',
  );
  const stack = await startLocalStack({
    appPort,
    emulatorPort,
    azurite,
    azureOpenAiEndpoint,
    apiKey: apiKey ?? '',
    emulatorTimeScale: timeScale,
    settings,
    preferFunc: true,
    quiet: false,
  });

  console.log(`
Local stack ready${stack.usingFunc ? ' (app under func)' : ' (app under the Node Functions host)'}:
  app            ${stack.appUrl}/api/videos
  gallery        ${stack.appUrl}/api/gallery   (open it in a browser)
  API reference  ${stack.appUrl}/api/openapi.json
  providers      ${stack.appUrl}/api/providers
  emulator       ${azureOpenAiEndpoint ? `none: Azure OpenAI at ${azureOpenAiEndpoint}` : `${stack.emulatorUrl} (Azure OpenAI, OpenAI /v1, fal, Replicate)`}
  Azurite data   ${path.relative(process.cwd(), dataDir) || dataDir}

Try next (in another terminal):
  curl -s -X POST ${stack.appUrl}/api/videos -H 'content-type: application/json' \\
    -d '{"provider":"fal","model":"fal-ai/kling-video/v2/master/text-to-video","prompt":"A cat playing piano in a jazz bar."}'
  curl -s ${stack.appUrl}/api/videos/<id>          # status, then videos[].url when done
  npm run generate -- "A cat playing piano in a jazz bar." --api ${stack.appUrl}
Press Ctrl-C to stop.`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the local stack...`);
    void stack.stop().then(() => {
      console.log('Stopped.');
      process.exit(0);
    });
  };
  void stack.crashed.then((description) => {
    if (stopping) return;
    stopping = true;
    console.error(`Error: ${description}; stopping the local stack.`);
    void stack.stop().then(() => process.exit(1));
  });
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
