// Storage bindings, queue and timer triggers on the Node Functions host, on real Azurite (fixture
// app test/fixtures/durable-apps/bindings), and the loud refusal of what the host does not serve.
// Everything is checked from outside: HTTP to the host, and the storage SDKs against Azurite.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { startAzurite, type RunningAzurite } from '../../emulators/azurite/index.js';
import { startHost, type RunningHost } from '../../emulators/functions-host/index.js';
import { call, instanceUrl, start, waitForInstance } from './helpers.js';
import { eventually } from '../support/eventually.js';

const appDir = path.resolve(__dirname, '..', 'fixtures', 'durable-apps', 'bindings');

let azurite: RunningAzurite;
const hostEnv = () => ({
  AzureWebJobsStorage: azurite.connectionString,
  StorageConnString: azurite.connectionString,
  // The identity form: endpoints only, no key (the host signs for Azurite's dev account).
  IdentityStorage__blobServiceUri: azurite.blobEndpoint,
  IdentityStorage__queueServiceUri: azurite.queueEndpoint,
  IdentityStorage__tableServiceUri: azurite.tableEndpoint,
});
let host: RunningHost;
let blobs: BlobServiceClient;
let queues: QueueServiceClient;
const table = (name: string) =>
  TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });

before(async () => {
  azurite = await startAzurite();
  blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  queues = QueueServiceClient.fromConnectionString(azurite.connectionString);
  host = await startHost({ appDir, port: 0, store: 'azure', quiet: false, env: hostEnv() });
});
after(async () => {
  await host?.stop();
  await azurite?.stop();
});

