// The lint guards are part of the architecture: prove each one rejects what it must,
// and accepts the deterministic way of doing the same thing.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';

const root = path.resolve(__dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

async function messagesFor(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, filePath) });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('orchestrator determinism rules', () => {
  const orchestratorFile = 'src/orchestrations/example.ts';
  const rejected: Array<[string, string]> = [
    ['const now = new Date();', 'currentUtcDateTime'],
    ['const now = Date.now();', 'currentUtcDateTime'],
    ['const r = Math.random();', 'Math.random'],
    ['const id = crypto.randomUUID();', 'newGuid'],
    ['const endpoint = process.env.AZURE_OPENAI_ENDPOINT;', 'process'],
    ['setTimeout(() => 1, 10);', 'createTimer'],
    ['async function f() { await fetch("http://x"); }', 'yield'],
    ["import { readFileSync } from 'node:fs';", 'no I/O'],
    ["import { BlobClient } from '@azure/storage-blob';", 'no I/O'],
    ["import { createActivities } from '../activities/index.js';", 'only the types'],
  ];
  for (const [code, expected] of rejected) {
    test(`rejects: ${code}`, async () => {
      const messages = await messagesFor(code, orchestratorFile);
      assert.ok(messages.some((m) => m.includes(expected)), `expected a message containing "${expected}", got ${JSON.stringify(messages)}`);
    });
  }

  test('accepts the deterministic equivalents', async () => {
    const code = [
      "import type { VideoActivities } from '../activities/index.js';",
      'export function* orchestrator(context: any): Generator<unknown, number, unknown> {',
      '  const now = new Date(context.df.currentUtcDateTime);',
      '  yield context.df.createTimer(new Date(now.getTime() + 1000));',
      '  return now.getTime();',
      '}',
    ].join('\n');
    assert.deepEqual(await messagesFor(code, orchestratorFile), []);
  });

  test('does not apply outside orchestrations', async () => {
    assert.deepEqual(await messagesFor('export const now = Date.now();', 'src/activities/example.ts'), []);
  });
});

describe('boundary rules', () => {
  for (const file of ['src/orchestrations/example.ts', 'src/functions/example.ts', 'src/activities/example.ts']) {
    test(`${file} may not import a provider's own folder`, async () => {
      for (const code of [
        "import { createFalProvider } from '../providers/fal/provider.js';",
        "import type { SoraClient } from '../providers/azure-openai/client.js';",
      ]) {
        const messages = await messagesFor(code, file);
        assert.ok(messages.some((m) => m.includes('names no provider')), `${code}: ${JSON.stringify(messages)}`);
      }
      assert.deepEqual(await messagesFor("import type { VideoProvider } from '../providers/provider.js';", file), [], 'the interface is fine');
    });
  }
  test('src/ may not import emulators/', async () => {
    const messages = await messagesFor("import { startProviderEmulator } from '../../emulators/providers/index.js';", 'src/storage/example.ts');
    assert.ok(messages.some((m) => m.includes('stand-ins')), JSON.stringify(messages));
  });
  test('emulators/ may not import src/', async () => {
    const messages = await messagesFor("import { loadConfig } from '../../src/config.js';", 'emulators/providers/example.ts');
    assert.ok(messages.some((m) => m.includes('on their own')), JSON.stringify(messages));
  });
});
