// The emulator's command line with the fal, Replicate and webhook flags: each one applied,
// and the ready line still what tools wait for.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { spawnProviderEmulatorCli } from '../../emulators/providers/spawn-cli.js';
import { json } from './helpers.js';

test('CLI: --fal-key, --replicate-token and the fal, Replicate and webhook settings are applied', async () => {
  const { url, child } = await spawnProviderEmulatorCli([
    '--port', '0', '--fal-key', 'fk', '--replicate-token', 'rt', '--fal-concurrency', '3', '--fal-file-ttl-seconds', '60',
    '--replicate-creates-per-minute', '7', '--replicate-data-ttl-seconds', '120', '--webhook-drop-rate', '1', '--webhook-delay-ms', '5',
  ]);
  try {
    const fal = (key: string) => fetch(`${url}/fal/fal-ai/veo3`, { method: 'POST', headers: { authorization: `Key ${key}` }, body: JSON.stringify({ prompt: 'p' }) });
    assert.deepEqual([(await fal('other')).status, (await fal('fk')).status], [401, 200]);
    const replicate = (token: string) => fetch(`${url}/replicate/v1/models/google/veo-3.1/predictions`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ input: { prompt: 'p' } }) });
    assert.deepEqual([(await replicate('other')).status, (await replicate('rt')).status], [401, 201]);
    const settings = await json<Record<string, unknown>>(fetch(`${url}/_admin/config`, { method: 'PATCH', body: '{}' }));
    assert.deepEqual(
      [settings.falConcurrency, settings.falFileTtlSeconds, settings.replicateCreatesPerMinute, settings.replicateDataTtlSeconds, settings.webhookDropRate, settings.webhookDelayMs],
      [3, 60, 7, 120, 1, 5],
    );
  } finally {
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  }
});
