// Catches the defects azd templates commonly ship with, before anyone runs `azd up`:
// settings the code reads that infra never sets, role names that do not match their
// GUIDs, keys or secrets in infra, a runtime version other than the one we test on, and a
// Durable backend in host.json that infra did not provision.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
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

/** The `NAME: value` lines of a Bicep object literal `var <name> = ... {` ... `}` in app/api.bicep. */
function settingsBlock(varName: string): Map<string, string> {
  const bicep = read('infra/app/api.bicep');
  const block = new RegExp(`^var ${varName} = [^\\n]*\\{\\n([\\s\\S]*?)\\n\\}`, 'm').exec(bicep);
  assert.ok(block, `infra/app/api.bicep declares var ${varName}`);
  const settings = new Map<string, string>();
  for (const line of block[1].split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.+)$/.exec(line);
    if (match) settings.set(match[1], match[2].trim());
  }
  return settings;
}

describe('app settings', () => {
  const infra = settingsBlock('appSettings');
  const dts = settingsBlock('dtsAppSettings');
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
    assert.equal(dts.has('AZURE_OPENAI_API_KEY'), false);
  });

  test('host storage is identity-based (blob, queue and table for Durable Functions)', () => {
    for (const name of ['AzureWebJobsStorage__blobServiceUri', 'AzureWebJobsStorage__queueServiceUri', 'AzureWebJobsStorage__tableServiceUri', 'AzureWebJobsStorage__clientId']) {
      assert.ok(infra.has(name), name);
    }
    assert.equal(infra.get('AzureWebJobsStorage__credential'), "'managedidentity'");
    assert.equal(infra.has('AzureWebJobsStorage'), false, 'no connection string for the host storage');
    assert.equal(infra.get('VIDEO_STORAGE__credential'), "'managedidentity'");
    assert.equal(infra.has('VIDEO_STORAGE'), false, 'no connection string for the video storage');
  });

  test('every infra setting is one the app or the platform reads', () => {
    // DURABLE_TASK_SCHEDULER_CONNECTION_STRING is read by the Durable extension, named by
    // host.json's storageProvider.connectionStringName on the scheduler backend.
    const platform = /^(AzureWebJobsStorage__|APPLICATIONINSIGHTS_|VIDEO_STORAGE__(credential|clientId)$|DURABLE_TASK_SCHEDULER_CONNECTION_STRING$)/;
    for (const name of [...infra.keys(), ...dts.keys()]) {
      assert.ok((settingNames as readonly string[]).includes(name) || platform.test(name), `${name} is set by infra but nothing reads it`);
    }
  });

  test('both setting blocks reach the Function App', () => {
    assert.match(read('infra/app/api.bicep'), /appSettingsKeyValuePairs: union\(appSettings, dtsAppSettings\)/);
  });

  test('the scheduler setting exists only on that backend and authenticates with the identity', () => {
    assert.deepEqual([...dts.keys()], ['DURABLE_TASK_SCHEDULER_CONNECTION_STRING']);
    assert.match(read('infra/app/api.bicep'), /^var dtsAppSettings = empty\(dtsEndpoint\) \? \{\} : \{$/m);
    const value = dts.get('DURABLE_TASK_SCHEDULER_CONNECTION_STRING') ?? '';
    assert.match(value, /^'Endpoint=\$\{dtsEndpoint\};Authentication=ManagedIdentity;ClientID=\$\{identityClientId\}'$/);
    assert.match(read('infra/main.bicep'), /dtsEndpoint: useDts \? dts!\.outputs\.endpoint : ''/);
  });
});

