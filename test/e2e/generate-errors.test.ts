// The generate CLI's failure modes that need no running stack: each must exit non-zero with one clear line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closedPort, killGroup, startCli } from './helpers.js';

test('generate against an unreachable --api exits 1 with one line naming the address', async (t) => {
  const port = await closedPort();
  const cli = startCli('generate.ts', ['A cat playing piano in a jazz bar.', '--api', `http://127.0.0.1:${port}`]);
  t.after(() => killGroup(cli));
  const result = await cli.done;
  assert.equal(result.code, 1);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${result.stderr}`);
  assert.match(lines[0], new RegExp(`^Error: cannot reach http://127\\.0\\.0\\.1:${port}/api/videos \\(ECONNREFUSED\\)$`));
  assert.equal(result.stdout, '');
});

test('generate with a malformed option exits 2 and names the option', async (t) => {
  const cli = startCli('generate.ts', ['A cat', '--size', 'big', '--api', 'http://127.0.0.1:1']);
  t.after(() => killGroup(cli));
  const result = await cli.done;
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^Error: --size must look like WIDTHxHEIGHT \(e\.g\. 480x480\) or an aspect ratio \(e\.g\. 16:9\), got "big"\n/);
});

test('generate without a prompt exits 2 with usage', async (t) => {
  const cli = startCli('generate.ts', []);
  t.after(() => killGroup(cli));
  const result = await cli.done;
  assert.equal(result.code, 2);
  assert.match(result.stderr, /^Error: a prompt is required\nUsage: npm run generate/);
});
