// Jobs list paging and filtering: limit, after, before, statuses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startProviderEmulator } from '../../emulators/providers/index.js';

test('GET /video/generations/jobs pages with limit/after/before and filters by statuses', async () => {
  const emulator = await startProviderEmulator({ maxRunningJobs: 10, timeScale: 100 });
  const api = async (method: string, route: string, body?: unknown) =>
    (
      await fetch(`${emulator.url}/openai/v1/video/generations/jobs${route}`, {
        method,
        headers: { 'api-key': 'x', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    ).json() as Promise<{
      id: string;
      data: Array<{ id: string }>;
      has_more: boolean;
      first_id: string;
      last_id: string;
    }>;
  try {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await api('POST', '', { prompt: `p${i}`, width: 480, height: 480, model: 'sora' })).id);
    const newestFirst = [...ids].reverse();
    const first = await api('GET', '?limit=2');
    assert.deepEqual(
      first.data.map((j) => j.id),
      newestFirst.slice(0, 2),
    );
    assert.equal(first.has_more, true);
    const second = await api('GET', `?limit=2&after=${first.last_id}`);
    assert.deepEqual(
      second.data.map((j) => j.id),
      newestFirst.slice(2, 4),
    );
    const third = await api('GET', `?limit=2&after=${second.last_id}`);
    assert.deepEqual([third.data.map((j) => j.id), third.has_more], [newestFirst.slice(4), false]);
    const back = await api('GET', `?limit=2&before=${third.first_id}`);
    assert.deepEqual(
      back.data.map((j) => j.id),
      newestFirst.slice(2, 4),
    );
    assert.deepEqual((await api('GET', '?statuses=succeeded,failed')).data, []);
    assert.equal((await api('GET', '?statuses=queued')).data.length, 5);
  } finally {
    await emulator.stop();
  }
});
