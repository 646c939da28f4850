// HTTP streaming (app.setup({ enableHttpStream: true })): the host proxies requests to the
// library's own HTTP server, so bodies flow both ways without being buffered whole.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startHost, type RunningHost } from '../../emulators/functions-host/index.js';

let host: RunningHost;
before(async () => {
  host = await startHost({
    appDir: path.resolve(__dirname, '..', 'fixtures', 'durable-apps', 'streaming'),
    port: 0,
    quiet: true,
  });
});
after(async () => {
  await host?.stop();
});

test('a streamed response reaches the client chunk by chunk', async () => {
  const started = Date.now();
  const response = await fetch(`${host.url}/api/stream/15`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/octet-stream');
  const reader = response.body!.getReader();
  let bytes = 0;
  let firstAt: number | undefined;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    firstAt ??= Date.now();
    bytes += value.length;
  }
  const endAt = Date.now();
  assert.equal(bytes, 15 * 64 * 1024);
  assert.ok(
    firstAt! - started < endAt - started - 150,
    `first bytes at ${firstAt! - started} ms, last at ${endAt - started} ms: the body was not streamed`,
  );
});

test('a streamed request body is read by the function as it arrives; appStart hooks ran', async () => {
  const payload = randomBytes(5 * 1024 * 1024);
  const response = await fetch(`${host.url}/api/count`, { method: 'POST', body: payload });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { bytes: payload.length, lifecycle: ['appStart'] });
});

test('route constraints still apply in streaming mode', async () => {
  assert.equal((await fetch(`${host.url}/api/stream/abc`)).status, 404);
});
