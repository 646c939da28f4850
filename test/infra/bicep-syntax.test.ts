// Every .bicep file in infra/ must parse: the offline stand-in for `bicep build`.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { bicepSyntaxErrors } from './bicep-parser.js';

const infraDir = path.resolve(__dirname, '..', '..', 'infra');

function bicepFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return bicepFiles(full);
    return entry.name.endsWith('.bicep') ? [full] : [];
  });
}

test('infra/ has the entry point and its modules', () => {
  const names = bicepFiles(infraDir)
    .map((f) => path.relative(infraDir, f))
    .sort();
  assert.deepEqual(names, [
    'app/api.bicep',
    'app/dts-access.bicep',
    'app/dts.bicep',
    'app/openai-role.bicep',
    'app/rbac.bicep',
    'main.bicep',
  ]);
});

test('every local module main.bicep references exists', () => {
  const main = readFileSync(path.join(infraDir, 'main.bicep'), 'utf8');
  const local = [...main.matchAll(/^module \w+ '([^']+\.bicep)'/gm)].map((m) => m[1]);
  assert.ok(local.length >= 5, `local modules: ${local.join(', ')}`);
  const present = new Set(bicepFiles(infraDir).map((f) => path.relative(infraDir, f)));
  for (const ref of local)
    assert.ok(present.has(path.normalize(ref)), `main.bicep references missing ${ref}`);
});

for (const file of bicepFiles(infraDir)) {
  test(`parses without syntax errors: ${path.relative(infraDir, file)}`, async () => {
    assert.deepEqual(await bicepSyntaxErrors(readFileSync(file, 'utf8')), []);
  });
}

test('the parser rejects broken Bicep (so a pass above means something)', async () => {
  const broken =
    "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'x'\n  properties: {\n";
  assert.notDeepEqual(await bicepSyntaxErrors(broken), []);
  assert.notDeepEqual(await bicepSyntaxErrors('param location string = \nvar = 3'), []);
  assert.notDeepEqual(
    await bicepSyntaxErrors("module m 'br/public:avm/res/web/site:0.15.1' = {\n  params: {\n    name: 'x'\n"),
    [],
  );
});
