// Durable entities on the Node Functions host, driven by the real durable-functions SDK
// (fixture app test/fixtures/durable-apps/entities): calls and signals from orchestrations,
// the client's signalEntity/readEntityState, the entity management routes, ordering and
// one-at-a-time execution, critical sections, state after SIGKILL and restart, and the
// stored histories replayed through the SDK. Real HTTP to a real host child process.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAzurite, type RunningAzurite } from '../../emulators/azurite/index.js';
import { startHost, type RunningHost, type StartHostOptions } from '../../emulators/functions-host/index.js';
import { call, instanceUrl, start, waitForInstance } from './helpers.js';
import { assertReplaysCleanly } from './replay.js';
import { eventually } from '../support/eventually.js';

const appDir = path.resolve(__dirname, '..', 'fixtures', 'durable-apps', 'entities');
const { orchestrators } = require('../fixtures/durable-apps/entities/lib/orchestrators.js') as {
  orchestrators: Record<string, unknown>;
};

function startEntitiesHost(options: Partial<StartHostOptions> = {}): Promise<RunningHost> {
  return startHost({ appDir, port: 0, store: 'memory', quiet: true, ...options });
}

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const entityUrl = (host: RunningHost, name: string, key: string, query = '') =>
  `${host.url}/runtime/webhooks/durabletask/entities/${name}/${encodeURIComponent(key)}${query}`;

/** Polls an entity's state through the management route until `until` holds. */
async function entityState(
  host: RunningHost,
  name: string,
  key: string,
  until: (state: any) => boolean,
  query = '',
): Promise<any> {
  const answer = await eventually(
    `entity ${name}/${key} in the expected state`,
    () => call(entityUrl(host, name, key, query)),
    (last) => last.status === 200 && until(last.body),
    { timeoutMs: 15_000, everyMs: 25 },
  );
  return answer.body;
}

/** This host's view of an entity's queue: messages not yet run, and the lock holder. */
async function backlogOf(
  host: RunningHost,
  name: string,
  key: string,
): Promise<{ backlog: number; lockedBy: string | null }> {
  const answer = await call(
    `${host.url}/admin/host/entities/${encodeURIComponent(name)}/${encodeURIComponent(key)}`,
  );
  assert.equal(answer.status, 200, answer.text);
  return answer.body;
}

/** Waits until nothing is left for the entity to run: no operation can then run late. */
function drained(host: RunningHost, name: string, key: string) {
  return eventually(
    `${name}/${key} with nothing left to run`,
    () => backlogOf(host, name, key),
    (b) => b.backlog === 0,
  );
}

async function runToEnd(host: RunningHost, name: string, input: unknown, id?: string): Promise<any> {
  const started = await start(host, name, input, id);
  await waitForInstance(instanceUrl(host, started.id));
  return (await call(instanceUrl(host, started.id, '?showHistory=true&showHistoryOutput=true'))).body;
}

