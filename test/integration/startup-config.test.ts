// Bad settings stop the app at start-up with one message naming each of them (never a
// secret), instead of failing the first request minutes later.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostStartError, startHost } from '../../emulators/functions-host/index.js';
import { settingNames } from '../../src/config.js';
import { blankInstanceSettings, repoRoot } from './pipeline-stack.js';

test('the host refuses to start the app and names every bad setting', async () => {
  const secret = 'sk-not-to-be-printed-123456';
  const error = await startHost({
    appDir: repoRoot,
    port: 0,
    store: 'memory',
    quiet: true,
    env: {
      // Blank unless set below: a local.settings.json in the repository must not configure a provider here.
      ...Object.fromEntries(settingNames.map((name) => [name, ''])),
      ...blankInstanceSettings(),
      AZURE_OPENAI_ENDPOINT: '',
      AZURE_OPENAI_API_KEY: secret,
      VIDEO_STORAGE: '',
      VIDEO_STORAGE__blobServiceUri: '',
      POLL_MIN_SECONDS: 'soon',
      VIDEO_CONTAINER: 'Bad_Name',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    },
  }).then(
    async (host) => {
      await host.stop();
      return undefined;
    },
    (e: unknown) => e,
  );
  assert.ok(error instanceof HostStartError, `the host started anyway: ${String(error)}`);
  for (const setting of [
    'no video provider is configured',
    'VIDEO_STORAGE',
    'POLL_MIN_SECONDS',
    'VIDEO_CONTAINER',
  ]) {
    assert.match(error.output, new RegExp(setting), `${setting} is named`);
  }
  assert.match(error.output, /Invalid app settings/);
  assert.ok(!error.output.includes(secret), 'the API key is never printed');
});
