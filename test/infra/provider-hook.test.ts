// azd's preprovision hook (infra/hooks/check-provider.mjs) stops an `azd up` whose default
// provider has nothing to call it with, before anything is provisioned, and names the command
// that fixes it; every value it asks for reaches a Bicep parameter.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { providerNames } from '../../src/config.js';

const root = path.resolve(__dirname, '..', '..');
const hook = path.join(root, 'infra', 'hooks', 'check-provider.mjs');
const mapping = (
  JSON.parse(readFileSync(path.join(root, 'infra', 'main.parameters.json'), 'utf8')) as {
    parameters: Record<string, { value: string }>;
  }
).parameters;
const mappedEnv = new Set(Object.values(mapping).flatMap(({ value }) => /^\$\{(\w+)/.exec(value)?.[1] ?? []));
const secretLooking = ['FAL_KEY', 'REPLICATE_API_TOKEN', 'OPENAI_API_KEY'];

/** Runs the hook with only these azd values (nothing inherited that could satisfy it). */
function run(env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !mappedEnv.has(k) && k !== 'VIDEO_PROVIDER'),
  );
  return spawnSync(process.execPath, [hook], { env: { ...clean, ...env }, encoding: 'utf8' });
}

describe('preprovision hook: the default provider is set up', () => {
  test('azure.yaml runs it before every provision', () => {
    const azd = parseYaml(readFileSync(path.join(root, 'azure.yaml'), 'utf8')) as {
      hooks?: Record<string, Record<string, { run?: string }>>;
    };
    for (const os of ['posix', 'windows'])
      assert.equal(azd.hooks?.preprovision?.[os]?.run, 'node infra/hooks/check-provider.mjs', os);
  });

  for (const provider of providerNames) {
    test(`${provider} without what it needs is refused with the azd env set commands that fix it, all reaching parameters`, () => {
      const result = run({ VIDEO_PROVIDER: provider });
      assert.equal(result.status, 1, result.stdout);
      const commands = [...result.stderr.matchAll(/azd env set ([A-Z_]+)/g)].map((m) => m[1]);
      assert.ok(commands.length > 0, result.stderr);
      for (const env of commands) assert.ok(mappedEnv.has(env), `${env} reaches no parameter`);
    });
  }

  test('each provider passes once its value is set (presence only: an akvs:// reference counts)', () => {
    assert.equal(run({ VIDEO_PROVIDER: 'fal', FAL_KEY: 'akvs://sub/vault/fal-key' }).status, 0);
    assert.equal(
      run({ VIDEO_PROVIDER: 'replicate', REPLICATE_API_TOKEN: 'r8_x', REPLICATE_WEBHOOK_SECRET: 'whsec_x' })
        .status,
      0,
    );
    assert.equal(run({ VIDEO_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-x' }).status, 0);
    assert.equal(
      run({
        VIDEO_PROVIDER: 'azure-openai',
        EXISTING_OPENAI_ENDPOINT: 'https://a.openai.azure.com/',
        EXISTING_OPENAI_RESOURCE_ID: '/subscriptions/x',
      }).status,
      0,
    );
    assert.equal(
      run({
        VIDEO_PROVIDER: 'azure-openai',
        AZURE_OPENAI_MODEL: 'some-video-model',
        AZURE_OPENAI_MODEL_VERSION: '2026-01-01',
      }).status,
      0,
    );
  });

  test('a key of another provider does not count, nor half of an Azure OpenAI account', () => {
    assert.equal(run({ VIDEO_PROVIDER: 'fal', REPLICATE_API_TOKEN: 'r8_x' }).status, 1);
    assert.equal(
      run({ VIDEO_PROVIDER: 'azure-openai', EXISTING_OPENAI_ENDPOINT: 'https://a.openai.azure.com/' }).status,
      1,
    );
    assert.equal(run({ VIDEO_PROVIDER: 'fal', FAL_KEY: '   ' }).status, 1);
  });

  test('no VIDEO_PROVIDER: passes (azd asks) when some provider is set up, refuses when none is', () => {
    const none = run({});
    assert.equal(none.status, 1);
    assert.match(none.stderr, /azd env set VIDEO_PROVIDER fal/);
    const some = run({ OPENAI_API_KEY: 'sk-x' });
    assert.equal(some.status, 0, some.stderr);
    assert.match(some.stdout, /openai/);
  });

  // REPLICATE_WEBHOOK_SECRET required with Replicate (a security review's item 4): otherwise the
  // app fetches it, with our token, when an anonymous webhook arrives.
  test("Replicate's token without its webhook secret is refused, default provider or not", () => {
    for (const provider of ['replicate', 'fal']) {
      const result = run({ VIDEO_PROVIDER: provider, FAL_KEY: 'fal-x', REPLICATE_API_TOKEN: 'r8_x' });
      assert.equal(result.status, 1, result.stdout);
      assert.match(result.stderr, /azd env set REPLICATE_WEBHOOK_SECRET/);
    }
    assert.ok(mappedEnv.has('REPLICATE_WEBHOOK_SECRET'));
    assert.equal(
      run({
        VIDEO_PROVIDER: 'fal',
        FAL_KEY: 'fal-x',
        REPLICATE_API_TOKEN: 'r8_x',
        REPLICATE_WEBHOOK_SECRET: 'whsec_x',
      }).status,
      0,
    );
  });

  test('an unknown provider is refused', () => {
    assert.equal(run({ VIDEO_PROVIDER: 'sora', FAL_KEY: 'x' }).status, 1);
  });

  test('never prints a value it checks', () => {
    const value = 'fal-secret-value-0123456789';
    for (const result of [
      run({ VIDEO_PROVIDER: 'fal', FAL_KEY: value }),
      run({ VIDEO_PROVIDER: 'replicate', FAL_KEY: value }),
      run({ FAL_KEY: value }),
    ]) {
      assert.doesNotMatch(result.stdout + result.stderr, new RegExp(value));
    }
    for (const name of secretLooking) assert.ok(mappedEnv.has(name), name);
  });
});