describe('storage bindings', () => {
  test('a backupSiteContent-like orchestration copies every file into the backups container, byte for byte', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'backup-src-'));
    try {
      const files: Record<string, Buffer> = {
        'index.html': Buffer.from('<h1>hello</h1>'),
        'img/logo.bin': randomBytes(200_000),
        'img/deep/empty.txt': Buffer.alloc(0),
        'data.json': Buffer.from(JSON.stringify({ a: [1, 2, 3] })),
      };
      for (const [name, bytes] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        writeFileSync(path.join(dir, name), bytes);
      }
      const { id } = await start(host, 'backupSiteContent', dir);
      const status = await waitForInstance(instanceUrl(host, id), undefined, 30_000);
      assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
      assert.equal(
        status.output,
        Object.values(files).reduce((sum, b) => sum + b.length, 0),
        'the total of bytes copied',
      );
      const container = blobs.getContainerClient('backups');
      for (const [name, bytes] of Object.entries(files)) {
        const stored = await container.getBlobClient(name).downloadToBuffer();
        assert.ok(stored.equals(bytes), `backups/${name} holds the file's bytes`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('blob output then blob input round-trip 1 MiB of bytes (identity connection form); a missing blob is null', async () => {
    const bytes = randomBytes(1024 * 1024);
    const put = await call(`${host.url}/api/blobs/round-trip.bin`, { method: 'PUT', body: bytes });
    assert.equal(put.status, 201, put.text);
    const stored = await blobs
      .getContainerClient('uploads')
      .getBlobClient('round-trip.bin')
      .downloadToBuffer();
    assert.ok(stored.equals(bytes), 'the output binding wrote the bytes');
    const got = await fetch(`${host.url}/api/blobs/round-trip.bin`);
    assert.equal(got.status, 200);
    assert.ok(Buffer.from(await got.arrayBuffer()).equals(bytes), 'the input binding read them back');
    assert.equal((await call(`${host.url}/api/blobs/never-written.bin`)).status, 404);
  });

  test('queue output → queue trigger → table output; table input reads single rows and lists', async () => {
    const run = Date.now().toString(36);
    const items = Array.from({ length: 5 }, (_, i) => ({ id: `${run}-${i}`, value: i * 10 }));
    assert.equal(
      (await call(`${host.url}/api/enqueue`, { method: 'POST', body: JSON.stringify(items) })).status,
      202,
    );
    for (const item of items) {
      const row = await eventually(`processed row ${item.id}`, async () => {
        const answer = await call(`${host.url}/api/processed/${item.id}`);
        return answer.status === 200 ? answer.body : undefined;
      });
      assert.equal(row.PartitionKey, 'items');
      assert.equal(row.RowKey, item.id);
      assert.equal(row.value, item.value);
      assert.equal(row.dequeueCount, 1, 'trigger metadata reaches the function');
    }
    const listed = await call(`${host.url}/api/processed`);
    assert.ok(
      items.every((item) => listed.body.some((r: { RowKey: string }) => r.RowKey === item.id)),
      'the list holds every row',
    );
    assert.equal(
      (await call(`${host.url}/api/processed/${run}-nothing`)).status,
      404,
      'a missing row is null',
    );
  });

  test('queue trigger: a message that keeps failing goes to <queue>-poison after maxDequeueCount attempts', async () => {
    const id = `poison-${Date.now().toString(36)}`;
    await call(`${host.url}/api/enqueue`, { method: 'POST', body: JSON.stringify({ id, fail: true }) });
    const poisoned = await eventually('the poison message', async () => {
      const peeked = await queues
        .getQueueClient('work-items-poison')
        .peekMessages({ numberOfMessages: 32 })
        .catch(() => undefined);
      return peeked?.peekedMessageItems
        .map((m) => Buffer.from(m.messageText, 'base64').toString('utf8'))
        .find((text) => text.includes(id));
    });
    assert.deepEqual(JSON.parse(poisoned), { id, fail: true });
    // The log reaches this process through a pipe, a little after the queue write.
    await eventually('the poison log line', async () =>
      host.output().includes(`moved to queue 'work-items-poison'`) ? true : undefined,
    );
    const attempts = host
      .output()
      .split('\n')
      .filter((line) => line.includes(`work item ${id} fails on purpose`)).length;
    assert.ok(attempts >= 3, `host.json maxDequeueCount 3: three failed runs logged, saw ${attempts}`);
    assert.match(
      host.output(),
      new RegExp(`failed 3 times in 'processWorkItem'; moved to queue 'work-items-poison'`),
    );
  });

  test('queue output writes base64 messages, as the Functions queue extension does', async () => {
    assert.equal(
      (await call(`${host.url}/api/enqueue-raw`, { method: 'POST', body: 'plain text ✓' })).status,
      204,
    );
    const peeked = await eventually('the raw message', async () => {
      const messages = (
        await queues
          .getQueueClient('raw-out')
          .peekMessages({ numberOfMessages: 1 })
          .catch(() => undefined)
      )?.peekedMessageItems;
      return messages?.length ? messages[0].messageText : undefined;
    });
    assert.equal(Buffer.from(peeked, 'base64').toString('utf8'), 'plain text ✓');
  });
});

describe('timer triggers', () => {
  test('a six-field NCRONTAB schedule (every second, from an app setting) fires repeatedly; runOnStartup ran at start', async () => {
    const rows = await eventually(
      'three ticks',
      async () => {
        const found: { rowKey: string; isPastDue: boolean; next: string }[] = [];
        for await (const row of table('ticks').listEntities<{ isPastDue: boolean; next: string }>({
          queryOptions: { filter: "PartitionKey eq 'everySecond'" },
        }))
          found.push(row as never);
        return found.length >= 3 ? found : undefined;
      },
      { timeoutMs: 15_000 },
    );
    const times = rows.map((r) => Date.parse(r.rowKey)).sort((a, b) => a - b);
    // One run per occurrence: each tick in its own second (a loaded machine may start one late).
    const seconds = times.map((t) => Math.floor(t / 1000));
    assert.equal(
      new Set(seconds).size,
      seconds.length,
      `one tick per second: ${times.map((t) => new Date(t).toISOString()).join(', ')}`,
    );
    for (const time of times)
      assert.ok(
        time % 1000 < 800,
        `each tick starts right after a whole second (${new Date(time).toISOString()})`,
      );
    assert.equal(rows[0].isPastDue, false);
    assert.ok(
      Date.parse(rows[0].next) > Date.parse(rows[0].rowKey),
      'scheduleStatus.next is the following occurrence',
    );

    const startup: { next: string }[] = [];
    for await (const row of table('ticks').listEntities<{ next: string }>({
      queryOptions: { filter: "PartitionKey eq 'onStartup'" },
    }))
      startup.push(row);
    assert.equal(startup.length, 1, 'the yearly timer ran once, at start-up');
    assert.match(startup[0].next, /-01-01T00:00:00/, 'its next occurrence is New Year (0 0 0 1 1 *)');
  });

  test('the admin API runs a timer function now (POST /admin/functions/{name})', async () => {
    const before = new Date().toISOString();
    assert.equal(
      (await call(`${host.url}/admin/functions/onStartup`, { method: 'POST', body: '{}' })).status,
      202,
    );
    const rows: string[] = [];
    for await (const row of table('ticks').listEntities({
      queryOptions: { filter: `PartitionKey eq 'onStartup' and RowKey ge '${before}'` },
    }))
      rows.push(String(row.rowKey));
    assert.equal(rows.length, 1);
  });
});

describe('blob trigger', () => {
  const blobText = async (container: string, name: string) => {
    try {
      return (await blobs.getContainerClient(container).getBlobClient(name).downloadToBuffer()).toString(
        'utf8',
      );
    } catch {
      return undefined;
    }
  };

  /** Blob trigger scans of onUpload the host has finished (GET /admin/host/status). */
  const scans = async (of: RunningHost): Promise<number> =>
    (await call(`${of.url}/admin/host/status`)).body.blobTriggerScans.onUpload ?? 0;
  /** Waits until two more scans have finished: at least one whole scan started after now. */
  const aWholeScanLater = async (of: RunningHost) => {
    const now = await scans(of);
    await eventually(
      'a whole blob trigger scan after now',
      () => scans(of),
      (n) => n >= now + 2,
    );
  };

  test('a new blob matching incoming/{name}.txt runs the function once; a changed blob runs it again; others do not', async () => {
    const incoming = blobs.getContainerClient('incoming');
    await incoming.createIfNotExists();
    const name = `doc-${Date.now().toString(36)}`;
    await incoming.getBlockBlobClient(`${name}.txt`).uploadData(Buffer.from('hello blob'));
    await incoming.getBlockBlobClient(`${name}.bin`).uploadData(Buffer.from('not matched'));
    assert.equal(
      await eventually('the processed blob', () => blobText('processed', `${name}.txt`)),
      `HELLO BLOB (incoming/${name}.txt)`,
    );
    const runs = () =>
      host
        .output()
        .split('\n')
        .filter((l) => l.includes("Executing 'Functions.onUpload'")).length;
    const afterFirst = runs();
    await aWholeScanLater(host);
    assert.equal(runs(), afterFirst, 'a blob with a receipt is not run again on the next scans');
    await incoming.getBlockBlobClient(`${name}.txt`).uploadData(Buffer.from('changed'));
    assert.equal(
      await eventually('the reprocessed blob', async () => {
        const text = await blobText('processed', `${name}.txt`);
        return text?.startsWith('CHANGED') ? text : undefined;
      }),
      `CHANGED (incoming/${name}.txt)`,
    );
    assert.equal(await blobText('processed', `${name}.bin`), undefined);
  });

  // Last among the tests that look at storage: the second host runs the same timers.
  test('receipts are in storage: a second host on the same account runs none of the blobs already processed', async () => {
    const second = await startHost({
      appDir,
      port: 0,
      store: 'memory',
      quiet: false,
      env: { ...hostEnv(), AzureWebJobsStorage: azurite.connectionString },
    });
    try {
      await eventually(
        'its first whole blob trigger scan',
        () => scans(second),
        (n) => n >= 1,
      );
      assert.doesNotMatch(second.output(), /Executing 'Functions\.onUpload'/);
    } finally {
      await second.stop();
    }
  });

  test('a blob whose function keeps failing goes to webjobs-blobtrigger-poison after maxDequeueCount runs', async () => {
    const name = `bad-${Date.now().toString(36)}`;
    await blobs
      .getContainerClient('incoming')
      .getBlockBlobClient(`${name}.txt`)
      .uploadData(Buffer.from('fail'));
    const message = await eventually(
      'the poison message',
      async () => {
        const peeked = await queues
          .getQueueClient('webjobs-blobtrigger-poison')
          .peekMessages({ numberOfMessages: 32 })
          .catch(() => undefined);
        return peeked?.peekedMessageItems
          .map(
            (m) =>
              JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as {
                BlobName: string;
                FunctionId: string;
              },
          )
          .find((m) => m.BlobName === `${name}.txt`);
      },
      { timeoutMs: 20_000 },
    );
    assert.equal(message.FunctionId, 'onUpload');
    const failures = host
      .output()
      .split('\n')
      .filter((l) => l.includes(`blob ${name} fails on purpose`)).length;
    assert.equal(failures, 3, 'host.json maxDequeueCount 3');
  });
});

describe('what the host does not serve is refused loudly', () => {
  test('each unsupported function is listed at start-up with the reason', () => {
    const output = host.output();
    for (const name of ['sendSms', 'saveToCosmos', 'fromServiceBus', 'badSchedule', 'missingConnection']) {
      assert.match(
        output,
        new RegExp(`^ {8}${name}: .*\\(not supported by this host: see below\\)$`, 'm'),
        name,
      );
      assert.match(output, new RegExp(`Error: The function '${name}' is not supported by this host`), name);
    }
    assert.match(output, /output binding '\w+' of type 'twilioSms'/);
    assert.match(output, /trigger type 'serviceBusTrigger'/);
    assert.match(output, /'every now and then' is not an NCRONTAB expression/);
    assert.match(output, /The storage connection 'NoSuchSetting' is not set/);
    for (const name of ['backupSiteContent', 'copyFileToBlob', 'putBlob', 'processWorkItem', 'everySecond']) {
      assert.doesNotMatch(output, new RegExp(`^ {8}${name}: .*not supported`, 'm'), `${name} is served`);
    }
  });

  test('invoking one fails with that message: an HTTP function, an activity, a non-HTTP trigger', async () => {
    const http = await call(`${host.url}/api/cosmos`, { method: 'POST', body: '{}' });
    assert.equal(http.status, 500);
    assert.match(
      http.body.message,
      /'saveToCosmos' is not supported by this host.*: output binding '\w+' of type 'cosmosDB'/,
    );

    const { id } = await start(host, 'notify');
    const status = await waitForInstance(instanceUrl(host, id));
    assert.equal(status.runtimeStatus, 'Failed');
    assert.match(status.output, /'sendSms' is not supported by this host.*twilioSms/);

    const admin = await call(`${host.url}/admin/functions/fromServiceBus`, {
      method: 'POST',
      body: '{"input":"x"}',
    });
    assert.equal(admin.status, 501);
    assert.match(admin.body.message, /serviceBusTrigger/);
  });
});
