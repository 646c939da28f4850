// Durable HTTP (context.df.callHttp) on the Node Functions host, with the fixture app
// test/fixtures/durable-apps/http-calls calling HTTP functions of its own host: plain requests, the
// 202 + Location polling pattern on durable timers, polling turned off, a refused tokenSource, an
// unreachable URL, and the stored history replayed by the SDK.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAzurite, type RunningAzurite } from '../../emulators/azurite/index.js';
import { startHost, type RunningHost } from '../../emulators/functions-host/index.js';
import { call, eventsOf, instanceUrl, start, waitForInstance } from './helpers.js';
import { assertReplaysCleanly } from './replay.js';

const appDir = path.resolve(__dirname, '..', 'fixtures', 'durable-apps', 'http-calls');
const { orchestrators } = require('../fixtures/durable-apps/http-calls/lib/orchestrators.js') as {
  orchestrators: Record<string, unknown>;
};

let azurite: RunningAzurite;
let host: RunningHost;
before(async () => {
  azurite = await startAzurite();
  host = await startHost({
    appDir,
    port: 0,
    store: 'azure',
    quiet: true,
    env: { AzureWebJobsStorage: azurite.connectionString },
  });
});
after(async () => {
  await host?.stop();
  await azurite?.stop();
});

async function run(name: string, input: unknown, timeoutMs = 20_000): Promise<any> {
  const { id } = await start(host, name, input);
  await waitForInstance(instanceUrl(host, id), undefined, timeoutMs);
  return (await call(instanceUrl(host, id, '?showHistory=true&showHistoryOutput=true'))).body;
}

describe('durable HTTP (callHttp)', () => {
  test('a plain GET and a POST with a body and headers', async () => {
    const get = await run('plainCall', { url: `${host.url}/api/echo-request`, method: 'GET' });
    assert.equal(get.runtimeStatus, 'Completed', JSON.stringify(get));
    assert.equal(get.output.statusCode, 200);
    assert.deepEqual(JSON.parse(get.output.content), {
      method: 'GET',
      body: null,
      header: 'from the orchestration',
    });
    assert.match(get.output.type, /^application\/json/, 'response headers come back');

    const post = await run('plainCall', {
      url: `${host.url}/api/echo-request`,
      method: 'POST',
      body: { a: 1 },
    });
    assert.deepEqual(JSON.parse(post.output.content), {
      method: 'POST',
      body: '{"a":1}',
      header: 'from the orchestration',
    });
    const scheduled = eventsOf(post, 'TaskScheduled');
    assert.equal(scheduled.length, 1);
    assert.equal(
      scheduled[0].FunctionName,
      'BuiltIn::HttpActivity',
      "recorded as the extension's built-in HTTP activity",
    );
  });

  test('202 + Location is polled on durable timers (Retry-After seconds) with GETs until the final answer', async () => {
    const status = await run('pollingCall', { url: `${host.url}/api/slow-job`, polls: 3 });
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.equal(status.output.statusCode, 200);
    const final = JSON.parse(status.output.content);
    assert.equal(final.done, true);
    assert.deepEqual(
      final.polls.map((p: { method: string }) => p.method),
      ['GET', 'GET', 'GET'],
      'the Location is polled with GET, not the original POST',
    );
    for (let i = 1; i < final.polls.length; i++)
      assert.ok(final.polls[i].at - final.polls[i - 1].at >= 950, 'Retry-After: 1 is honoured between polls');
    const timers = eventsOf(status, 'TimerCreated');
    assert.equal(timers.length, 3, 'one durable timer per 202');
    for (const timer of timers) assert.equal(Date.parse(timer.FireAt) - Date.parse(timer.Timestamp), 1000);
    assert.equal(eventsOf(status, 'TaskScheduled').length, 4, 'the POST and three polls');
  });

  test('enablePolling: false hands the 202 to the orchestration', async () => {
    const status = await run('noPolling', { url: `${host.url}/api/slow-job` });
    assert.deepEqual(status.output, { statusCode: 202, hasLocation: true });
    assert.equal(eventsOf(status, 'TimerCreated').length, 0);
  });

  test('a tokenSource is refused with a clear failure the orchestration can catch', async () => {
    const status = await run('withToken', `${host.url}/api/echo-request`);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.match(status.output, /^caught: callHttp with a tokenSource .*not supported by this host/);
  });

  test('an unreachable URL fails the call with the reason', async () => {
    const status = await run('unreachable', 'http://127.0.0.1:9/nothing-listens-here');
    assert.match(
      status.output,
      /^caught: The durable HTTP request GET http:\/\/127\.0\.0\.1:9\/nothing-listens-here failed/,
    );
  });

  test('the stored histories replay through the SDK with no new action', async () => {
    const cases: [string, unknown][] = [
      ['plainCall', { url: `${host.url}/api/echo-request`, method: 'GET' }],
      ['pollingCall', { url: `${host.url}/api/slow-job`, polls: 2 }],
      ['noPolling', { url: `${host.url}/api/slow-job` }],
      ['withToken', `${host.url}/api/echo-request`],
    ];
    for (const [name, input] of cases) {
      const { id } = await start(host, name, input);
      const status = await waitForInstance(instanceUrl(host, id));
      await assertReplaysCleanly({
        connectionString: azurite.connectionString,
        hub: 'HttpCalls',
        orchestrator: orchestrators[name],
        instanceId: id,
        status,
      });
    }
  });
});
