// HTTP triggers of the Node Functions host, as `func start` serves them: route templates
// with constraints, methods, binary bodies, failures, cookies, hooks, the start-up banner,
// the invocation log lines, function keys (--require-keys) and apps that fail to load.
// Everything goes over real HTTP to a real host child process (fixture app
// test/fixtures/durable-apps/conformance, memory store).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HostStartError, startHost, type RunningHost } from '../../emulators/functions-host/index.js';
import { call, fixtureApp, startFixtureHost, waitForInstance } from './helpers.js';
import { eventually } from '../support/eventually.js';

/** The host writes its log asynchronously (through a pipe): wait until `pattern` shows up. */
async function outputMatching(
  host: RunningHost,
  pattern: RegExp,
  timeoutMs = 10_000,
): Promise<RegExpExecArray> {
  return eventually(`the host output matching ${pattern}`, () => pattern.exec(host.output()), {
    timeoutMs,
    everyMs: 25,
  });
}

let host: RunningHost;
before(async () => {
  host = await startFixtureHost();
});
after(async () => {
  await host?.stop();
});

describe('routes, methods and bodies', () => {
  test('route parameters, query and headers reach the handler', async () => {
    const answer = await call(`${host.url}/api/items/42?q=x`, { headers: { 'x-test': 'from the test' } });
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(answer.body, { id: '42', method: 'GET', q: 'x', header: 'from the test' });
  });

  test('an {id:int} constraint rejects what is not an int, as a 404', async () => {
    for (const bad of ['abc', '4.5', '2147483648', '-2147483649', '99999999999999']) {
      const answer = await call(`${host.url}/api/items/${bad}`);
      assert.equal(answer.status, 404, `/api/items/${bad}: ${answer.text}`);
    }
    assert.equal(
      (await call(`${host.url}/api/items`)).status,
      404,
      'a required parameter cannot be left out',
    );
    for (const good of ['-7', '2147483647', '-2147483648'])
      assert.equal(
        (await call(`${host.url}/api/items/${good}`)).body?.id,
        good,
        `${good} is an int (32-bit)`,
      );
  });

  test('every declared method is served; others get 405 with an Allow header', async () => {
    const deleted = await call(`${host.url}/api/items/7`, { method: 'DELETE' });
    assert.equal(deleted.status, 200, deleted.text);
    assert.deepEqual(deleted.body, { id: '7', method: 'DELETE', q: null, header: null });

    const posted = await call(`${host.url}/api/items/1`, { method: 'POST', body: '{}' });
    assert.equal(posted.status, 405, posted.text);
    const allow = (posted.headers.get('allow') ?? '')
      .split(',')
      .map((m) => m.trim())
      .sort();
    assert.deepEqual(allow, ['DELETE', 'GET']);
  });

  test('a path no function serves: 404 with a JSON body', async () => {
    const answer = await call(`${host.url}/api/no-such-function/here`);
    assert.equal(answer.status, 404);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(typeof answer.body?.message, 'string', answer.text);
    assert.match(answer.body.message, /no-such-function/);
  });

  test('binary bodies round-trip byte for byte (1 MiB of random bytes)', async () => {
    const payload = randomBytes(1024 * 1024);
    const response = await fetch(`${host.url}/api/echo`, {
      method: 'POST',
      body: payload,
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/octet-stream');
    assert.equal(response.headers.get('x-bytes'), String(payload.length));
    const back = Buffer.from(await response.arrayBuffer());
    assert.equal(back.length, payload.length);
    assert.ok(back.equals(payload), 'the bytes came back changed (a text decoding somewhere?)');
  });

  test('a handler that throws answers 500, is logged, and the host keeps serving', async () => {
    const failed = await call(`${host.url}/api/throws`);
    assert.equal(failed.status, 500);
    await outputMatching(
      host,
      /Executed 'Functions\.throws' \(Failed, Id=[^)]+\)\s+Error: handler failed on purpose/,
    );
    const next = await call(`${host.url}/api/items/3`);
    assert.equal(next.status, 200, 'the next request is served');
    assert.equal(next.body.id, '3');
    assert.equal(host.process.exitCode, null, 'the host process is alive');
  });

  test('cookies become Set-Cookie headers with their attributes', async () => {
    const response = await fetch(`${host.url}/api/cookies`);
    assert.equal(response.status, 201);
    assert.equal(await response.text(), 'with cookie');
    const cookies = response.headers.getSetCookie();
    assert.equal(cookies.length, 1, JSON.stringify(cookies));
    const [pair, ...attributes] = cookies[0].split(';').map((p) => p.trim());
    assert.equal(pair, 'session=abc');
    assert.ok(attributes.includes('HttpOnly'), cookies[0]);
    assert.ok(attributes.includes('Path=/'), cookies[0]);
  });

  test('preInvocation and postInvocation hooks run around the handler', async () => {
    const answer = await call(`${host.url}/api/hooked`);
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.body, { pre: true, post: true });
  });
});

