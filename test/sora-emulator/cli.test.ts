// The command-line entry: prints the documented ready line, applies its flags, stops on SIGTERM.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { spawnProviderEmulatorCli } from '../../emulators/providers/spawn-cli.js';

test('sora-emulator CLI: ready line, flags applied, clean stop', async () => {
  const { url, child } = await spawnProviderEmulatorCli(['--port', '0', '--api-key', 'cli-key', '--videos-creates-per-minute', '3', '--max-running-jobs', '10', '--deny', 'secret plan', '--faults', JSON.stringify({ rules: [{ route: 'GET /openai/v1/videos/{video_id}', kind: 'status', status: 503, rate: 1 }] })]);
  try {
    const create = (prompt: string, key = 'cli-key') => fetch(`${url}/openai/v1/videos`, { method: 'POST', headers: { 'api-key': key, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'sora-2', prompt }) });
    assert.equal((await create('a', 'other-key')).status, 401, '--api-key is enforced');
    const statuses = [];
    for (const prompt of ['a', 'b', 'A SECRET PLAN', 'd']) statuses.push((await create(prompt)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429], '--videos-creates-per-minute 3');
    const list = (await (await fetch(`${url}/openai/v1/videos?order=asc`, { headers: { 'api-key': 'cli-key' } })).json()) as { data: Array<{ status: string }> };
    assert.equal(list.data[2].status, 'failed', '--deny moderates the prompt');
    const faulted = await fetch(`${url}/openai/v1/videos/${(list.data[0] as { id?: string }).id}`, { headers: { 'api-key': 'cli-key' } });
    assert.equal(faulted.status, 503, '--faults is applied');
  } finally {
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  }
});
