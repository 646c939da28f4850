// Catches the defects azd templates commonly ship with, before anyone runs `azd up`:
// settings the code reads that infra never sets, role names that do not match their
// GUIDs, keys or secrets in infra, and a runtime version other than the one we test on.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { settingNames } from '../../src/config.js';

const root = path.resolve(__dirname, '..', '..');
const infraDir = path.join(root, 'infra');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

function infraSources(dir = infraDir): Array<{ file: string; text: string }> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return infraSources(full);
    return [{ file: path.relative(root, full), text: readFileSync(full, 'utf8') }];
  });
}

/** The app settings block of the Function App (`properties: { NAME: value ... }` of the appsettings config). */
function infraAppSettings(): Map<string, string> {
  const bicep = read('infra/app/resources.bicep');
  const block = /name: 'appsettings'\s*\n\s*properties: \{\n([\s\S]*?)\n\s*\}/.exec(bicep);
  assert.ok(block, 'infra/app/resources.bicep has an appsettings config resource');
  const settings = new Map<string, string>();
  for (const line of block[1].split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.+)$/.exec(line);
    if (match) settings.set(match[1], match[2].trim());
  }
  return settings;
}

describe('app settings', () => {
  const infra = infraAppSettings();
  const sample = JSON.parse(read('local.settings.sample.json')) as { Values: Record<string, string> };

  // Rules for names that legitimately differ between Azure and a laptop:
  // - AZURE_OPENAI_API_KEY is optional and must NOT be set on Azure (keyless: managed identity).
  // - VIDEO_STORAGE is a connection string locally (Azurite); on Azure the identity-based
  //   form VIDEO_STORAGE__blobServiceUri is used instead, and vice versa.
  // - AZURE_CLIENT_ID names the user-assigned identity on Azure; locally it is unset.
  const azureOnly = new Set(['AZURE_CLIENT_ID', 'VIDEO_STORAGE__blobServiceUri']);
  const localOnly = new Set(['AZURE_OPENAI_API_KEY', 'VIDEO_STORAGE']);

  test('the app reads a non-empty list of settings', () => {
    assert.ok(settingNames.length >= 10, `settingNames: ${settingNames.join(', ')}`);
    assert.ok(settingNames.includes('AZURE_OPENAI_ENDPOINT'));
  });

  for (const name of settingNames) {
    if (!localOnly.has(name)) {
      test(`infra sets ${name}`, () => assert.ok(infra.has(name), `${name} is read by src/config.ts but not set in infra`));
    }
    if (!azureOnly.has(name)) {
      test(`local.settings.sample.json has ${name}`, () => assert.ok(name in sample.Values, `${name} missing from local.settings.sample.json`));
    }
  }

  test('infra never sets an API key: the app authenticates with its managed identity', () => {
    assert.equal(infra.has('AZURE_OPENAI_API_KEY'), false);
  });

  test('host storage is identity-based (blob, queue and table for Durable Functions)', () => {
    for (const name of ['AzureWebJobsStorage__blobServiceUri', 'AzureWebJobsStorage__queueServiceUri', 'AzureWebJobsStorage__tableServiceUri', 'AzureWebJobsStorage__clientId']) {
      assert.ok(infra.has(name), name);
    }
    assert.equal(infra.get('AzureWebJobsStorage__credential'), "'managedidentity'");
    assert.equal(infra.has('AzureWebJobsStorage'), false, 'no connection string for the host storage');
  });

  test('every infra setting is one the app or the platform reads', () => {
    const platform = /^(AzureWebJobsStorage__|APPLICATIONINSIGHTS_|VIDEO_STORAGE__(credential|clientId)$)/;
    for (const name of infra.keys()) {
      assert.ok((settingNames as readonly string[]).includes(name) || platform.test(name), `${name} is set by infra but nothing reads it`);
    }
  });
});