describe('console output', () => {
  const httpFunctions: [string, string, string][] = [
    ['startOrchestration', 'POST', 'api/orchestrators/{name}/{instanceId?}'],
    ['clientStatus', 'GET', 'api/client/{instanceId}'],
    ['clientOps', 'POST', 'api/client/{instanceId}/{op:alpha}'],
    ['items', 'GET,DELETE', 'api/items/{id:int}'],
    ['binaryEcho', 'POST,PUT', 'api/echo'],
    ['secured', 'GET', 'api/secured'],
    ['throws', 'GET', 'api/throws'],
    ['cookies', 'GET', 'api/cookies'],
    ['hooked', 'GET', 'api/hooked'],
  ];
  const otherFunctions: [string, string][] = [
    ...[
      'chaining',
      'fanOut',
      'monitor',
      'retry',
      'retryThenCatch',
      'eventRace',
      'counter',
      'parent',
      'thrower',
      'waiter',
      'echo',
      'parallelMixed',
      'eventRaceThenWork',
      'lineSeparators',
      'hugeResult',
      'restartable',
      'entityCaller',
    ].map((name): [string, string] => [name, 'orchestrationTrigger']),
    ...['sayHello', 'square', 'flaky', 'huge', 'slowSquare'].map((name): [string, string] => [
      name,
      'activityTrigger',
    ]),
    ['counterEntity', 'entityTrigger'],
  ];

  test('the start-up banner lists every function, with the URL of each HTTP one, then "Host started"', async () => {
    const output = host.output();
    assert.match(output, /^Functions:$/m);
    for (const [name, methods, route] of httpFunctions) {
      const line = `        ${name}: [${methods}] ${host.url}/${route}`;
      assert.ok(output.split('\n').includes(line), `missing banner line "${line}" in:\n${output}`);
    }
    for (const [name, trigger] of otherFunctions) {
      const line = `        ${name}: ${trigger}`;
      assert.ok(output.split('\n').includes(line), `missing banner line "${line}" in:\n${output}`);
    }
    const listed = output.split('\n').filter((l) => /^ {8}\w+: /.test(l)).length;
    assert.equal(
      listed,
      httpFunctions.length + otherFunctions.length,
      'no function listed twice, none unknown',
    );
    const root = await call(`${host.url}/`);
    assert.equal(
      root.body.functions.length,
      listed,
      'the banner lists as many functions as the host registered',
    );
    assert.match(
      output,
      new RegExp(
        `^Host started \\(\\d+ms\\) listening on ${host.url.replace(/\./g, '\\.')} \\(store: memory, hub: Conformance\\)$`,
        'm',
      ),
    );
    assert.ok(output.indexOf('Functions:') < output.indexOf('Host started'), 'the function list comes first');
  });

  describe('with quiet: false', () => {
    let loud: RunningHost;
    before(async () => {
      loud = await startFixtureHost({ quiet: false });
    });
    after(async () => {
      await loud?.stop();
    });

    test('each invocation logs Executing and Executed lines with its id and duration', async () => {
      assert.doesNotMatch(loud.output(), /Functions\.items/, 'nothing invoked yet');
      assert.equal((await call(`${loud.url}/api/items/5`)).status, 200);
      const executing = await outputMatching(
        loud,
        /^\[[^\]]+\] Executing 'Functions\.items' \(Reason='[^']+', Id=([0-9a-f-]{36})\)$/m,
      );
      const executed = await outputMatching(
        loud,
        /^\[[^\]]+\] Executed 'Functions\.items' \(Succeeded, Id=([0-9a-f-]{36}), Duration=\d+ms\)$/m,
      );
      assert.equal(executed[1], executing[1], 'both lines name the same invocation id');
      assert.ok(loud.output().indexOf(executing[0]) < loud.output().indexOf(executed[0]));
    });

    test('quiet: true (the shared host) prints no invocation lines', async () => {
      assert.equal((await call(`${host.url}/api/items/6`)).status, 200);
      // A failure is logged even when quiet, after anything the first call would have printed.
      assert.equal((await call(`${host.url}/api/throws`)).status, 500);
      await outputMatching(host, /Executed 'Functions\.throws' \(Failed/);
      assert.doesNotMatch(host.output(), /Executing 'Functions\.items'/);
    });
  });
});

