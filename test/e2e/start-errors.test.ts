// npm start's refusals that need no app: a clear line, exit 1, nothing left running.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { killGroup, startCli, tempDir } from './helpers.js';

test('npm start names the busy port instead of crashing', async (t) => {
  const dir = tempDir(t);
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const busyPort = (blocker.address() as net.AddressInfo).port;
  const cli = startCli('start.ts', ['--port', String(busyPort), '--sora-port', '0', '--azurite-port', '0', '--data-dir', dir]);
  t.after(() => killGroup(cli));
  const result = await cli.done;
  assert.equal(result.code, 1);
  assert.match(result.stderr, new RegExp(`Error: Port ${busyPort} \\(app\\) is already in use`));
});
