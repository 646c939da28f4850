// generate --api against a running `npm start`: a failed and a cancelled job each end the
// CLI with a non-zero code and one clear last line.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { killGroup, startCli, startStack, waitFor, type RunningCli } from './helpers.js';

let stack: { cli: RunningCli; appUrl: string; emulatorUrl: string } | undefined;
const dataDir = mkdtempSync(path.join(tmpdir(), 'e2e-stack-'));

before(async () => {
  stack = await startStack(dataDir);
});
after(() => {
  if (stack) killGroup(stack.cli);
  rmSync(dataDir, { recursive: true, force: true });
});

const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';

test('a job Sora refuses (input moderation) ends generate with exit 1 and the reason', async (t) => {
  const prompt = 'A forbidden scene for the e2e moderation test.';
  const response = await fetch(`${stack!.emulatorUrl}/_admin/config`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ denyList: [prompt] }),
  });
  assert.ok(response.ok, `emulator admin answered ${response.status}`);

  const cli = startCli(
    'generate.ts',
    [prompt, '--api', stack!.appUrl, '--out', path.join(dataDir, 'never.mp4')],
    { GENERATE_POLL_MS: '300' },
  );
  t.after(() => killGroup(cli));
  const result = await cli.done;
  assert.equal(result.code, 1, result.stderr);
  assert.match(lastLine(result.stderr), /^Error: job \S+ failed: .*input_moderation/);
  assert.doesNotMatch(result.stdout, /Generated video saved/);
});

test('SIGINT without a terminal cancels the job and generate exits 1 saying so', async (t) => {
  const cli = startCli(
    'generate.ts',
    ['A slow sunrise over the sea.', '--api', stack!.appUrl, '--out', path.join(dataDir, 'never.mp4')],
    { GENERATE_POLL_MS: '300' },
  );
  t.after(() => killGroup(cli));
  await waitFor('the job to start', () => /Job \S+ started/.test(cli.stderr()), 30_000);
  cli.child.kill('SIGINT');
  const result = await cli.done;
  assert.equal(result.code, 1, result.stderr);
  assert.match(lastLine(result.stderr), /^Error: job \S+ was cancelled/);
});

test("a Sora 2 job's plain progress lines show the upstream status and progress: N% as it rises", async (t) => {
  const out = path.join(dataDir, 'sora-2.mp4');
  const cli = startCli(
    'generate.ts',
    ['A paper boat on a rainy street.', '--model', 'sora-2', '--api', stack!.appUrl, '--out', out],
    { GENERATE_POLL_MS: '300' },
  );
  t.after(() => killGroup(cli));
  const result = await cli.done;
  assert.equal(result.code, 0, result.stderr);
  // Not a terminal: one plain line per change, e.g. "phase: running | azure-openai: in_progress | progress: 40% | elapsed: 3 s".
  const lines = result.stderr.split('\n').filter((line) => line.startsWith('phase: '));
  const withProgress = lines.filter((line) =>
    /^phase: running \| azure-openai: in_progress \| progress: \d{1,3}% \| elapsed: \d+ s$/.test(line),
  );
  assert.ok(
    withProgress.length >= 2,
    `live lines with the upstream status and progress:\n${lines.join('\n')}`,
  );
  const percents = withProgress.map((line) => Number(/progress: (\d+)%/.exec(line)![1]));
  assert.ok(percents.at(-1)! > percents[0], `progress rises: ${percents.join(', ')}`);
  assert.ok(
    lines.every((line) => !/\r/.test(line)),
    'no terminal redraws in plain output',
  );
  assert.match(result.stdout, /Generated video saved as ".*sora-2\.mp4"/);
});
