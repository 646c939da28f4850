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
      assert.ok(
        messages.some((m) => m.includes(expected)),
        `expected a message containing "${expected}", got ${JSON.stringify(messages)}`,
      );
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
  for (const file of [
    'src/orchestrations/example.ts',
    'src/functions/example.ts',
    'src/activities/example.ts',
  ]) {
    test(`${file} may not import a provider's own folder`, async () => {
      for (const code of [
        "import { createFalProvider } from '../providers/fal/provider.js';",
        "import type { JobsApiCalls } from '../providers/openai-videos/videos-api.js';",
      ]) {
        const messages = await messagesFor(code, file);
        assert.ok(
          messages.some((m) => m.includes('names no provider')),
          `${code}: ${JSON.stringify(messages)}`,
        );
      }
      assert.deepEqual(
        await messagesFor("import type { VideoProvider } from '../providers/provider.js';", file),
        [],
        'the interface is fine',
      );
    });
  }
  test('src/ may not import emulators/', async () => {
    const messages = await messagesFor(
      "import { startProviderEmulator } from '../../emulators/providers/index.js';",
      'src/storage/example.ts',
    );
    assert.ok(
      messages.some((m) => m.includes('stand-ins')),
      JSON.stringify(messages),
    );
  });
  test('cli/ imports only types from src/', async () => {
    const runtime = await messagesFor(
      "import { sniffFormat } from '../src/images/image-check.js';",
      'cli/example.ts',
    );
    assert.ok(
      runtime.some((m) => m.includes('client of the API')),
      JSON.stringify(runtime),
    );
    const types = await messagesFor(
      "import type { VideoStatus } from '../src/status/video-status.js';\nexport type S = VideoStatus;",
      'cli/example.ts',
    );
    assert.deepEqual(
      types.filter((m) => m.includes('client of the API')),
      [],
    );
  });
  test('emulators/ may not import src/', async () => {
    const messages = await messagesFor(
      "import { loadConfig } from '../../src/config.js';",
      'emulators/providers/example.ts',
    );
    assert.ok(
      messages.some((m) => m.includes('on their own')),
      JSON.stringify(messages),
    );
  });
});

describe('layer rules', () => {
  for (const folder of ['activities', 'orchestrations', 'requests', 'status', 'storage', 'callbacks']) {
    test(`src/${folder}/ never imports src/functions/, not even a type`, async () => {
      for (const code of [
        "import { createVideosApi } from '../functions/videos-api.js';",
        "import type { VideoList } from '../functions/api-schemas.js';",
        "export { problem } from '../functions/problem.js';",
      ]) {
        const messages = await messagesFor(code, `src/${folder}/example.ts`);
        assert.ok(
          messages.some((m) => m.includes('Only the HTTP layer imports src/functions/')),
          `${code}: ${JSON.stringify(messages)}`,
        );
      }
      assert.deepEqual(
        await messagesFor(
          "import type { InvocationContext } from '@azure/functions';",
          `src/${folder}/example.ts`,
        ),
        [],
        'the Functions package is not the HTTP layer',
      );
    });
  }
  test('the HTTP layer imports the domain below it', async () => {
    const code = [
      "import { problem } from './problem.js';",
      "import { toVideoStatus } from '../status/video-status.js';",
      "import { parseVideoRequest } from '../requests/video-request.js';",
    ].join('\n');
    assert.deepEqual(await messagesFor(code, 'src/functions/example.ts'), []);
  });
});

describe('provider folder rules', () => {
  const rejects = async (code: string, file: string, expected: string) => {
    const messages = await messagesFor(code, file);
    assert.ok(
      messages.some((m) => m.includes(expected)),
      `${file}: ${code}: ${JSON.stringify(messages)}`,
    );
  };
  const outside = [
    "import { createProviderRegistry } from '../registry.js';",
    "import { JobClaims } from '../../storage/job-claims.js';",
    "import type { VideoRequest } from '../../requests/video-request.js';",
    "import { toJobSummary } from '../../activities/video-activities.js';",
    "import { createFalProvider } from '../fal/provider.js';",
  ];
  for (const folder of ['fal', 'replicate', 'openai-videos', 'azure-openai', 'http']) {
    test(`src/providers/${folder}/ imports nothing beyond the interface, capabilities, http/ and errors.ts`, async () => {
      for (const code of outside)
        await rejects(code, `src/providers/${folder}/example.ts`, 'imports only the adapter interface');
      const allowed = [
        "import type { VideoProvider } from '../provider.js';",
        "import type { ModelCapabilities } from '../capabilities.js';",
        "import { createTransport } from '../http/transport.js';",
        "import { ProviderPermanentError } from '../../errors.js';",
        "import type { FalSettings } from '../../config.js';",
        "import { FAL_MODELS } from './models.js';",
        "import { z } from 'zod';",
      ].join('\n');
      assert.deepEqual(await messagesFor(allowed, `src/providers/${folder}/example.ts`), []);
    });
  }
  test('settings reach an adapter as parameters: config.ts only for its types', async () => {
    await rejects(
      "import { loadConfig } from '../../config.js';",
      'src/providers/fal/example.ts',
      'import only their types',
    );
  });
  test("azure-openai may reuse openai-videos, never the reverse, and no other folder another's", async () => {
    assert.deepEqual(
      await messagesFor(
        "import { createVideosApi } from '../openai-videos/videos-api.js';",
        'src/providers/azure-openai/example.ts',
      ),
      [],
    );
    await rejects(
      "import { authFromSettings } from '../azure-openai/auth.js';",
      'src/providers/openai-videos/example.ts',
      'never the reverse',
    );
    await rejects(
      "import { createVideosApi } from '../openai-videos/videos-api.js';",
      'src/providers/fal/example.ts',
      'never the reverse',
    );
    await rejects(
      "import { replicateWebhooks } from '../replicate/webhook.js';",
      'src/providers/fal/example.ts',
      'never the reverse',
    );
  });
});

describe('test waiting rules', () => {
  const sleeps = [
    'await new Promise((resolve) => setTimeout(resolve, 1100));',
    'await new Promise((r) => setTimeout(r, 20));',
    'export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));',
    "import { setTimeout as delay } from 'node:timers/promises';",
  ];
  for (const code of sleeps) {
    test(`a test may not sleep: ${code}`, async () => {
      for (const file of ['test/integration/example.test.ts', 'test/functions-host/helpers.ts']) {
        const messages = await messagesFor(code, file);
        assert.ok(
          messages.some((m) => m.includes('A fixed sleep in a test')),
          `${file}: ${JSON.stringify(messages)}`,
        );
      }
    });
  }

  test('waiting with eventually(), a deadline timer and test/support/ itself are allowed', async () => {
    const code = [
      "import { eventually } from '../support/eventually.js';",
      "await eventually('the job done', async () => ({ status: 'done' }), (job) => job.status === 'done');",
      'await new Promise((resolve, reject) => {',
      "  const deadline = setTimeout(() => reject(new Error('no answer')), 10_000);",
      '  resolve(deadline);',
      '});',
    ].join('\n');
    assert.deepEqual(await messagesFor(code, 'test/integration/example.test.ts'), []);
    assert.deepEqual(await messagesFor(sleeps[0], 'test/support/example.ts'), []);
  });
});