describe('role assignments', () => {
  // Source: Azure built-in roles reference (learn.microsoft.com/azure/role-based-access-control/built-in-roles),
  // sections Storage, Monitor and AI + machine learning.
  const documentedRoles: Record<string, string> = {
    'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
    'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
    'Cognitive Services OpenAI User': '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd',
  };
  const bicep = read('infra/app/resources.bicep');
  const rolesBlock = /var roles = \{([\s\S]*?)\n\}/.exec(bicep)?.[1] ?? '';
  const declared = new Map([...rolesBlock.matchAll(/(\w+): '([0-9a-f-]{36})'/g)].map((m) => [m[1], m[2]]));

  test('infra declares exactly the documented roles, each with its documented GUID', () => {
    const camel = (name: string) => name.replace(/[^A-Za-z ]/g, '').split(' ').map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1).toLowerCase())).join('');
    const expected = new Map(Object.entries(documentedRoles).map(([name, id]) => [camel(name).replace('Openai', 'OpenAi'), id]));
    assert.deepEqual(Object.fromEntries(declared), Object.fromEntries(expected));
  });

  test('every role GUID used in infra is one of the documented ones', () => {
    const known = new Set(Object.values(documentedRoles));
    for (const { file, text } of infraSources()) {
      for (const match of text.matchAll(/'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'/g)) {
        assert.ok(known.has(match[1]), `${file}: unknown role id ${match[1]}`);
      }
    }
  });

  test('each declared role is assigned to the app identity', () => {
    for (const key of declared.keys()) {
      const assigned = new RegExp(`roles\\.${key}\\b`).test(bicep.slice(bicep.indexOf('var storageRoles')));
      assert.ok(assigned, `roles.${key} is declared but never assigned`);
    }
  });
});

describe('no secrets in infra', () => {
  const forbidden: Array<[RegExp, string]> = [
    [/listKeys\s*\(/i, 'listKeys()'],
    [/AccountKey\s*=/i, 'an account key in a connection string'],
    [/SharedAccessSignature|sig=/i, 'a SAS token'],
    [/allowSharedKeyAccess:\s*true/, 'shared-key access on'],
    [/disableLocalAuth:\s*false|DisableLocalAuth:\s*false/, 'local (key) auth on'],
    [/@secure\(\)/, 'a secure parameter (keyless deployments need none)'],
  ];
  for (const { file, text } of infraSources()) {
    test(`${file} holds no keys or secrets`, () => {
      for (const [pattern, what] of forbidden) assert.equal(pattern.test(text), false, `${file} contains ${what}`);
    });
  }
  test('storage disables shared keys and public blob access and requires TLS 1.2', () => {
    const bicep = read('infra/app/resources.bicep');
    assert.match(bicep, /allowSharedKeyAccess: false/);
    assert.match(bicep, /allowBlobPublicAccess: false/);
    assert.match(bicep, /minimumTlsVersion: 'TLS1_2'/);
  });
});

describe('runtime and packaging', () => {
  test('the Function App runs the Node major the tests run on', () => {
    const bicep = read('infra/app/resources.bicep');
    const runtime = /runtime: \{\s*name: 'node'\s*version: '(\d+)'/.exec(bicep);
    assert.ok(runtime, 'functionAppConfig.runtime names node and a version');
    assert.equal(runtime[1], process.versions.node.split('.')[0]);
  });

  test('azure.yaml deploys this folder as a TypeScript function service built remotely', () => {
    const azd = parseYaml(read('azure.yaml')) as { services: Record<string, Record<string, unknown>>; infra?: { path?: string; module?: string } };
    assert.deepEqual(Object.keys(azd.services), ['api']);
    const api = azd.services.api;
    assert.equal(api.host, 'function');
    assert.equal(api.language, 'ts');
    assert.equal(api.remoteBuild, true);
    assert.ok(existsSync(path.join(root, String(api.project), 'package.json')), 'service project folder has a package.json');
    assert.ok(existsSync(path.join(root, azd.infra?.path ?? 'infra', `${azd.infra?.module ?? 'main'}.bicep`)));
    assert.match(read('infra/main.bicep'), /'azd-service-name': 'api'|azd-env-name/);
    assert.match(read('infra/app/resources.bicep'), /'azd-service-name': 'api'/);
  });

  test('the remote build produces package.json main, and .funcignore ships what it needs', () => {
    const pkg = JSON.parse(read('package.json')) as { main: string; scripts: Record<string, string> };
    assert.ok(pkg.scripts.build, 'npm run build exists (Oryx runs it on remote build)');
    const tsconfigBuild = JSON.parse(read('tsconfig.build.json').replace(/\/\/.*$/gm, '')) as { compilerOptions: { outDir: string }; include: string[] };
    assert.ok(pkg.main.startsWith(`${tsconfigBuild.compilerOptions.outDir}/src/`), `main ${pkg.main} is inside the build output`);
    const ignore = read('.funcignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const needed of ['package.json', 'package-lock.json', 'host.json', 'src', 'tsconfig.json', 'tsconfig.build.json']) {
      assert.ok(!ignore.some((p) => p.replace(/\/$/, '') === needed), `.funcignore must not exclude ${needed}`);
    }
    for (const excluded of ['node_modules', 'test', 'emulators', 'local.settings.json']) {
      assert.ok(ignore.some((p) => p.replace(/^\//, '').replace(/\/$/, '') === excluded), `.funcignore should exclude ${excluded}`);
    }
  });
});
