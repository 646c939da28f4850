// The Durable Functions HTTP management API of the Node Functions host
// (/runtime/webhooks/durabletask): the status code, headers and body of every route,
// including the refusals, over real HTTP to a real host child process (memory store).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { RunningHost } from '../../emulators/functions-host/index.js';
import { call, instanceUrl, start, startFixtureHost, waitForInstance, type Answer } from './helpers.js';
import { eventually } from '../support/eventually.js';

let host: RunningHost;
before(async () => {
  host = await startFixtureHost();
});
after(async () => {
  await host?.stop();
});

/** Unique per run, so ids never collide with another test's instances. */
const prefix = `mgmt-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const api = (suffix: string) => `${host.url}/runtime/webhooks/durabletask${suffix}`;
const post = (url: string, body = '') =>
  call(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
const isRunning = (b: any) => b?.runtimeStatus === 'Running';

const urlNames = [
  'statusQueryGetUri',
  'sendEventPostUri',
  'terminatePostUri',
  'purgeHistoryDeleteUri',
  'restartPostUri',
  'suspendPostUri',
  'resumePostUri',
  'rewindPostUri',
];
const statusFields = [
  'name',
  'instanceId',
  'runtimeStatus',
  'input',
  'customStatus',
  'output',
  'createdTime',
  'lastUpdatedTime',
];

function assertProblem(answer: Answer, status: number, pattern?: RegExp): void {
  assert.equal(answer.status, status, answer.text);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(typeof answer.body?.message, 'string', `a JSON body with a message: ${answer.text}`);
  if (pattern) assert.match(answer.body.message, pattern);
}

/** Every instance id a listing returns, following x-ms-continuation-token to the end. */
async function listAll(query: string, top: number): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  let token: string | null = null;
  do {
    const answer: Answer = await call(
      api(`/instances/?${query}&top=${top}`),
      token ? { headers: { 'x-ms-continuation-token': token } } : {},
    );
    assert.equal(answer.status, 200, answer.text);
    assert.ok(Array.isArray(answer.body), answer.text);
    assert.ok(answer.body.length <= top, `a page of ${answer.body.length} > top=${top}`);
    pages.push(answer.body.length);
    ids.push(...answer.body.map((s: { instanceId: string }) => s.instanceId));
    token = answer.headers.get('x-ms-continuation-token');
    assert.ok(pages.length < 1000, 'the continuation tokens never end');
  } while (token);
  return { ids, pages };
}

describe('POST orchestrators/{functionName}[/{instanceId}]', () => {
  test('202 with the id, the eight management URLs, Location and Retry-After 10', async () => {
    const answer = await post(api('/orchestrators/echo'), '{"n":1}');
    assert.equal(answer.status, 202, answer.text);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    const id = answer.body.id;
    assert.equal(typeof id, 'string');
    assert.ok(id.length > 0);
    assert.deepEqual(Object.keys(answer.body).sort(), ['id', ...urlNames].sort());
    const instance = api(`/instances/${id}`);
    const query = 'taskHub=Conformance&connection=Storage';
    assert.equal(answer.body.statusQueryGetUri, `${instance}?${query}`);
    assert.equal(answer.body.purgeHistoryDeleteUri, `${instance}?${query}`);
    assert.equal(answer.body.sendEventPostUri, `${instance}/raiseEvent/{eventName}?${query}`);
    assert.equal(answer.body.terminatePostUri, `${instance}/terminate?reason={text}&${query}`);
    assert.equal(answer.body.rewindPostUri, `${instance}/rewind?reason={text}&${query}`);
    assert.equal(answer.body.restartPostUri, `${instance}/restart?${query}`);
    assert.equal(answer.body.suspendPostUri, `${instance}/suspend?reason={text}&${query}`);
    assert.equal(answer.body.resumePostUri, `${instance}/resume?reason={text}&${query}`);
    assert.equal(answer.headers.get('location'), answer.body.statusQueryGetUri);
    assert.equal(answer.headers.get('retry-after'), '10');
    const done = await waitForInstance(answer.body.statusQueryGetUri);
    assert.equal(done.instanceId, id);
    assert.deepEqual(done.output, { input: { n: 1 }, type: 'object' }, 'the body is the input');
  });

  test('an explicit instance id is used as given (and encoded in the URLs)', async () => {
    const id = `${prefix} explicit ä+1`;
    const answer = await post(api(`/orchestrators/echo/${encodeURIComponent(id)}`), '"named"');
    assert.equal(answer.status, 202, answer.text);
    assert.equal(answer.body.id, id);
    assert.ok(
      answer.body.statusQueryGetUri.startsWith(api(`/instances/${encodeURIComponent(id)}?`)),
      answer.body.statusQueryGetUri,
    );
    const done = await waitForInstance(answer.body.statusQueryGetUri);
    assert.equal(done.instanceId, id);
    assert.deepEqual(done.output, { input: 'named', type: 'string' });
  });

  test('the same id: 409 while it runs, 202 (a fresh start) once it finished', async () => {
    const id = `${prefix}-dup`;
    const first = await start(host, 'waiter', 'first input', id);
    await waitForInstance(first.statusQueryGetUri, isRunning);
    const again = await post(api(`/orchestrators/waiter/${id}`), '"second input"');
    assertProblem(again, 409, new RegExp(id));
    const still = await call(instanceUrl(host, id));
    assert.equal(still.status, 202);
    assert.equal(still.body.input, 'first input', 'the running instance is untouched');

    assert.equal((await post(instanceUrl(host, id, '/raiseEvent/Go'), '"one"')).status, 202);
    assert.equal((await waitForInstance(first.statusQueryGetUri)).output, 'one');

    const restarted = await post(api(`/orchestrators/waiter/${id}`), '"second input"');
    assert.equal(restarted.status, 202, restarted.text);
    assert.equal(restarted.body.id, id);
    const running = await waitForInstance(instanceUrl(host, id), isRunning);
    assert.equal(running.input, 'second input');
    assert.equal(running.output, null, 'the old output is gone');
    assert.equal((await post(instanceUrl(host, id, '/raiseEvent/Go'), '"two"')).status, 202);
    assert.equal((await waitForInstance(instanceUrl(host, id))).output, 'two');
  });

  test('refusals: unknown function 400, an activity 400, malformed JSON 400, GET 405', async () => {
    const unknownName = `${prefix}NoSuchOrchestrator`;
    assertProblem(
      await post(api(`/orchestrators/${unknownName}/${prefix}-unknown`)),
      400,
      new RegExp(unknownName),
    );
    assertProblem(await post(api(`/orchestrators/sayHello/${prefix}-activity`)), 400, /sayHello/);
    assertProblem(await post(api(`/orchestrators/echo/${prefix}-badjson`), '{"not json'), 400, /JSON/);
    for (const id of ['unknown', 'activity', 'badjson']) {
      assert.equal(
        (await call(instanceUrl(host, `${prefix}-${id}`))).status,
        404,
        `a refused start (${id}) creates no instance`,
      );
    }
    assertProblem(await call(api('/orchestrators/echo')), 405);
    assertProblem(await post(api('/orchestrators')), 404);
  });
});

describe('GET instances/{instanceId}', () => {
  test('202 with Location and Retry-After 5 while it runs, 200 when it completed; all fields always present', async () => {
    const { id, statusQueryGetUri } = await start(host, 'waiter');
    await waitForInstance(statusQueryGetUri, isRunning);
    const running = await call(instanceUrl(host, id));
    assert.equal(running.status, 202, running.text);
    assert.equal(running.headers.get('location'), statusQueryGetUri);
    assert.equal(running.headers.get('retry-after'), '5');
    assert.deepEqual(
      Object.keys(running.body).sort(),
      [...statusFields].sort(),
      'input and output are present even when null',
    );
    assert.equal(running.body.name, 'waiter');
    assert.equal(running.body.instanceId, id);
    assert.equal(running.body.runtimeStatus, 'Running');
    assert.equal(running.body.input, null);
    assert.equal(running.body.output, null);
    assert.equal(running.body.customStatus, null);
    for (const field of ['createdTime', 'lastUpdatedTime']) {
      assert.match(running.body[field], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, field);
    }
    assert.ok(Math.abs(Date.parse(running.body.createdTime) - Date.now()) < 60_000, 'createdTime is now');

    assert.equal((await post(instanceUrl(host, id, '/raiseEvent/Go'), '{"done":true}')).status, 202);
    await waitForInstance(statusQueryGetUri);
    const completed = await call(instanceUrl(host, id));
    assert.equal(completed.status, 200, completed.text);
    assert.equal(completed.headers.get('location'), null, 'no Location once finished');
    assert.deepEqual(Object.keys(completed.body).sort(), [...statusFields].sort());
    assert.equal(completed.body.runtimeStatus, 'Completed');
    assert.deepEqual(completed.body.output, { done: true });
    assert.ok(Date.parse(completed.body.lastUpdatedTime) >= Date.parse(completed.body.createdTime));
  });

  test('createdTime and lastUpdatedTime keep milliseconds, as the Durable extension does; createdTimeFrom filters by them', async () => {
    const before = Date.now();
    const first = await start(host, 'waiter', undefined, `${prefix}-ms-1`);
    const after = Date.now();
    const firstStatus = (await call(instanceUrl(host, first.id))).body;
    for (const field of ['createdTime', 'lastUpdatedTime'])
      assert.match(firstStatus[field], /\.\d{3}Z$/, field);
    const created = Date.parse(firstStatus.createdTime);
    assert.ok(
      created >= before && created <= after,
      `createdTime ${firstStatus.createdTime} lies between the POST (${new Date(before).toISOString()}) and its answer (${new Date(after).toISOString()})`,
    );
    // The second instance is created in a later millisecond: the filter must tell them apart.
    await eventually('a later millisecond', () => Date.now() > created, { everyMs: 1 });
    const second = await start(host, 'waiter', undefined, `${prefix}-ms-2`);
    const secondCreated = (await call(instanceUrl(host, second.id))).body.createdTime as string;
    const listed = await call(
      api(
        `/instances/?instanceIdPrefix=${encodeURIComponent(`${prefix}-ms-`)}&createdTimeFrom=${secondCreated}`,
      ),
    );
    assert.deepEqual(
      listed.body.map((r: { instanceId: string }) => r.instanceId),
      [second.id],
    );
    for (const id of [first.id, second.id])
      assert.equal((await post(instanceUrl(host, id, '/terminate'))).status, 202);
  });

  test('404 for an unknown instance', async () => {
    assertProblem(await call(instanceUrl(host, `${prefix}-never-started`)), 404, /never-started/);
  });

  test('showInput=false hides the input; showHistory=true adds historyEvents', async () => {
    const { id, statusQueryGetUri } = await start(host, 'chaining', { secret: 'input' });
    await waitForInstance(statusQueryGetUri);
    const plain = await call(instanceUrl(host, id));
    assert.deepEqual(plain.body.input, { secret: 'input' });
    assert.equal('historyEvents' in plain.body, false, 'no history unless asked');

    const hidden = await call(instanceUrl(host, id, '?showInput=false'));
    assert.equal(hidden.status, 200);
    assert.ok('input' in hidden.body);
    assert.equal(hidden.body.input, null);
    assert.deepEqual(hidden.body.output, plain.body.output, 'only the input is hidden');

    const withHistory = await call(instanceUrl(host, id, '?showHistory=true'));
    assert.equal(withHistory.status, 200);
    assert.ok(Array.isArray(withHistory.body.historyEvents), withHistory.text);
    const types = withHistory.body.historyEvents.map((e: { EventType: string }) => e.EventType);
    assert.equal(types[0], 'ExecutionStarted');
    assert.equal(types[types.length - 1], 'ExecutionCompleted');
    assert.equal(types.filter((t: string) => t === 'TaskScheduled').length, 3);
    assert.equal(types.filter((t: string) => t === 'TaskCompleted').length, 3);
  });
});

describe('GET instances/ (listing)', () => {
  const listPrefix = `${prefix}-list-`;
  test('filters by runtimeStatus (several at once) and instanceIdPrefix', async () => {
    const completed = await start(host, 'echo', 'a', `${listPrefix}a`);
    const failed = await start(host, 'thrower', null, `${listPrefix}b`);
    const running = await start(host, 'waiter', null, `${listPrefix}c`);
    const completed2 = await start(host, 'echo', 'd', `${listPrefix}d`);
    for (const s of [completed, failed, completed2]) await waitForInstance(s.statusQueryGetUri);
    await waitForInstance(running.statusQueryGetUri, isRunning);

    const list = async (query: string) => {
      const answer = await call(api(`/instances/?${query}`));
      assert.equal(answer.status, 200, answer.text);
      assert.ok(Array.isArray(answer.body), answer.text);
      return answer.body as { instanceId: string; runtimeStatus: string }[];
    };
    const ids = (rows: { instanceId: string }[]) => rows.map((r) => r.instanceId).sort();

    const all = await list(`instanceIdPrefix=${encodeURIComponent(listPrefix)}`);
    assert.deepEqual(
      ids(all),
      ['a', 'b', 'c', 'd'].map((k) => listPrefix + k),
    );
    const row = all.find((r) => r.instanceId === `${listPrefix}a`)!;
    assert.deepEqual(Object.keys(row).sort(), [...statusFields].sort(), 'rows are status bodies');
    assert.equal(row.runtimeStatus, 'Completed');

    const finished = await list(
      `instanceIdPrefix=${encodeURIComponent(listPrefix)}&runtimeStatus=Completed,Failed`,
    );
    assert.deepEqual(
      ids(finished),
      ['a', 'b', 'd'].map((k) => listPrefix + k),
    );
    assert.deepEqual(
      ids(await list(`instanceIdPrefix=${encodeURIComponent(listPrefix)}&runtimeStatus=Running`)),
      [`${listPrefix}c`],
    );
    assert.deepEqual(
      ids(await list(`instanceIdPrefix=${encodeURIComponent(listPrefix)}&runtimeStatus=Failed`)),
      [`${listPrefix}b`],
    );

    const everyCompleted = await list('runtimeStatus=Completed');
    assert.ok(everyCompleted.every((r) => r.runtimeStatus === 'Completed'));
    assert.ok(
      ids(everyCompleted).includes(`${listPrefix}a`) && ids(everyCompleted).includes(`${listPrefix}d`),
    );

    const future = new Date(Date.now() + 3_600_000).toISOString();
    const past = new Date(Date.now() - 3_600_000).toISOString();
    assert.deepEqual(
      await list(`instanceIdPrefix=${encodeURIComponent(listPrefix)}&createdTimeFrom=${future}`),
      [],
    );
    assert.deepEqual(
      await list(`instanceIdPrefix=${encodeURIComponent(listPrefix)}&createdTimeTo=${past}`),
      [],
    );
    assert.equal(
      (
        await list(
          `instanceIdPrefix=${encodeURIComponent(listPrefix)}&createdTimeFrom=${past}&createdTimeTo=${future}`,
        )
      ).length,
      4,
    );

    assert.equal((await post(instanceUrl(host, `${listPrefix}c`, '/terminate'))).status, 202);
  });

  test('top with x-ms-continuation-token pages through every instance exactly once', async () => {
    const pagePrefix = `${prefix}-page-`;
    const started = await Promise.all(
      [0, 1, 2, 3, 4].map((k) => start(host, 'echo', k, `${pagePrefix}${k}`)),
    );
    for (const s of started) await waitForInstance(s.statusQueryGetUri);
    const expected = started.map((s) => s.id).sort();

    const filtered = await listAll(`instanceIdPrefix=${encodeURIComponent(pagePrefix)}`, 2);
    assert.deepEqual(filtered.pages, [2, 2, 1]);
    assert.deepEqual([...filtered.ids].sort(), expected);

    // Across everything the host holds: no duplicates, nothing lost, the same set as one big page.
    const paged = await listAll('x=1', 2);
    assert.equal(new Set(paged.ids).size, paged.ids.length, 'no instance on two pages');
    const whole = await call(api('/instances/'));
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get('x-ms-continuation-token'), null, 'no top, no token');
    assert.deepEqual(
      [...paged.ids].sort(),
      whole.body.map((s: { instanceId: string }) => s.instanceId).sort(),
    );
    for (const id of expected) assert.ok(paged.ids.includes(id), id);
  });

  test('bad queries answer 400', async () => {
    assertProblem(await call(api('/instances/?runtimeStatus=Completed,Bogus')), 400, /Bogus/);
    assertProblem(await call(api('/instances/?top=0')), 400, /top/);
    assertProblem(await call(api('/instances/?top=abc')), 400, /top/);
    assertProblem(await call(api('/instances/?createdTimeFrom=yesterday-ish')), 400, /createdTimeFrom/);
    assertProblem(await call(api('/instances/?createdTimeTo=not-a-date')), 400, /createdTimeTo/);
  });
});

describe('instance operations', () => {
  test('raiseEvent: 202 and delivered; 400 malformed JSON; 400 without a name; 404 unknown; 410 finished', async () => {
    const { id, statusQueryGetUri } = await start(host, 'waiter');
    await waitForInstance(statusQueryGetUri, isRunning);
    assertProblem(await post(instanceUrl(host, id, '/raiseEvent/Go'), '{oops'), 400, /JSON/);
    assertProblem(await post(instanceUrl(host, id, '/raiseEvent'), '1'), 400);
    assert.equal(
      (await call(instanceUrl(host, id))).body.runtimeStatus,
      'Running',
      'a refused event is not delivered',
    );

    const raised = await post(instanceUrl(host, id, '/raiseEvent/Go'), '{"value":[1,2]}');
    assert.equal(raised.status, 202, raised.text);
    assert.deepEqual((await waitForInstance(statusQueryGetUri)).output, { value: [1, 2] });

    assertProblem(await post(instanceUrl(host, id, '/raiseEvent/Go'), '1'), 410, new RegExp(id));
    assertProblem(await post(instanceUrl(host, `${prefix}-nobody`, '/raiseEvent/Go'), '1'), 404, /nobody/);
  });

  test('suspend, resume, terminate: 202 while running; 404 unknown; 410 once finished', async () => {
    const { id, statusQueryGetUri } = await start(host, 'waiter');
    await waitForInstance(statusQueryGetUri, isRunning);

    assert.equal((await post(instanceUrl(host, id, '/suspend?reason=hold'))).status, 202);
    await waitForInstance(statusQueryGetUri, (b) => b.runtimeStatus === 'Suspended');
    const suspended = await call(instanceUrl(host, id));
    assert.equal(suspended.status, 202, 'a suspended instance is not finished');
    assert.equal(suspended.headers.get('retry-after'), '5');

    assert.equal((await post(instanceUrl(host, id, '/resume?reason=go'))).status, 202);
    await waitForInstance(statusQueryGetUri, isRunning);

    assert.equal((await post(instanceUrl(host, id, '/terminate?reason=enough'))).status, 202);
    const terminated = await waitForInstance(statusQueryGetUri);
    assert.equal(terminated.runtimeStatus, 'Terminated');
    assert.equal(terminated.output, 'enough');
    assert.equal((await call(instanceUrl(host, id))).status, 200);

    for (const op of ['terminate', 'suspend', 'resume']) {
      assertProblem(await post(instanceUrl(host, id, `/${op}`)), 410, new RegExp(id));
      assertProblem(await post(instanceUrl(host, `${prefix}-nobody`, `/${op}`)), 404);
    }
    const completed = await start(host, 'echo', 'x');
    await waitForInstance(completed.statusQueryGetUri);
    for (const op of ['terminate', 'suspend', 'resume'])
      assertProblem(await post(instanceUrl(host, completed.id, `/${op}`)), 410);
  });

  test('restart of a finished instance: 202 with a new id that completes with the same input', async () => {
    const input = { list: [1, 'two', null], nested: { ok: true } };
    const original = await start(host, 'echo', input);
    const first = await waitForInstance(original.statusQueryGetUri);
    const restartUrl = original.answer.body.restartPostUri;

    const restarted = await post(restartUrl);
    assert.equal(restarted.status, 202, restarted.text);
    const newId = restarted.body.id;
    assert.equal(typeof newId, 'string');
    assert.notEqual(newId, original.id);
    assert.equal(restarted.headers.get('location'), restarted.body.statusQueryGetUri);
    const again = await waitForInstance(restarted.body.statusQueryGetUri);
    assert.equal(again.runtimeStatus, 'Completed');
    assert.equal(again.name, 'echo');
    assert.deepEqual(again.input, input);
    assert.deepEqual(again.output, first.output);
    assert.equal(
      (await call(original.statusQueryGetUri)).body.runtimeStatus,
      'Completed',
      'the original is left as it was',
    );

    const sameId = await post(instanceUrl(host, original.id, '/restart?restartWithNewInstanceId=false'));
    assert.equal(sameId.status, 202, sameId.text);
    assert.equal(sameId.body.id, original.id);
    assert.deepEqual((await waitForInstance(original.statusQueryGetUri)).input, input);

    assertProblem(await post(instanceUrl(host, `${prefix}-nobody`, '/restart')), 404);
  });

  test('other routes: rewind 501, unknown entity 404, entity PUT 405, purge of an unknown id 404, PUT 405, unknown operation 404', async () => {
    const finished = await start(host, 'echo', 'r');
    await waitForInstance(finished.statusQueryGetUri);
    assertProblem(await post(instanceUrl(host, finished.id, '/rewind?reason=again')), 501, /[Rr]ewind/);
    assertProblem(await call(api(`/entities/counterEntity/${prefix}-never`)), 404, /entit/);
    assertProblem(await call(api('/entities/counterEntity/k'), { method: 'PUT', body: '1' }), 405);
    assertProblem(await call(api('/entities/counterEntity/k/extra')), 404);
    assertProblem(await call(instanceUrl(host, `${prefix}-nobody`), { method: 'DELETE' }), 404);
    assertProblem(await call(instanceUrl(host, finished.id), { method: 'PUT', body: '{}' }), 405);
    assertProblem(await call(instanceUrl(host, finished.id, '/terminate')), 405, /POST/);
    assertProblem(await post(instanceUrl(host, finished.id, '/explode')), 404, /explode/);
    assert.equal(
      (await call(instanceUrl(host, finished.id))).status,
      200,
      'none of these touched the instance',
    );
  });

  test('the host survived every request above: /admin/host/status answers 200', async () => {
    const status = await call(`${host.url}/admin/host/status`);
    assert.equal(status.status, 200);
    assert.equal(status.body.state, 'Running');
    assert.equal(host.process.exitCode, null);
    assert.doesNotMatch(
      host.output(),
      /Host error on/,
      "no request reached the host's last-resort 500 handler",
    );
  });
});
