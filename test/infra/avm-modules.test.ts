// Azure Verified Modules: every registry reference is pinned to an exact version, and the
// set of modules and versions is the one infra/README.md documents (with where each was
// copied from), so a version change is always a deliberate edit of both.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

const infraDir = path.resolve(__dirname, '..', '..', 'infra');

function bicepSources(dir = infraDir): Array<{ file: string; text: string }> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return bicepSources(full);
    return entry.name.endsWith('.bicep')
      ? [{ file: path.relative(infraDir, full), text: readFileSync(full, 'utf8') }]
      : [];
  });
}

/** Every registry reference: `module x 'br/...'`, `br:` forms and `import ... from 'br/...'`. */
function registryReferences(): Array<{ file: string; ref: string }> {
  return bicepSources().flatMap(({ file, text }) =>
    [...text.matchAll(/'(br[:/][^']*)'/g)].map((m) => ({ file, ref: m[1] })),
  );
}

// Sources: Azure-Samples/functions-quickstart-typescript-azd (infra/main.bicep and
// infra/app/api.bicep at cba3922; functions-quickstart-javascript-azd and
// durable-functions-quickstart-typescript-azd pin the same versions) for all but the OpenAI
// account, Key Vault and the site config module, whose versions and parameters come from
// Azure/bicep-registry-modules at tags avm/res/cognitive-services/account/0.13.2,
// avm/res/key-vault/vault/0.14.0 (the newest release of that module, 2026-07-20) and
// avm/res/web/site/config/0.2.2 (the newest of that child module, 2026-05-11).
const expected: Record<string, string> = {
  'avm/res/managed-identity/user-assigned-identity': '0.4.1',
  'avm/res/web/serverfarm': '0.1.1',
  'avm/res/storage/storage-account': '0.8.3',
  'avm/res/operational-insights/workspace': '0.11.1',
  'avm/res/insights/component': '0.6.0',
  'avm/res/web/site': '0.15.1',
  'avm/res/cognitive-services/account': '0.13.2',
  'avm/res/key-vault/vault': '0.14.0',
  'avm/res/web/site/config': '0.2.2',
};

describe('Azure Verified Modules', () => {
  const refs = registryReferences();

  test('infra uses AVM modules', () => {
    assert.ok(refs.length >= Object.keys(expected).length, refs.map((r) => r.ref).join(', '));
  });

  test('every registry reference is br/public:avm/... pinned to an exact x.y.z version', () => {
    for (const { file, ref } of refs) {
      assert.match(
        ref,
        /^br\/public:avm\/(res|ptn|utl)\/[a-z0-9-]+\/[a-z0-9-]+(\/[a-z0-9-]+)*:\d+\.\d+\.\d+$/,
        `${file}: ${ref} is not a pinned public AVM module`,
      );
    }
  });

  test('the pin check rejects floating or unversioned references', () => {
    const pinned = /^br\/public:avm\/(res|ptn|utl)\/[a-z0-9-]+\/[a-z0-9-]+(\/[a-z0-9-]+)*:\d+\.\d+\.\d+$/;
    for (const bad of [
      'br/public:avm/res/web/site',
      'br/public:avm/res/web/site:latest',
      'br/public:avm/res/web/site:0.15',
      'br:myregistry.azurecr.io/bicep/site:1.0.0',
    ]) {
      assert.doesNotMatch(bad, pinned, bad);
    }
  });

  test('infra uses exactly the documented modules and versions', () => {
    const used = new Map<string, string>();
    for (const { ref } of refs) {
      const [, module, version] = /^br\/public:(.+):(.+)$/.exec(ref) ?? [];
      assert.ok(!used.has(module) || used.get(module) === version, `${module} is pinned to two versions`);
      used.set(module, version);
    }
    assert.deepEqual(
      Object.fromEntries([...used].sort()),
      Object.fromEntries(Object.entries(expected).sort()),
    );
  });

  test('infra/README.md lists each module with its version', () => {
    const readme = readFileSync(path.join(infraDir, 'README.md'), 'utf8');
    for (const [module, version] of Object.entries(expected)) {
      assert.match(
        readme,
        new RegExp(`\\| \`${module}\` \\| ${version.replace(/\./g, '\\.')} \\|`),
        `${module} ${version} missing from the README table`,
      );
    }
  });
});