describe('--require-keys', () => {
  let keyed: RunningHost;
  let keys: { master: string; function: string; system: string };
  before(async () => {
    keyed = await startFixtureHost({ requireKeys: true, quiet: false });
    const match = /^Keys \(--require-keys\): master=(\S+) function=(\S+) durabletask_extension=(\S+)$/m.exec(
      keyed.output(),
    );
    assert.ok(match, `no keys line in:\n${keyed.output()}`);
    keys = { master: match[1], function: match[2], system: match[3] };
  });
  after(async () => {
    await keyed?.stop();
  });
  const durable = (suffix: string) => `${keyed.url}/runtime/webhooks/durabletask${suffix}`;

  test('three distinct, unguessable keys are printed', () => {
    assert.equal(new Set(Object.values(keys)).size, 3);
    for (const key of Object.values(keys)) assert.ok(key.length >= 20, key);
  });

  test('a function-level function needs the function key (query code or x-functions-key header)', async () => {
    const none = await call(`${keyed.url}/api/secured`);
    assert.equal(none.status, 401);
    assert.notEqual(none.text, 'secret ok');
    assert.equal((await call(`${keyed.url}/api/secured?code=wrong`)).status, 401);
    assert.equal(
      (await call(`${keyed.url}/api/secured?code=${keys.system}`)).status,
      401,
      'the system key is not a function key',
    );

    const byQuery = await call(`${keyed.url}/api/secured?code=${encodeURIComponent(keys.function)}`);
    assert.equal(byQuery.status, 200);
    assert.equal(byQuery.text, 'secret ok');
    const byHeader = await call(`${keyed.url}/api/secured`, {
      headers: { 'x-functions-key': keys.function },
    });
    assert.equal(byHeader.status, 200);
    assert.equal(byHeader.text, 'secret ok');
    assert.equal(
      (await call(`${keyed.url}/api/secured?code=${encodeURIComponent(keys.master)}`)).status,
      200,
      'the master key opens everything',
    );
  });

  // Issue item: both answered anyone, naming every function and the host's memory.
  test("the host's own pages (its root and /admin/host/status) need the master key", async () => {
    for (const path of ['/', '/admin/host/status']) {
      assert.equal((await call(`${keyed.url}${path}`)).status, 401, `${path} without a key`);
      for (const other of [keys.function, keys.system])
        assert.equal((await call(`${keyed.url}${path}?code=${encodeURIComponent(other)}`)).status, 401, path);
      const opened = await call(`${keyed.url}${path}`, { headers: { 'x-functions-key': keys.master } });
      assert.equal(opened.status, 200, `${path} with the master key: ${opened.text}`);
    }
  });

  test('anonymous functions need no key', async () => {
    const answer = await call(`${keyed.url}/api/items/1`);
    assert.equal(answer.status, 200);
    assert.equal(answer.body.id, '1');
  });

  test('the management API needs the durabletask system key', async () => {
    assert.equal((await call(durable('/instances/x'))).status, 401);
    assert.equal(
      (await call(durable(`/instances/x?code=${encodeURIComponent(keys.function)}`))).status,
      401,
      'a function key is not enough',
    );
    const known = await call(durable(`/instances/x?code=${encodeURIComponent(keys.system)}`));
    assert.equal(known.status, 404, `past the key check, an unknown instance: ${known.text}`);
    assert.equal(
      (await call(durable('/orchestrators/echo'), { method: 'POST', body: '1' })).status,
      401,
      'starting needs the key too',
    );
  });

  test('status URLs from the management API carry the system key and work when followed', async () => {
    const started = await call(durable(`/orchestrators/waiter?code=${encodeURIComponent(keys.system)}`), {
      method: 'POST',
      body: '{"k":1}',
    });
    assert.equal(started.status, 202, started.text);
    const urls = Object.entries(started.body as Record<string, string>).filter(([name]) => name !== 'id');
    assert.equal(urls.length, 8);
    for (const [name, url] of urls)
      assert.equal(new URL(url.replace(/\{(\w+)\}/g, '$1')).searchParams.get('code'), keys.system, name);

    const running = await waitForInstance(
      started.body.statusQueryGetUri,
      (b) => b.runtimeStatus === 'Running',
    );
    assert.deepEqual(running.input, { k: 1 });
    const polled = await call(started.body.statusQueryGetUri);
    assert.equal(polled.status, 202);
    assert.equal(
      new URL(polled.headers.get('location')!).searchParams.get('code'),
      keys.system,
      'the Location of a running instance carries the key too',
    );
    const raised = await call(started.body.sendEventPostUri.replace('{eventName}', 'Go'), {
      method: 'POST',
      body: '"followed"',
    });
    assert.equal(raised.status, 202, raised.text);
    const done = await waitForInstance(started.body.statusQueryGetUri);
    assert.equal(done.output, 'followed');
    assert.equal((await call(started.body.purgeHistoryDeleteUri, { method: 'DELETE' })).status, 200);
  });

  test('status URLs from an HTTP starter (createCheckStatusResponse) carry the system key and work', async () => {
    const answer = await call(`${keyed.url}/api/orchestrators/echo`, {
      method: 'POST',
      body: '"via starter"',
    });
    assert.equal(answer.status, 202, answer.text);
    const statusUrl = new URL(answer.body.statusQueryGetUri);
    assert.equal(statusUrl.searchParams.get('code'), keys.system);
    assert.equal(statusUrl.origin, keyed.url);
    const done = await waitForInstance(answer.body.statusQueryGetUri);
    assert.deepEqual(done.output, { input: 'via starter', type: 'string' });
    assert.equal(
      (await call(answer.body.statusQueryGetUri.replace(/&code=[^&]*/, ''))).status,
      401,
      'without the key the same URL is refused',
    );
  });
});

