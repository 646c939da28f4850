// The Functions host against hostile requests and failing storage: keys on the rpc endpoint,
// request body limits, malformed paths, atomic starts and storage commits that fail. Real HTTP to
// a real host child process.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAzurite, type RunningAzurite } from '../../emulators/azurite/index.js';
import { startHost, type RunningHost } from '../../emulators/functions-host/index.js';
import { flood } from '../support/flood.js';
import { measuredRefusedUpload } from '../support/refused-upload.js';
import { call, instanceUrl, start, startFixtureHost, waitForInstance } from './helpers.js';
import { eventually } from '../support/eventually.js';

/** A raw request whose path is sent exactly as written (fetch would normalise it). */
function rawGet(host: RunningHost, rawPath: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: host.port, path: rawPath, method: 'GET' }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

const MiB = 1024 * 1024;

describe('keys, request body limits and malformed paths (memory store)', () => {
  let host: RunningHost;
  let keyed: RunningHost;
  let system: string;
  let functionKey: string;
  before(async () => {
    host = await startFixtureHost({ env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(MiB) } });
    keyed = await startFixtureHost({ requireKeys: true, quiet: false });
    const match = /durabletask_extension=(\S+)$/m.exec(keyed.output());
    system = match![1];
    functionKey = /function=(\S+)/.exec(keyed.output())![1];
  });
  after(async () => {
    await host?.stop();
    await keyed?.stop();
  });

  test('with --require-keys the rpc endpoint /durabletask/ needs the system key', async () => {
    assert.equal((await call(`${keyed.url}/durabletask/instances/x`)).status, 401, 'no key');
    assert.equal((await call(`${keyed.url}/durabletask/instances/`)).status, 401, 'listing, no key');
    assert.equal(
      (await call(`${keyed.url}/durabletask/orchestrators/echo`, { method: 'POST', body: '1' })).status,
      401,
      'starting, no key',
    );
    assert.equal(
      (await call(`${keyed.url}/durabletask/instances/x?code=${encodeURIComponent(functionKey)}`)).status,
      401,
      'a function key is not enough',
    );
    assert.equal(
      (await call(`${keyed.url}/durabletask/instances/x?code=${encodeURIComponent(system)}`)).status,
      404,
      'past the key check',
    );
  });

  test("with --require-keys the app's durable client still works (start, status, raise, purge)", async () => {
    const id = `rpc-keyed-${Date.now()}`;
    const started = await call(`${keyed.url}/api/orchestrators/waiter/${id}`, { method: 'POST' });
    assert.equal(started.status, 202, started.text);
    const seen = await call(`${keyed.url}/api/client/${id}`);
    assert.equal(seen.status, 200, seen.text);
    assert.equal(seen.body.instanceId, id);
    assert.equal(
      (await call(`${keyed.url}/api/client/${id}/raise?name=Go`, { method: 'POST', body: '"keyed"' })).status,
      202,
    );
    const done = await waitForInstance(`${instanceUrl(keyed, id)}?code=${encodeURIComponent(system)}`);
    assert.equal(done.output, 'keyed');
    assert.deepEqual((await call(`${keyed.url}/api/client/${id}/purge`, { method: 'POST' })).body, {
      instancesDeleted: 1,
    });
  });

  test('malformed percent-encoding in a path answers 400, not 500', async () => {
    for (const bad of [
      '/api/items/%E0%A4%A',
      '/api/%',
      '/api/echo%zz',
      '/runtime/webhooks/durabletask/instances/%E0%A4%A',
      '/durabletask/instances/%',
      '/api/orchestrators/echo/%C0',
    ]) {
      const answer = await rawGet(host, bad);
      assert.equal(answer.status, 400, `${bad}: ${answer.status} ${answer.text}`);
      assert.match(answer.text, /percent-encoding/i, bad);
    }
    assert.equal(
      (await rawGet(host, '/api/items/%31')).status,
      200,
      'valid encoding still works (%31 is "1")',
    );
  });

  test('a declared Content-Length over the limit is refused with 413 before the body is read', async () => {
    const answer = await flood(host, '/api/echo', {
      capBytes: 64 * 1024,
      contentLength: 200 * MiB,
      timeoutMs: 5000,
    });
    assert.equal(answer.status, 413);
  });

  test("a refused upload is not read on after the 413: over the host's limit, declared or chunked", async (t) => {
    // The 413 for a declared Content-Length over the limit comes before a byte of the body is
    // read; the host then read on (to discard) until it closed the connection a second later,
    // 4-5 MiB of a 90 MiB upload on loopback. Measured from the kernel's counters (`ss`).
    for (const declared of [true, false, true, false]) {
      const how = declared ? 'declared' : 'chunked';
      const upload = await measuredRefusedUpload(host, '/api/echo', { size: 90 * MiB, declared });
      assert.equal(upload.status, 413, how);
      t.diagnostic(
        `${how}: the host read ${(upload.serverRead / MiB).toFixed(2)} MiB from the connection; ` +
          `the client had written ${(upload.clientWroteInAll / MiB).toFixed(2)} MiB when it was closed`,
      );
      // The limit (1 MiB) for a chunked body, nothing for a declared one, and what was in flight.
      assert.ok(upload.serverRead < 2 * MiB, `${how}: the host read ${upload.serverRead} bytes`);
      assert.equal(upload.ended, 'closed by the server', how);
    }
  });

  test('a chunked body is cut at the limit: 413 while the client is still sending', async () => {
    const answer = await flood(host, '/api/echo', { capBytes: 256 * MiB });
    assert.equal(answer.status, 413);
    assert.ok(
      answer.written < 32 * MiB,
      `the host let ${answer.written} bytes in before answering (limit 1 MiB)`,
    );
    const durable = await flood(host, '/runtime/webhooks/durabletask/orchestrators/echo', {
      capBytes: 256 * MiB,
    });
    assert.equal(durable.status, 413, 'the durable API has the same limit');
    assert.ok(durable.written < 32 * MiB);
  });

  test('--max-request-body-bytes (startHost maxRequestBodyBytes) sets the limit too', async () => {
    const small = await startFixtureHost({ maxRequestBodyBytes: 1000 });
    try {
      assert.equal(
        (await call(`${small.url}/api/echo`, { method: 'POST', body: Buffer.alloc(1000) })).status,
        200,
      );
      assert.equal(
        (await call(`${small.url}/api/echo`, { method: 'POST', body: Buffer.alloc(1001) })).status,
        413,
      );
    } finally {
      await small.stop();
    }
  });

  test('many refused uploads in a row (declared and chunked, at once) leave the host running', async () => {
    // A refused request's socket was dropped a second later through req.socket, which is null
    // by then: the timer threw and the whole host exited.
    for (let round = 0; round < 20; round++) {
      const answers = await Promise.all([
        flood(host, '/api/echo', { capBytes: 8 * MiB }),
        flood(host, '/api/echo', { capBytes: 64 * 1024, contentLength: 200 * MiB, timeoutMs: 5000 }),
        flood(host, '/runtime/webhooks/durabletask/orchestrators/echo', { capBytes: 8 * MiB }),
      ]);
      assert.deepEqual(
        answers.map((a) => a.status),
        [413, 413, 413],
      );
      // The scenario: rounds 60 ms apart, so new uploads arrive while earlier drops are pending.
      // eslint-disable-next-line no-restricted-syntax -- pacing the load, not waiting for an outcome
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    // Every refused upload's connection drop (a second after its 413) has run, and the host lives.
    await eventually(
      'every refused upload closed',
      async () => (await call(`${host.url}/admin/host/status`)).body?.uploadsClosing,
      (closing) => closing === 0,
    );
    assert.equal(host.process.exitCode, null, `the host is still running:\n${host.output().slice(-2000)}`);
    assert.equal((await call(`${host.url}/admin/host/status`)).status, 200);
  });

  test('a body at the limit still passes, one byte more does not', async () => {
    const exact = await call(`${host.url}/api/echo`, { method: 'POST', body: Buffer.alloc(MiB, 1) });
    assert.equal(exact.status, 200);
    assert.equal(exact.headers.get('x-bytes'), String(MiB));
    const over = await call(`${host.url}/api/echo`, { method: 'POST', body: Buffer.alloc(MiB + 1, 1) });
    assert.equal(over.status, 413);
    assert.match(over.text, /larger than/);
  });

  test('the host stays small while refusing large uploads (peak RSS)', async () => {
    // Linux: "5" into clear_refs resets the peak (VmHWM) to the current RSS.
    const pid = host.process.pid!;
    const status = () => readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status())![1]) * 1024;
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const before = kb('VmRSS');
    for (let i = 0; i < 3; i++)
      assert.equal((await flood(host, '/api/echo', { capBytes: 128 * MiB })).status, 413);
    // A host that buffers a refused body whole peaks at 100+ MiB per request; discarded chunks
    // awaiting collection on a loaded machine cost a few tens at most.
    const grown = kb('VmHWM') - before;
    assert.ok(grown < 80 * MiB, `peak RSS grew by ${Math.round(grown / MiB)} MiB`);
  });
});

