// npm start's refusals that need no app: a clear line, exit 1, nothing left running.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { killGroup, startCli, tempDir } from './helpers.js';

/** A loopback port something listens on until the test ends. */
async function takenPort(t: { after(fn: () => void): void }): Promise<number> {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  return (blocker.address() as net.AddressInfo).port;
}

test('npm start names the busy port instead of crashing', async (t) => {
  const dir = tempDir(t);
  const busyPort = await takenPort(t);
  const cli = startCli('start.ts', [
    '--port',
    String(busyPort),
    '--emulator-port',
    '0',
    '--azurite-port',
    '0',
    '--data-dir',
    dir,
  ]);
  t.after(() => killGroup(cli));
  const result = await cli.done;
  assert.equal(result.code, 1);
  assert.match(result.stderr, new RegExp(`Error: Port ${busyPort} \\(app\\) is already in use`));
});

// --sora-port is the old name of --emulator-port, kept for one release: both set the port the
// emulator is started on (checked, like every fixed port, before anything starts).
for (const flag of ['--emulator-port', '--sora-port']) {
  test(`npm start ${flag} N: the provider emulator's port, refused when busy`, async (t) => {
    const dir = tempDir(t);
    const busyPort = await takenPort(t);
    const cli = startCli('start.ts', [
      '--port',
      '0',
      flag,
      String(busyPort),
      '--azurite-port',
      '0',
      '--data-dir',
      dir,
    ]);
    t.after(() => killGroup(cli));
    const result = await cli.done;
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      new RegExp(
        `Error: Port ${busyPort} \\(provider emulator\\) is already in use\\. .* with --emulator-port\\.`,
      ),
    );
    const notice = /--sora-port is the old name of --emulator-port/;
    if (flag === '--sora-port') assert.match(result.stderr, notice);
    else assert.doesNotMatch(result.stderr, notice);
  });
}
