// The H.264 encoder's runtime installs process-wide handlers that abort the process on any
// unhandled rejection. A process hosting the emulator (a test, a benchmark) must keep its own
// failure behaviour, so the emulator removes them. Own file: a fresh process, first load.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { encodeVideoFile } from '../../emulators/providers/video-encoder.js';

test("encoding leaves the process's unhandledRejection and uncaughtException handlers as they were", async () => {
  const before = [process.listeners('unhandledRejection'), process.listeners('uncaughtException')];
  const dir = mkdtempSync(path.join(tmpdir(), 'encoder-'));
  try {
    const bytes = await encodeVideoFile(
      { width: 64, height: 64, seconds: 1, seed: 'handlers' },
      path.join(dir, 'v.mp4'),
    );
    assert.ok(bytes > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual([process.listeners('unhandledRejection'), process.listeners('uncaughtException')], before);
});