describe('request body limit in streaming mode (enableHttpStream)', () => {
  let host: RunningHost;
  before(async () => {
    host = await startHost({
      appDir: path.resolve(__dirname, '..', 'fixtures', 'durable-apps', 'streaming'),
      port: 0,
      quiet: true,
      env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(MiB) },
    });
  });
  after(async () => {
    await host?.stop();
  });

  test('a streamed body is cut at the limit too', async () => {
    const answer = await flood(host, '/api/count', { capBytes: 256 * MiB });
    assert.equal(answer.status, 413);
    assert.ok(answer.written < 32 * MiB, `${answer.written} bytes went in`);
    const small = await call(`${host.url}/api/count`, { method: 'POST', body: Buffer.alloc(1000) });
    assert.equal(small.body.bytes, 1000, 'under the limit it still streams through');
  });
});

describe('storage down for a while', () => {
  test('commits that fail while storage is unreachable are retried, and the instance completes once it is back', async () => {
    const location = mkdtempSync(path.join(tmpdir(), 'azurite-outage-'));
    let azurite = await startAzurite({ location });
    const ports = ['blob', 'queue', 'table'].map((kind) =>
      Number(new URL((azurite as unknown as Record<string, string>)[`${kind}Endpoint`]).port),
    );
    const host = await startFixtureHost({
      store: 'azure',
      quiet: false,
      env: { AzureWebJobsStorage: azurite.connectionString },
    });
    try {
      // A 1.5 s timer fires, and a 400 ms activity finishes, while storage is away.
      const { id } = await start(host, 'monitor', { polls: 1, intervalMs: 1500 }, `outage-${Date.now()}`);
      const activities = await start(
        host,
        'restartable',
        { n: 2, waitMs: 100 },
        `outage-activities-${Date.now()}`,
      );
      await waitForInstance(instanceUrl(host, id), (b) => b.runtimeStatus === 'Running');
      await waitForInstance(instanceUrl(host, activities.id), (b) => b.runtimeStatus === 'Running');
      await azurite.stop();
      // Longer than the storage SDK's own retries (about 10 s), so the host's retry is what saves it.
      // eslint-disable-next-line no-restricted-syntax -- the outage's length is the scenario
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      azurite = await startAzurite({
        location,
        blobPort: ports[0],
        queuePort: ports[1],
        tablePort: ports[2],
      });
      const status = await waitForInstance(instanceUrl(host, id), undefined, 60_000);
      assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
      const other = await waitForInstance(instanceUrl(host, activities.id), undefined, 60_000);
      assert.equal(
        other.output,
        4 + 9 + 16 + 25,
        'the result that arrived during the outage was kept (or the activity ran again)',
      );
      assert.match(
        host.output(),
        /episode failed \(attempt \d\); trying again/,
        'the host retried the episode',
      );
    } finally {
      await host.stop();
      await azurite.stop();
      rmSync(location, { recursive: true, force: true });
    }
  });
});

