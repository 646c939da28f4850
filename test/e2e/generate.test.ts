// The README's first command, end to end: it makes a playable 480x480, 5 s MP4 with the
// emulator's default timing, by starting and stopping the embedded stack itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { probeVideo, repoRoot, tempDir } from './helpers.js';

test('npm run generate -- "A cat playing piano in a jazz bar." saves a playable 480x480 5 s video', async (t) => {
  const out = path.join(tempDir(t), 'output.mp4');
  const child = spawn(
    'npm',
    ['run', '--silent', 'generate', '--', 'A cat playing piano in a jazz bar.', '--out', out],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // A guard against a hung run, not a speed claim (a loaded 2-core runner is slow; the README's
  // figure comes from a quiet machine).
  const budget = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 240_000);
  t.after(() => {
    clearTimeout(budget);
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* already exited */
    }
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('close', (c, s) => resolve([c, s])),
  );

  assert.equal(signal, null, `generate was killed after 240 s.\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  assert.equal(code, 0, `generate failed.\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  assert.match(
    stdout,
    new RegExp(`Generated video saved as "${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`),
  );
  // The embedded stack (and its blobs) is gone when generate ends: no link that leads nowhere.
  assert.doesNotMatch(stdout, /Blob URL/);

  const facts = await probeVideo(out);
  assert.equal(facts.codec, 'h264');
  assert.equal(facts.width, 480);
  assert.equal(facts.height, 480);
  assert.ok(Math.abs(facts.durationSeconds - 5) < 0.5, `duration ${facts.durationSeconds}`);
});