describe('entities (memory store)', () => {
  let host: RunningHost;
  before(async () => {
    host = await startEntitiesHost();
  });
  after(async () => {
    await host?.stop();
  });

  test('a counter reaches 1 through an orchestration (callEntity) and through the entity management route', async () => {
    const viaOrchestration = `orch-${unique()}`;
    const status = await runToEnd(host, 'counterOrchestration', viaOrchestration);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.equal(status.output, 1);
    assert.equal(
      (await call(entityUrl(host, 'counter', viaOrchestration))).body,
      1,
      'GET entities/counter/{key} reads the state',
    );

    const viaRoute = `route-${unique()}`;
    assert.equal(
      (await call(entityUrl(host, 'counter', viaRoute))).status,
      404,
      'no state before the first operation',
    );
    const signalled = await call(entityUrl(host, 'counter', viaRoute, '?op=add'), {
      method: 'POST',
      body: '1',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(signalled.status, 202, signalled.text);
    assert.equal(await entityState(host, 'counter', viaRoute, (s) => s === 1), 1);
  });

  test('the durable client: signalEntity and readEntityState through the rpc endpoint', async () => {
    const key = `client-${unique()}`;
    assert.deepEqual((await call(`${host.url}/api/entity/counter/${key}`)).body, {
      entityExists: false,
      entityState: null,
    });
    assert.equal(
      (await call(`${host.url}/api/entity/counter/${key}?op=add`, { method: 'POST', body: '41' })).status,
      202,
    );
    assert.equal(
      (await call(`${host.url}/api/entity/counter/${key}?op=add`, { method: 'POST', body: '1' })).status,
      202,
    );
    await entityState(host, 'counter', key, (s) => s === 42);
    assert.deepEqual((await call(`${host.url}/api/entity/counter/${key}`)).body, {
      entityExists: true,
      entityState: 42,
    });
  });

  test('operations on one entity run one at a time, in the order they arrived', async () => {
    const key = `order-${unique()}`;
    for (let i = 0; i < 40; i++) {
      const answer = await call(entityUrl(host, 'log', key, '?op=slowAppend'), {
        method: 'POST',
        body: String(i),
      });
      assert.equal(answer.status, 202);
    }
    const state = await entityState(host, 'log', key, (s) => s?.items?.length === 40);
    assert.deepEqual(
      state.items,
      Array.from({ length: 40 }, (_, i) => i),
      'arrival order',
    );
    assert.equal(state.maxActive, 1, 'never two operations of one entity at once');
  });

  test('signal vs call: signals do not wait, a later call sees them in order', async () => {
    const key = `signals-${unique()}`;
    const status = await runToEnd(host, 'signalThenCall', { key, items: ['a', 'b', 'c'] });
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.deepEqual(status.output, ['a', 'b', 'c']);
    const sent = status.historyEvents.filter((e: { EventType: string }) => e.EventType === 'EventSent');
    const raised = status.historyEvents.filter((e: { EventType: string }) => e.EventType === 'EventRaised');
    assert.equal(sent.length, 4, 'three signals and one call were sent');
    assert.equal(raised.length, 1, 'only the call is answered');
  });

  test('a failing operation reaches the orchestration as an error it can catch; the state stays', async () => {
    const key = `fail-${unique()}`;
    await call(entityUrl(host, 'counter', key, '?op=add'), { method: 'POST', body: '5' });
    await entityState(host, 'counter', key, (s) => s === 5);
    const status = await runToEnd(host, 'callFailure', key);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.match(status.output, /^caught: .*'fail'.*@counter@/);
    assert.equal((await call(entityUrl(host, 'counter', key))).body, 5);
  });

  test('calls fanned out to many entities with Task.all; a signal from the last episode is still delivered', async () => {
    const prefix = `fan-${unique()}`;
    const status = await runToEnd(host, 'fanOutCalls', { prefix, n: 10 });
    assert.deepEqual(
      status.output,
      Array.from({ length: 10 }, (_, i) => i),
    );
    await entityState(host, 'counter', `${prefix}-done`, (s) => s === 1);
  });

  test('an entity operation can signal another entity', async () => {
    const [a, b] = [`fwd-a-${unique()}`, `fwd-b-${unique()}`];
    await call(entityUrl(host, 'counter', a, '?op=add'), { method: 'POST', body: '7' });
    await call(entityUrl(host, 'counter', a, '?op=forward'), { method: 'POST', body: JSON.stringify(b) });
    assert.equal(await entityState(host, 'counter', b, (s) => s === 7), 7);
  });

  test('a critical section (context.df.lock) holds other operations until it is released', async () => {
    const key = `locked-${unique()}`;
    await call(entityUrl(host, 'account', key, '?op=add'), { method: 'POST', body: '10' });
    await entityState(host, 'account', key, (s) => s === 10);
    const { id } = await start(host, 'lockHolder', key);
    // Locked and read once (two answers: the lock, then the get), now waiting for Release.
    await waitForInstance(
      instanceUrl(host, id, '?showHistory=true'),
      (b) =>
        b.historyEvents?.filter((e: { EventType: string }) => e.EventType === 'EventRaised').length === 2,
    );
    assert.equal(
      (await call(entityUrl(host, 'account', key, '?op=add'), { method: 'POST', body: '5' })).status,
      202,
    );
    const held = await eventually(
      'the deposit at the locked entity',
      () => backlogOf(host, 'account', key),
      (b) => b.backlog === 1,
    );
    assert.equal(held.lockedBy, id, 'the orchestration holds the lock');
    assert.equal(
      (await call(entityUrl(host, 'account', key))).body,
      10,
      'the deposit waits while the orchestration holds the lock',
    );
    await call(instanceUrl(host, id, '/raiseEvent/Release'), { method: 'POST', body: 'null' });
    const done = await waitForInstance(instanceUrl(host, id));
    assert.equal(done.output, 10);
    assert.equal(await entityState(host, 'account', key, (s) => s === 15), 15, 'released: the deposit runs');
  });

  test('a transfer between two locked accounts', async () => {
    const [from, to] = [`from-${unique()}`, `to-${unique()}`];
    await call(entityUrl(host, 'account', from, '?op=add'), { method: 'POST', body: '100' });
    await entityState(host, 'account', from, (s) => s === 100);
    const status = await runToEnd(host, 'transfer', { from, to, amount: 30 });
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.deepEqual(status.output, {
      ok: true,
      owned: [`account/${from}`, `account/${to}`].sort(),
      from: 70,
    });
    assert.equal((await call(entityUrl(host, 'account', to))).body, 30);
    assert.equal((await call(entityUrl(host, 'account', from))).body, 70);
  });

  test('an orchestration that ends inside a critical section releases its locks', async () => {
    const key = `ended-${unique()}`;
    const status = await runToEnd(host, 'lockAndEnd', key);
    assert.equal(status.runtimeStatus, 'Completed');
    await call(entityUrl(host, 'account', key, '?op=add'), { method: 'POST', body: '1' });
    assert.equal(await entityState(host, 'account', key, (s) => s === 1), 1);
  });

  test('entity listing: GET entities/ and entities/{name}, with fetchState', async () => {
    const key = `listed-${unique()}`;
    await call(entityUrl(host, 'counter', key, '?op=add'), { method: 'POST', body: '3' });
    await entityState(host, 'counter', key, (s) => s === 3);
    const byName = await call(`${host.url}/runtime/webhooks/durabletask/entities/counter?fetchState=true`);
    assert.equal(byName.status, 200);
    const entry = byName.body.find((e: { entityId: { key: string } }) => e.entityId.key === key);
    assert.deepEqual(entry?.entityId, { name: 'counter', key });
    assert.equal(entry.state, 3);
    assert.ok(byName.body.every((e: { entityId: { name: string } }) => e.entityId.name === 'counter'));
    const all = await call(`${host.url}/runtime/webhooks/durabletask/entities/`);
    assert.ok(
      all.body.some((e: { entityId: { name: string } }) => e.entityId.name === 'log'),
      'all entities are listed',
    );
    assert.equal(all.body[0].state, undefined, 'no state without fetchState=true');
  });

  test('DELETE entities/{name}/{key} signals the delete operation; the entity then no longer exists', async () => {
    const key = `deleted-${unique()}`;
    await call(entityUrl(host, 'counter', key, '?op=add'), { method: 'POST', body: '4' });
    await entityState(host, 'counter', key, (s) => s === 4);
    assert.equal((await call(entityUrl(host, 'counter', key), { method: 'DELETE' })).status, 202);
    await eventually(
      'the entity gone after its delete operation (destructOnExit)',
      async () => (await call(entityUrl(host, 'counter', key))).status,
      (status) => status === 404,
    );
  });

  test('refusals: signalling a function that is no entity, and instance ids reserved for entities', async () => {
    const answer = await call(entityUrl(host, 'nosuch', 'k', '?op=x'), { method: 'POST', body: '1' });
    assert.equal(answer.status, 404);
    assert.match(answer.body.message, /No entity function named 'nosuch'/);
    const reserved = await call(
      `${host.url}/runtime/webhooks/durabletask/orchestrators/counterOrchestration/${encodeURIComponent('@counter@x')}`,
      { method: 'POST', body: '"x"' },
    );
    assert.equal(reserved.status, 400);
  });

  test("with --require-keys the entity routes and the client's entity calls need/carry the system key", async () => {
    const keyed = await startEntitiesHost({ requireKeys: true, quiet: false });
    try {
      const system = /durabletask_extension=(\S+)$/m.exec(keyed.output())![1];
      assert.equal(
        (await call(entityUrl(keyed, 'counter', 'k', '?op=add'), { method: 'POST', body: '1' })).status,
        401,
      );
      assert.equal(
        (await call(`${keyed.url}/durabletask/entities/counter/k?op=add`, { method: 'POST', body: '1' }))
          .status,
        401,
        'rpc without the key',
      );
      assert.equal(
        (await call(`${keyed.url}/api/entity/counter/k?op=add`, { method: 'POST', body: '2' })).status,
        202,
        'the client signals with the key from its binding',
      );
      assert.equal(
        await entityState(keyed, 'counter', 'k', (s) => s === 2, `?code=${encodeURIComponent(system)}`),
        2,
      );
    } finally {
      await keyed.stop();
    }
  });
});

describe('entities (Azure store on Azurite)', () => {
  let azurite: RunningAzurite;
  before(async () => {
    azurite = await startAzurite();
  });
  after(async () => {
    await azurite?.stop();
  });
  const env = () => ({ AzureWebJobsStorage: azurite.connectionString });

  test('entity orchestration histories replay through the SDK with no new action', async () => {
    const host = await startEntitiesHost({ store: 'azure', env: env() });
    try {
      const key = unique();
      await call(entityUrl(host, 'account', `r-from-${key}`, '?op=add'), { method: 'POST', body: '50' });
      await entityState(host, 'account', `r-from-${key}`, (s) => s === 50);
      const cases: [string, unknown][] = [
        ['counterOrchestration', `r-${key}`],
        ['signalThenCall', { key: `r-${key}`, items: [1, 2, 3] }],
        ['callFailure', `r-${key}`],
        ['fanOutCalls', { prefix: `r-${key}`, n: 5 }],
        ['transfer', { from: `r-from-${key}`, to: `r-to-${key}`, amount: 20 }],
        ['lockAndEnd', `r-${key}`],
      ];
      for (const [name, input] of cases) {
        const { id } = await start(host, name, input, `replay-${name}-${key}`);
        const status = await waitForInstance(instanceUrl(host, id));
        assert.equal(status.runtimeStatus, 'Completed', `${name}: ${JSON.stringify(status)}`);
        const events = await assertReplaysCleanly({
          connectionString: azurite.connectionString,
          hub: 'Entities',
          orchestrator: orchestrators[name],
          instanceId: id,
          status,
        });
        assert.ok(
          events.some((e) => e.EventType === 14),
          `${name}: EventSent events are stored`,
        );
      }
    } finally {
      await host.stop();
    }
  });

  test('a state storage refuses (over 1 MB) fails the calls with the reason; the entity keeps its state and goes on', async () => {
    const host = await startEntitiesHost({ store: 'azure', env: env() });
    try {
      const key = `bloat-${unique()}`;
      await call(entityUrl(host, 'log', key, '?op=append'), { method: 'POST', body: '"first"' });
      await entityState(host, 'log', key, (s) => s?.items?.length === 1);
      const { id } = await start(host, 'callCatching', { entity: 'log', key, op: 'bloat', arg: 2_000_000 });
      const status = await waitForInstance(instanceUrl(host, id), undefined, 30_000);
      assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status).slice(0, 400));
      assert.match(
        status.output.error,
        /Operation 'bloat' on entity '@log@.*' failed: storage refused the new state/,
      );
      assert.deepEqual(
        (await call(entityUrl(host, 'log', key))).body.items,
        ['first'],
        'the previous state stays',
      );
      await call(entityUrl(host, 'log', key, '?op=append'), { method: 'POST', body: '"second"' });
      assert.deepEqual(
        (await entityState(host, 'log', key, (s) => s?.items?.length === 2)).items,
        ['first', 'second'],
        'and the entity goes on',
      );
    } finally {
      await host.stop();
    }
  });

  test('1,000 concurrent signals to a fresh entity each run exactly once, though its first load races their writes', async () => {
    const host = await startEntitiesHost({ store: 'azure', env: env() });
    try {
      const key = `burst-${unique()}`;
      let next = 0;
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          while (next < 1000) {
            next++;
            assert.equal(
              (await call(entityUrl(host, 'counter', key, '?op=add'), { method: 'POST', body: '1' })).status,
              202,
            );
          }
        }),
      );
      assert.equal(
        await entityState(host, 'counter', key, (s) => s >= 1000),
        1000,
        'each signal ran once: none lost, none run twice',
      );
      await drained(host, 'counter', key);
      assert.equal((await call(entityUrl(host, 'counter', key))).body, 1000, 'and no late duplicate');
    } finally {
      await host.stop();
    }
  });

  test('entity state, undelivered operations and held locks survive SIGKILL and restart', async () => {
    let host = await startEntitiesHost({ store: 'azure', env: env() });
    const key = `crash-${unique()}`;
    try {
      // A lock held by a waiting orchestration, and a burst of signals, when the host dies.
      await call(entityUrl(host, 'account', key, '?op=add'), { method: 'POST', body: '10' });
      await entityState(host, 'account', key, (s) => s === 10);
      const { id } = await start(host, 'lockHolder', key, `holder-${key}`);
      await waitForInstance(
        instanceUrl(host, id, '?showHistory=true'),
        (b) =>
          b.historyEvents?.filter((e: { EventType: string }) => e.EventType === 'EventRaised').length === 2,
      );
      for (let i = 0; i < 60; i++)
        assert.equal(
          (await call(entityUrl(host, 'counter', key, '?op=add'), { method: 'POST', body: '1' })).status,
          202,
        );
      assert.equal(
        (await call(entityUrl(host, 'account', key, '?op=add'), { method: 'POST', body: '5' })).status,
        202,
      );
      await host.kill('SIGKILL');

      host = await startEntitiesHost({ store: 'azure', env: env() });
      assert.equal(
        await entityState(host, 'counter', key, (s) => s === 60),
        60,
        'every signal accepted before the crash is applied exactly once',
      );
      await drained(host, 'counter', key);
      assert.equal((await call(entityUrl(host, 'counter', key))).body, 60, 'and not again');
      assert.equal(
        (await call(entityUrl(host, 'account', key))).body,
        10,
        'the lock survived the crash: the deposit still waits',
      );
      await call(instanceUrl(host, id, '/raiseEvent/Release'), { method: 'POST', body: 'null' });
      assert.equal((await waitForInstance(instanceUrl(host, id))).output, 10);
      assert.equal(await entityState(host, 'account', key, (s) => s === 15), 15);
    } finally {
      await host.stop();
    }
  });
});