describe('atomic starts and storage commits (Azure store on Azurite)', () => {
  let azurite: RunningAzurite;
  let host: RunningHost;
  before(async () => {
    azurite = await startAzurite();
    host = await startFixtureHost({ store: 'azure', env: { AzureWebJobsStorage: azurite.connectionString } });
  });
  after(async () => {
    await host?.stop();
    await azurite?.stop();
  });

  test('concurrent starts with one instance id make exactly one instance; the others get 409', async () => {
    const id = `same-id-${Date.now()}`;
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(`${host.url}/runtime/webhooks/durabletask/orchestrators/waiter/${id}`, {
          method: 'POST',
          body: JSON.stringify(i),
        }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(
      statuses,
      [202, 409, 409, 409, 409, 409, 409, 409],
      answers.map((a) => a.text).join('\n'),
    );
    const winner = answers.findIndex((a) => a.status === 202);
    const running = await waitForInstance(instanceUrl(host, id), (b) => b.runtimeStatus === 'Running');
    assert.equal(running.input, winner, 'the instance is the one the 202 answered for');
    await call(instanceUrl(host, id, '/raiseEvent/Go'), { method: 'POST', body: '"one"' });
    const done = await waitForInstance(`${instanceUrl(host, id)}?showHistory=true`);
    assert.equal(done.output, 'one');
    assert.equal(
      done.historyEvents.filter((e: { EventType: string }) => e.EventType === 'ExecutionStarted').length,
      1,
      'one execution',
    );
  });

  test('concurrent durable-client starts with one id: one succeeds', async () => {
    const id = `same-client-id-${Date.now()}`;
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        call(`${host.url}/api/orchestrators/echo/${id}`, { method: 'POST', body: '"x"' }),
      ),
    );
    assert.equal(
      answers.filter((a) => a.status === 202).length,
      1,
      answers.map((a) => `${a.status} ${a.text.slice(0, 200)}`).join('\n'),
    );
  });

  test('U+2028/U+2029 in input, activity result and output reach storage and the instance completes', async () => {
    const text = 'line one\u2028line two\u2029end';
    const { id } = await start(host, 'lineSeparators', text, `separators-${Date.now()}`);
    const status = await waitForInstance(instanceUrl(host, id));
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.deepEqual(status.output, { text, greeted: `Hello ${text}\u2029!` });
    assert.equal(status.input, text);
  });

  test('a commit storage refuses for good fails the instance with the reason, never a silent hang', async () => {
    const { id } = await start(host, 'hugeResult', 2_000_000, `huge-${Date.now()}`);
    const status = await waitForInstance(instanceUrl(host, id), undefined, 40_000);
    assert.equal(status.runtimeStatus, 'Failed', JSON.stringify(status).slice(0, 500));
    assert.match(status.output, /could not be saved to storage/);
    assert.match(status.output, /EntityTooLarge|larger than the maximum/i, 'the storage error is named');
    const next = await start(host, 'echo', 'after');
    assert.deepEqual(
      (await waitForInstance(instanceUrl(host, next.id))).output,
      { input: 'after', type: 'string' },
      'the host keeps serving other instances',
    );
  });
});