describe('an app that fails to load', () => {
  const apps = path.dirname(fixtureApp);

  test('an entry point that throws: startHost rejects naming the file and the error', async () => {
    const appDir = path.join(apps, 'broken-load');
    await assert.rejects(
      startHost({ appDir, port: 0, store: 'memory', quiet: true, startTimeoutMs: 30_000 }),
      (error: unknown) => {
        assert.ok(error instanceof HostStartError, String(error));
        assert.match(
          error.message,
          /exited \(code [1-9]\d*\) before it started/,
          'it exits, rather than hanging until the timeout',
        );
        assert.ok(
          error.message.includes(path.join(appDir, 'index.js')),
          `the file is named: ${error.message}`,
        );
        assert.match(error.message, /boom at load/);
        assert.doesNotMatch(error.message, /Host started/);
        return true;
      },
    );
  });

  test('package.json main matching no file: startHost rejects saying so', async () => {
    const appDir = path.join(apps, 'no-main');
    await assert.rejects(
      startHost({ appDir, port: 0, store: 'memory', quiet: true, startTimeoutMs: 30_000 }),
      (error: unknown) => {
        assert.ok(error instanceof HostStartError, String(error));
        assert.match(error.message, /exited \(code [1-9]\d*\) before it started/);
        assert.match(error.message, /"main" \(dist\/src\/index\.js\) matches no file/);
        return true;
      },
    );
  });
});