describe('role assignments', () => {
  // Sources: Azure built-in roles reference (learn.microsoft.com/azure/role-based-access-control/built-in-roles),
  // sections Storage, Monitor, AI + machine learning and Integration (Durable Task Data Contributor:
  // built-in-roles/integration#durable-task-data-contributor; the same id is the role's
  // /providers/Microsoft.Authorization/roleDefinitions/0ad04412-... definition, "Durable Task role
  // for all data access operations", dataActions Microsoft.DurableTask/*, and is what
  // Azure-Samples/durable-functions-quickstart-typescript-azd infra/main.bicep assigns).
  const documentedRoles: Record<string, string> = {
    'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
    'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
    'Cognitive Services OpenAI User': '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd',
    'Durable Task Data Contributor': '0ad04412-c4d5-4796-b79c-f76d14c8d402',
  };
  const bicep = read('infra/main.bicep');
  const rolesBlock = /^var roles = \{([\s\S]*?)\n\}/m.exec(bicep)?.[1] ?? '';
  const declared = new Map([...rolesBlock.matchAll(/(\w+): '([0-9a-f-]{36})'/g)].map((m) => [m[1], m[2]]));
  const afterRoles = bicep.slice(bicep.indexOf('var roles = {') + rolesBlock.length);

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

  test('each declared role is assigned', () => {
    for (const key of declared.keys()) {
      assert.ok(new RegExp(`roles\\.${key}\\b`).test(afterRoles), `roles.${key} is declared but never assigned`);
    }
  });

  test('role-assignment modules assign to the app identity and, optionally, the deploying user', () => {
    for (const file of ['infra/app/rbac.bicep', 'infra/app/dts-access.bicep']) {
      const text = read(file);
      assert.match(text, /principalId: managedIdentityPrincipalId\s+principalType: 'ServicePrincipal'/, file);
      assert.match(text, /if \(!empty\(userIdentityPrincipalId\)\)/, `${file}: user assignments are optional`);
    }
    assert.match(bicep, /principalId: apiUserAssignedIdentity\.outputs\.principalId\s+principalType: 'ServicePrincipal'\s+roleDefinitionIdOrName: roles\.cognitiveServicesOpenAiUser/);
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
    [/secretsExportConfiguration/, "an AVM module's key export"],
    [/Authentication=(None|AccessKey)/i, 'a Durable Task Scheduler connection without Entra ID'],
  ];
  for (const { file, text } of infraSources()) {
    test(`${file} holds no keys or secrets`, () => {
      for (const [pattern, what] of forbidden) {
        // The README quotes the local emulator's connection string (Authentication=None) on purpose.
        if (file.endsWith('.md') && what.includes('Durable Task Scheduler')) continue;
        assert.equal(pattern.test(text), false, `${file} contains ${what}`);
      }
    });
  }
  test('storage disables shared keys and public blob access and requires TLS 1.2', () => {
    const bicep = read('infra/main.bicep');
    assert.match(bicep, /allowSharedKeyAccess: false/);
    assert.match(bicep, /allowBlobPublicAccess: false/);
    assert.match(bicep, /minimumTlsVersion: 'TLS1_2'/);
    // The AVM module's default network rule is Deny; the app has no VNet, so it must be Allow.
    assert.match(bicep, /networkAcls: \{\s*defaultAction: 'Allow'/);
  });
  test('Application Insights, Log Analytics and Azure OpenAI have local (key) auth off', () => {
    const bicep = read('infra/main.bicep');
    assert.equal((bicep.match(/disableLocalAuth: true/g) ?? []).length, 3);
  });
  test('storage has the deployment and the videos containers, private', () => {
    const bicep = read('infra/main.bicep');
    assert.match(bicep, /containers: \[\s*\{\s*name: deploymentContainerName\s*\}\s*\{\s*name: videoContainerName\s*publicAccess: 'None'\s*\}/);
    assert.match(bicep, /var videoContainerName = 'videos'/);
  });
});

describe('runtime and packaging', () => {
  test('the Function App runs the Node major the tests run on', () => {
    const main = read('infra/main.bicep');
    assert.match(main, /runtimeName: 'node'/);
    const version = /runtimeVersion: '(\d+)'/.exec(main);
    assert.ok(version, 'main.bicep passes runtimeVersion');
    assert.equal(version[1], process.versions.node.split('.')[0]);
    assert.match(read('infra/app/api.bicep'), /runtime: \{\s*name: runtimeName\s*version: runtimeVersion/);
  });

  test('Flex Consumption with instance memory and maximum instances as parameters', () => {
    const main = read('infra/main.bicep');
    assert.match(main, /^param instanceMemoryMB int/m);
    assert.match(main, /^param maximumInstanceCount int/m);
    assert.match(main, /name: 'FC1'\s+tier: 'FlexConsumption'/);
    assert.match(read('infra/app/api.bicep'), /scaleAndConcurrency: \{\s*instanceMemoryMB: instanceMemoryMB\s*maximumInstanceCount: maximumInstanceCount/);
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
    assert.match(read('infra/app/api.bicep'), /'azd-service-name': 'api'/);
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

describe('Durable backend (Azure Storage or Durable Task Scheduler)', () => {
  type HostJson = { extensions: { durableTask: { hubName: string; storageProvider: Record<string, string> } } };
  const hostJson = JSON.parse(read('host.json')) as HostJson;
  const main = read('infra/main.bicep');
  const hook = path.join(infraDir, 'hooks', 'check-durable-backend.mjs');
  const scratch = mkdtempSync(path.join(tmpdir(), 'durable-backend-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  /** The host.json change infra/README.md documents for the scheduler. */
  function readmeDtsHostJson(): HostJson {
    const readme = read('infra/README.md');
    const block = /<!-- dts-host-json -->\s*```json\n([\s\S]*?)```/.exec(readme);
    assert.ok(block, 'infra/README.md has the host.json snippet after <!-- dts-host-json -->');
    return JSON.parse(block[1]) as HostJson;
  }

  let fixture = 0;
  function runHook(host: unknown, env: Record<string, string>) {
    const file = path.join(scratch, `host-${fixture++}.json`);
    writeFileSync(file, JSON.stringify(host));
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DURABLE_')));
    return spawnSync(process.execPath, [hook], { env: { ...clean, HOST_JSON: file, ...env }, encoding: 'utf8' });
  }
  const withProvider = (provider: Record<string, string>, hubName = hostJson.extensions.durableTask.hubName): HostJson => ({
    ...hostJson,
    extensions: { ...hostJson.extensions, durableTask: { ...hostJson.extensions.durableTask, hubName, storageProvider: provider } },
  });
  const dtsProvider = () => readmeDtsHostJson().extensions.durableTask.storageProvider;

  test('the backend is a parameter, Azure Storage by default, mapped from DURABLE_BACKEND', () => {
    assert.match(main, /@allowed\(\['AzureStorage', 'DurableTaskScheduler'\]\)\nparam durableBackend string = 'AzureStorage'/);
    const params = JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, { value: string }> };
    assert.equal(params.parameters.durableBackend.value, '${DURABLE_BACKEND=AzureStorage}');
    assert.match(main, /^output DURABLE_BACKEND string = durableBackend$/m);
    assert.match(main, /^output DURABLE_TASK_HUB_NAME string = durableTaskHubName$/m);
  });

  test('host.json as committed uses Azure Storage, which is the default infra provisions', () => {
    assert.equal(hostJson.extensions.durableTask.storageProvider.type, 'AzureStorage');
  });

  test('the scheduler, its task hub and its role exist only on that backend', () => {
    assert.match(main, /^module dts 'app\/dts\.bicep' = if \(useDts\)/m);
    assert.match(main, /^module dtsRoles 'app\/dts-access\.bicep' = if \(useDts\)/m);
    assert.match(main, /roleDefinitionId: roles\.durableTaskDataContributor/);
    const dts = read('infra/app/dts.bicep');
    assert.match(dts, /'Microsoft\.DurableTask\/schedulers@\d{4}-\d{2}-\d{2}'/);
    assert.match(dts, /'Microsoft\.DurableTask\/schedulers\/taskHubs@\d{4}-\d{2}-\d{2}'/);
    assert.match(dts, /ipAllowlist: \[\s*'[^']+'/, 'a non-empty allow list (an empty one denies all traffic)');
  });

  test('the task hub infra creates is the hub host.json names', () => {
    const hub = /^var durableTaskHubName = '([^']+)'/m.exec(main)?.[1];
    assert.equal(hub, hostJson.extensions.durableTask.hubName);
    assert.match(hub ?? '', /^[a-zA-Z0-9-]{3,64}$/, 'task hub name pattern of Microsoft.DurableTask/schedulers/taskHubs');
    assert.equal(readmeDtsHostJson().extensions.durableTask.hubName, hub);
  });

  test("the README's host.json change names the setting infra sets", () => {
    assert.deepEqual(dtsProvider(), { type: 'azureManaged', connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING' });
  });

  test('azure.yaml runs the backend check before every deploy', () => {
    const azd = parseYaml(read('azure.yaml')) as { hooks?: Record<string, Record<string, { run?: string }>> };
    const predeploy = azd.hooks?.predeploy ?? {};
    for (const os of ['posix', 'windows']) assert.equal(predeploy[os]?.run, 'node infra/hooks/check-durable-backend.mjs', os);
  });

  test('hook: committed host.json on the default backend passes', () => {
    const result = spawnSync(process.execPath, [hook], { env: { ...process.env, DURABLE_BACKEND: 'AzureStorage' }, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
  });

  test('hook: the README change deploys on the scheduler backend', () => {
    const result = runHook(withProvider(dtsProvider()), { DURABLE_BACKEND: 'DurableTaskScheduler', DURABLE_TASK_HUB_NAME: 'SoraVideos' });
    assert.equal(result.status, 0, result.stderr);
  });

  test('hook: refuses azureManaged in host.json when Azure Storage was provisioned (or nothing was set)', () => {
    for (const env of [{ DURABLE_BACKEND: 'AzureStorage' }, {}] as Array<Record<string, string>>) {
      const result = runHook(withProvider(dtsProvider()), env);
      assert.equal(result.status, 1);
      assert.match(result.stderr, /azd env set DURABLE_BACKEND DurableTaskScheduler/);
    }
  });

  test('hook: refuses a connection or hub name infra did not create, and an unknown backend', () => {
    const wrongConnection = runHook(withProvider({ type: 'azureManaged', connectionStringName: 'DTS' }), { DURABLE_BACKEND: 'DurableTaskScheduler' });
    assert.equal(wrongConnection.status, 1);
    assert.match(wrongConnection.stderr, /connectionStringName/);
    const wrongHub = runHook(withProvider(dtsProvider(), 'OtherHub'), { DURABLE_BACKEND: 'DurableTaskScheduler', DURABLE_TASK_HUB_NAME: 'SoraVideos' });
    assert.equal(wrongHub.status, 1);
    assert.match(wrongHub.stderr, /hubName/);
    const unknown = runHook(hostJson, { DURABLE_BACKEND: 'Netherite' });
    assert.equal(unknown.status, 1);
  });

  test('hook: only warns when a scheduler exists but host.json still uses Azure Storage', () => {
    const result = runHook(hostJson, { DURABLE_BACKEND: 'DurableTaskScheduler' });
    assert.equal(result.status, 0);
    assert.match(result.stderr, /still uses Azure Storage/);
  });
});
