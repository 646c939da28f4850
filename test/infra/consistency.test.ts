// Catches the defects azd templates commonly ship with, before anyone runs `azd up`:
// settings the code reads that infra never sets (and settings infra sets that nothing reads),
// role names that do not match their GUIDs, secrets anywhere but Key Vault, a model the
// default deployment would create that is retired, a runtime version other than the one we
// test on, and a Durable backend in host.json that infra did not provision.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { providerNames, settingNames } from '../../src/config.js';
import { MAX_UPLOAD_BYTES } from '../../src/uploads/receive-image.js';

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

/** The `NAME: value` lines of a Bicep object literal `var <name> = ... {` ... `}` (app/api.bicep by default). */
function settingsBlock(varName: string, file = 'infra/app/api.bicep'): Map<string, string> {
  const bicep = read(file);
  const block = new RegExp(`^var ${varName} = [^\\n]*\\{\\n([\\s\\S]*?)\\n\\}`, 'm').exec(bicep);
  assert.ok(block, `${file} declares var ${varName}`);
  const settings = new Map<string, string>();
  for (const line of block[1].split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.+)$/.exec(line);
    if (match) settings.set(match[1], match[2].trim());
  }
  return settings;
}

/** Names in a Bicep text's `var <name> = union(` ... `)` of `NAME: 'value'` pairs (main.bicep's secretSettings). */
function unionPairs(varName: string, file: string): Map<string, string> {
  const text = read(file);
  const start = text.indexOf(`var ${varName} = union(`);
  assert.ok(start >= 0, `${file} declares var ${varName} = union(...)`);
  const body = text.slice(start, text.indexOf('\n)\n', start));
  return new Map([...body.matchAll(/([A-Z][A-Z0-9_]*): '([a-z0-9-]+)'/g)].map((m) => [m[1], m[2]]));
}

/** `param <name> <type> [= default]` with its decorators, from a Bicep text. */
interface BicepParam {
  name: string;
  type: string;
  defaultText?: string;
  decorators: string;
}
function bicepParams(text: string): Map<string, BicepParam> {
  const params = new Map<string, BicepParam>();
  const lines = text.split('\n');
  let decorators: string[] = [];
  let depth = 0;
  for (const line of lines) {
    const param = /^param (\w+) ([\w[\]]+)(?: = (.+))?$/.exec(line);
    if (param) {
      params.set(param[1], {
        name: param[1],
        type: param[2],
        defaultText: param[3],
        decorators: decorators.join('\n'),
      });
      decorators = [];
      continue;
    }
    if (/^@/.test(line) || depth > 0) {
      decorators.push(line);
      depth += (line.match(/[({[]/g) ?? []).length - (line.match(/[)}\]]/g) ?? []).length;
      continue;
    }
    if (!line.startsWith('//')) decorators = [];
  }
  return params;
}

const mainBicep = read('infra/main.bicep');
const apiBicep = read('infra/app/api.bicep');
const mainParams = bicepParams(mainBicep);
const parametersFile = JSON.parse(read('infra/main.parameters.json')) as {
  parameters: Record<string, { value: string }>;
};

/** What a parameter is at `azd up` with nothing set: the mapping's `${VAR=default}`, else the Bicep default. */
function effectiveDefault(
  params: Map<string, BicepParam>,
  mapping: Record<string, { value: string }>,
  name: string,
): string | undefined {
  const mapped = mapping[name]?.value;
  const envDefault = mapped === undefined ? undefined : /^\$\{\w+=(.*)\}$/.exec(mapped)?.[1];
  if (envDefault !== undefined) return envDefault;
  const bicepDefault = params.get(name)?.defaultText;
  if (bicepDefault === undefined) return undefined; // azd asks (or generates)
  return /^'(.*)'$/.exec(bicepDefault)?.[1] ?? bicepDefault;
}

// Settings that hold a secret: they reach the app only as Key Vault references. The contract's
// secrets; any other setting the app reads whose name says KEY, SECRET or TOKEN must be one of
// them or local-only (checked below), so a new secret cannot slip into plain settings.
const secretSettingNames = [
  'FAL_KEY',
  'REPLICATE_API_TOKEN',
  'REPLICATE_WEBHOOK_SECRET',
  'OPENAI_API_KEY',
  'GOOGLE_GENERATIVE_AI_API_KEY',
  'XAI_API_KEY',
  'AI_GATEWAY_API_KEY',
  'OUTBOUND_WEBHOOK_SECRET',
  'IDEMPOTENCY_KEY_SECRET',
];
// Secure parameter → the setting it feeds.
const secureParams: Record<string, string> = {
  falKey: 'FAL_KEY',
  replicateApiToken: 'REPLICATE_API_TOKEN',
  replicateWebhookSecret: 'REPLICATE_WEBHOOK_SECRET',
  openAiApiKey: 'OPENAI_API_KEY',
  googleGenerativeAiApiKey: 'GOOGLE_GENERATIVE_AI_API_KEY',
  xaiApiKey: 'XAI_API_KEY',
  aiGatewayApiKey: 'AI_GATEWAY_API_KEY',
  outboundWebhookSecret: 'OUTBOUND_WEBHOOK_SECRET',
  idempotencyKeySecret: 'IDEMPOTENCY_KEY_SECRET',
};
// Never set on Azure: key auth to Azure OpenAI (the identity is used), Azurite's connection
// string, and the local-development switch.
const neverOnAzure = ['AZURE_OPENAI_API_KEY', 'VIDEO_STORAGE', 'ALLOW_LOCAL_CALLBACKS'];

describe('app settings', () => {
  const plainBlocks = ['appSettings', 'openAiAppSettings', 'openAiBaseUrlSettings', 'dtsAppSettings'];
  const plain = new Map(plainBlocks.flatMap((name) => [...settingsBlock(name)]));
  const secrets = unionPairs('secretSettings', 'infra/main.bicep');
  const publicUrl = /PUBLIC_BASE_URL: ('[^'\n]*')/.exec(apiBicep);
  /** Every setting infra can put on the Function App. */
  const infraSets = new Set([...plain.keys(), ...secrets.keys(), ...(publicUrl ? ['PUBLIC_BASE_URL'] : [])]);
  const sample = JSON.parse(read('local.settings.sample.json')) as { Values: Record<string, string> };
  const readme = read('infra/README.md');
  const notSetBlock = /<!-- settings-not-set -->\n([\s\S]*?)\n\n/.exec(readme)?.[1] ?? '';
  const documentedUnset = new Set([...notSetBlock.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]));
  // Set only on Azure: the identity's client id, the identity-based storage URI, the app's public URL.
  const azureOnly = new Set(['AZURE_CLIENT_ID', 'VIDEO_STORAGE__blobServiceUri', 'PUBLIC_BASE_URL']);

  test("the app reads a non-empty list of settings, including every provider's", () => {
    assert.ok(settingNames.length >= 10, `settingNames: ${settingNames.join(', ')}`);
    for (const name of ['AZURE_OPENAI_ENDPOINT', 'DEFAULT_PROVIDER', 'PUBLIC_BASE_URL'])
      assert.ok((settingNames as readonly string[]).includes(name), name);
  });

  for (const name of settingNames) {
    test(`infra sets ${name}, or infra/README.md says why not`, () => {
      assert.ok(
        infraSets.has(name) || documentedUnset.has(name),
        `${name} is read by src/config.ts but neither set by infra nor listed under <!-- settings-not-set --> in infra/README.md`,
      );
      assert.ok(
        !(infraSets.has(name) && documentedUnset.has(name)),
        `${name} is set by infra and also documented as not set`,
      );
    });
    if (!azureOnly.has(name)) {
      test(`local.settings.sample.json has ${name}`, () =>
        assert.ok(name in sample.Values, `${name} missing from local.settings.sample.json`));
    }
  }

  test('the README list of settings infra leaves unset names only settings the app reads', () => {
    assert.ok(documentedUnset.size > 0, 'infra/README.md has the <!-- settings-not-set --> table');
    for (const name of documentedUnset)
      assert.ok(
        (settingNames as readonly string[]).includes(name),
        `${name} is documented as not set but the app does not read it`,
      );
  });

  test('every infra setting is one the app or the platform reads', () => {
    // DURABLE_TASK_SCHEDULER_CONNECTION_STRING is read by the Durable extension, named by
    // host.json's storageProvider.connectionStringName on the scheduler backend.
    const platform =
      /^(AzureWebJobsStorage__|APPLICATIONINSIGHTS_|VIDEO_STORAGE__(credential|clientId)$|DURABLE_TASK_SCHEDULER_CONNECTION_STRING$|FUNCTIONS_REQUEST_BODY_SIZE_LIMIT$)/;
    for (const name of infraSets) {
      assert.ok(
        (settingNames as readonly string[]).includes(name) || platform.test(name),
        `${name} is set by infra but nothing reads it`,
      );
    }
  });

  // Issue item: the host's default (100 MB) let an anonymous POST make it take in 100 MB. The
  // largest route limit is an upload's 10 MiB image (src/uploads/receive-image.ts).
  test("the host's request body limit is a few MiB, above every route's own", () => {
    const limit = Number(plain.get('FUNCTIONS_REQUEST_BODY_SIZE_LIMIT')?.replace(/'/g, ''));
    assert.ok(
      limit > MAX_UPLOAD_BYTES && limit <= MAX_UPLOAD_BYTES + 2 * 1024 * 1024,
      `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: ${limit}`,
    );
  });

  test('settings infra must never set on Azure are absent', () => {
    for (const name of neverOnAzure) assert.equal(infraSets.has(name), false, name);
    assert.ok(
      neverOnAzure.every((name) => documentedUnset.has(name)),
      'each is documented in infra/README.md',
    );
  });

  test('host storage is identity-based (blob, queue and table for Durable Functions)', () => {
    for (const name of [
      'AzureWebJobsStorage__blobServiceUri',
      'AzureWebJobsStorage__queueServiceUri',
      'AzureWebJobsStorage__tableServiceUri',
      'AzureWebJobsStorage__clientId',
    ]) {
      assert.ok(plain.has(name), name);
    }
    assert.equal(plain.get('AzureWebJobsStorage__credential'), "'managedidentity'");
    assert.equal(plain.has('AzureWebJobsStorage'), false, 'no connection string for the host storage');
    assert.equal(plain.get('VIDEO_STORAGE__credential'), "'managedidentity'");
  });

  test('every setting block reaches the Function App', () => {
    assert.match(
      apiBicep,
      /appSettingsKeyValuePairs: union\(\s*appSettings,\s*openAiAppSettings,\s*openAiBaseUrlSettings,\s*providerInstanceAppSettings,\s*keyVaultReferences,\s*dtsAppSettings\s*\)/,
    );
  });

  test('named provider instances: plain fields as VIDEO_PROVIDERS__<name>__<FIELD>, each key a Key Vault reference', () => {
    assert.match(
      apiBicep,
      /var providerInstanceAppSettings = toObject\(\s*items\(providerInstanceSettings\),\s*entry => 'VIDEO_PROVIDERS__\$\{entry\.key\}',/,
    );
    assert.match(
      mainBicep,
      /var instanceKeySecrets = toObject\(\s*items\(providerInstanceKeys\),\s*entry => 'VIDEO_PROVIDERS__\$\{entry\.key\}__API_KEY',\s*entry => 'provider-\$\{toLower\(replace\(entry\.key, '_', '-'\)\)\}-api-key'\s*\)/,
    );
    assert.match(mainBicep, /var secretSettings = union\(\s*instanceKeySecrets,/);
    assert.match(
      mainBicep,
      /map\(items\(providerInstanceKeys\), entry => \{\s*name: 'provider-\$\{toLower\(replace\(entry\.key, '_', '-'\)\)\}-api-key'\s*value: entry\.value/,
    );
    assert.match(mainBicep, /providerInstanceSettings: providerInstanceSettings/);
  });

  test('conditional blocks: Azure OpenAI only with an endpoint, OPENAI_BASE_URL only when given, the scheduler only on its backend', () => {
    assert.match(apiBicep, /^var openAiAppSettings = empty\(openAiEndpoint\) \? \{\} : \{$/m);
    assert.match(apiBicep, /^var openAiBaseUrlSettings = empty\(openAiBaseUrl\) \? \{\} : \{$/m);
    assert.match(apiBicep, /^var dtsAppSettings = empty\(dtsEndpoint\) \? \{\} : \{$/m);
    assert.deepEqual(
      [...settingsBlock('dtsAppSettings').keys()],
      ['DURABLE_TASK_SCHEDULER_CONNECTION_STRING'],
    );
    const value = settingsBlock('dtsAppSettings').get('DURABLE_TASK_SCHEDULER_CONNECTION_STRING') ?? '';
    assert.match(
      value,
      /^'Endpoint=\$\{dtsEndpoint\};Authentication=ManagedIdentity;ClientID=\$\{identityClientId\}'$/,
    );
    assert.match(mainBicep, /dtsEndpoint: useDts \? dts!\.outputs\.endpoint : ''/);
  });

  test('DEFAULT_PROVIDER is the videoProvider parameter, one of the providers the app knows, chosen at azd up', () => {
    const param = mainParams.get('videoProvider');
    assert.ok(param, 'main.bicep has param videoProvider');
    assert.equal(param.defaultText, undefined, 'no default: azd asks at the first azd up');
    const allowed = /@allowed\(\[([^\]]*)\]\)/.exec(param.decorators)?.[1];
    assert.ok(allowed, 'videoProvider has @allowed values');
    const values = [...allowed.matchAll(/'([^']+)'/g)].map((m) => m[1]);
    assert.deepEqual([...values].sort(), [...providerNames].sort());
    assert.equal(parametersFile.parameters.videoProvider?.value, '${VIDEO_PROVIDER}');
    assert.equal(plain.get('DEFAULT_PROVIDER'), 'defaultProvider');
    assert.match(mainBicep, /defaultProvider: videoProvider/);
  });

  test("PUBLIC_BASE_URL is https:// + the Function App's default host name, read after the site exists", () => {
    assert.equal(publicUrl?.[1], "'https://${api.outputs.defaultHostname}'");
    assert.match(
      apiBicep,
      /module publicBaseUrl 'br\/public:avm\/res\/web\/site\/config:[\d.]+' = \{[\s\S]*?appName: api\.outputs\.name[\s\S]*?name: 'appsettings'[\s\S]*?currentAppSettings: list\(resourceId\('Microsoft\.Web\/sites\/config', name, 'appsettings'\), '[\d-]+'\)\.properties/,
    );
  });
});

describe('secrets: Key Vault only, referenced, never output', () => {
  const secrets = unionPairs('secretSettings', 'infra/main.bicep');
  const plain = new Map(
    ['appSettings', 'openAiAppSettings', 'openAiBaseUrlSettings', 'dtsAppSettings'].flatMap((name) => [
      ...settingsBlock(name),
    ]),
  );

  test('every setting whose name says KEY, SECRET or TOKEN is a Key Vault secret or never set on Azure', () => {
    for (const name of settingNames) {
      if (/KEY|SECRET|TOKEN/.test(name))
        assert.ok(
          secretSettingNames.includes(name) || neverOnAzure.includes(name),
          `${name} looks like a secret: add it to Key Vault (or to the local-only list)`,
        );
    }
  });

  test('each secret setting maps to a Key Vault secret and never appears as a plain setting', () => {
    assert.deepEqual([...secrets.keys()].sort(), [...secretSettingNames].sort());
    for (const name of secretSettingNames)
      assert.equal(plain.has(name), false, `${name} must not be a plain app setting`);
    for (const secretName of secrets.values())
      assert.match(secretName, /^[a-z0-9-]{1,127}$/, 'Key Vault secret names: letters, digits, dashes');
  });

  test('the app gets each secret as a Key Vault reference resolved with its own identity', () => {
    assert.match(
      apiBicep,
      /var keyVaultReferences = toObject\(\s*items\(secretSettings\),\s*entry => entry\.key,\s*entry => '@Microsoft\.KeyVault\(SecretUri=\$\{keyVaultUri\}secrets\/\$\{entry\.value\}\/\)'\s*\)/,
    );
    assert.match(mainBicep, /keyVaultUri: keyVault\.outputs\.uri\s+secretSettings: secretSettings/);
    assert.match(apiBicep, /keyVaultAccessIdentityResourceId: identityId/);
  });

  test('each secure parameter becomes exactly its Key Vault secret, and a provider key only when given', () => {
    const kvModule = mainBicep.slice(
      mainBicep.indexOf("module keyVault 'br/public:avm/res/key-vault/vault:"),
      mainBicep.indexOf("module api 'app/api.bicep'"),
    );
    for (const [param, setting] of Object.entries(secureParams)) {
      const p = mainParams.get(param);
      assert.ok(p, `main.bicep has param ${param}`);
      assert.match(p.decorators, /@secure\(\)/, `${param} is @secure()`);
      const secretName = secrets.get(setting);
      assert.ok(secretName, `${setting} has a secret name`);
      const generated = /type: 'generate'/.test(p.decorators);
      if (generated) {
        assert.equal(
          p.defaultText,
          undefined,
          `${param}: no Bicep default, so azd generates it once and keeps it`,
        );
        assert.match(
          kvModule,
          new RegExp(`name: '${secretName}'\\s+(//[^\\n]*\\s+)?value: [^\\n]*\\b${param}\\b`),
          `${param} → ${secretName}`,
        );
      } else {
        assert.equal(p.defaultText, "''", `${param} is optional`);
        assert.ok(
          kvModule.includes(`empty(${param}) ? [] : [{ name: '${secretName}', value: ${param} }]`),
          `${param} → ${secretName}, only when given`,
        );
        assert.match(
          mainBicep,
          new RegExp(`empty\\(${param}\\) \\? \\{\\} : \\{ ${setting}: '${secretName}' \\}`),
          `${setting} is referenced only when ${param} is given`,
        );
      }
      const mapped = parametersFile.parameters[param]?.value;
      assert.match(
        mapped ?? '',
        new RegExp(`^\\$\\{${setting}=?\\}$`),
        `${param} comes from azd env ${setting}`,
      );
    }
  });

  test('the outbound webhook secret is in Standard Webhooks form (whsec_ + base64)', () => {
    assert.match(
      mainBicep,
      /value: startsWith\(outboundWebhookSecret, 'whsec_'\) \? outboundWebhookSecret : 'whsec_\$\{base64\(outboundWebhookSecret\)\}'/,
    );
    for (const param of ['outboundWebhookSecret', 'idempotencyKeySecret']) {
      const config = /config: \{\s*length: (\d+)\s+noSpecial: true\s*\}/.exec(
        mainParams.get(param)?.decorators ?? '',
      );
      assert.ok(config && Number(config[1]) >= 32, `${param} is generated with at least 32 characters`);
    }
  });

  test('no output and no plain setting carries a secure parameter or a Key Vault secret', () => {
    for (const file of ['infra/main.bicep', 'infra/app/api.bicep']) {
      const text = read(file);
      for (const line of text.split('\n').filter((l) => l.startsWith('output '))) {
        for (const param of Object.keys(secureParams))
          assert.doesNotMatch(line, new RegExp(`\\b${param}\\b`), `${file}: ${line}`);
        assert.doesNotMatch(
          line,
          /KEY\b|SECRET|TOKEN|secrets/i,
          `${file}: an output named or built like a secret: ${line}`,
        );
      }
    }
    for (const [name, value] of plain) {
      for (const param of Object.keys(secureParams))
        assert.doesNotMatch(value, new RegExp(`\\b${param}\\b`), `${name} = ${value}`);
    }
  });

  test('Key Vault: pinned AVM module, RBAC, soft delete and purge protection, the app identity reads secrets', () => {
    assert.match(mainBicep, /module keyVault 'br\/public:avm\/res\/key-vault\/vault:\d+\.\d+\.\d+' = \{/);
    const kvModule = mainBicep.slice(
      mainBicep.indexOf('module keyVault '),
      mainBicep.indexOf("module api 'app/api.bicep'"),
    );
    assert.match(kvModule, /enableRbacAuthorization: true/);
    assert.match(kvModule, /enableSoftDelete: true/);
    assert.match(kvModule, /enablePurgeProtection: true/);
    assert.match(
      kvModule,
      /principalId: apiUserAssignedIdentity\.outputs\.principalId\s+principalType: 'ServicePrincipal'\s+roleDefinitionIdOrName: roles\.keyVaultSecretsUser/,
    );
    assert.doesNotMatch(kvModule, /accessPolicies/, 'RBAC only, no access policies');
  });
});

describe('the default deployment creates no retired model', () => {
  // Microsoft Foundry model retirement schedule,
  // learn.microsoft.com/azure/ai-foundry/openai/concepts/model-retirement-schedule (updated 2026-09-02):
  //   sora-2 2025-10-06 retired 2026-07-15; sora-2 2025-12-08 retired 2026-10-15;
  //   the jobs-API model sora 2025-05-02: "no earlier than 2026-02-28", on no list since.
  // OpenAI's own Sora API shut down 2026-09-24.
  const retired: Array<{ model: string; version: string; retiredOn: string }> = [
    { model: 'sora-2', version: '2025-10-06', retiredOn: '2026-07-15' },
    { model: 'sora-2', version: '2025-12-08', retiredOn: '2026-10-15' },
    { model: 'sora', version: '2025-05-02', retiredOn: 'no earlier than 2026-02-28' },
  ];
  const retiredNames = new Set(retired.map((r) => r.model));

  /** The model a default `azd up` deploys in a new account ('' = none), from the Bicep text and the parameters file. */
  function defaultModel(bicep: string, mapping: Record<string, { value: string }>): string {
    const params = bicepParams(bicep);
    const existing = effectiveDefault(params, mapping, 'existingOpenAiEndpoint') ?? '';
    const model = effectiveDefault(params, mapping, 'newOpenAiModel') ?? '';
    return existing === '' ? model : '';
  }
  /** Problems: a retired default model, or a retired model offered or hard-coded anywhere. */
  function retiredProblems(bicep: string, mapping: Record<string, { value: string }>): string[] {
    const problems: string[] = [];
    const model = defaultModel(bicep, mapping);
    if (retiredNames.has(model))
      problems.push(
        `the defaults deploy ${model}, retired (${retired
          .filter((r) => r.model === model)
          .map((r) => `${r.version}: ${r.retiredOn}`)
          .join('; ')})`,
      );
    for (const allowed of bicep.matchAll(/@allowed\(\[([^\]]*)\]\)\nparam (\w*[Mm]odel\w*)/g)) {
      for (const value of allowed[1].matchAll(/'([^']+)'/g))
        if (retiredNames.has(value[1])) problems.push(`${allowed[2]} offers the retired ${value[1]}`);
    }
    for (const block of bicep.matchAll(/model: \{[^}]*name: '([^']+)'/g))
      if (retiredNames.has(block[1])) problems.push(`a model block names the retired ${block[1]}`);
    return problems;
  }

  test('with no parameters set, no Azure OpenAI account or model deployment is created', () => {
    assert.equal(defaultModel(mainBicep, parametersFile.parameters), '');
    assert.match(mainBicep, /^var createOpenAi = !useExistingOpenAi && !empty\(newOpenAiModel\)$/m);
    assert.match(
      mainBicep,
      /^module openAi 'br\/public:avm\/res\/cognitive-services\/account:[\d.]+' = if \(createOpenAi\)/m,
    );
  });

  test('infra neither defaults to, offers nor hard-codes a retired model', () => {
    assert.deepEqual(retiredProblems(mainBicep, parametersFile.parameters), []);
  });

  test('the check catches a retired default, whether from Bicep, the parameters file, or an @allowed list', () => {
    const withDefault = mainBicep.replace(
      /^param newOpenAiModel string = ''$/m,
      "param newOpenAiModel string = 'sora'",
    );
    assert.notDeepEqual(
      retiredProblems(
        withDefault,
        parametersFile.parameters.newOpenAiModel
          ? { ...parametersFile.parameters, newOpenAiModel: { value: '${AZURE_OPENAI_MODEL}' } }
          : parametersFile.parameters,
      ),
      [],
    );
    assert.notDeepEqual(
      retiredProblems(mainBicep, {
        ...parametersFile.parameters,
        newOpenAiModel: { value: '${AZURE_OPENAI_MODEL=sora-2}' },
      }),
      [],
    );
    assert.notDeepEqual(
      retiredProblems(`@allowed(['sora', 'sora-2'])\nparam newAccountModel string = 'x'`, {}),
      [],
    );
  });
});

describe('role assignments', () => {
  // Sources: Azure built-in roles reference (learn.microsoft.com/azure/role-based-access-control/built-in-roles),
  // sections Storage, Monitor, AI + machine learning, Integration and Security (Durable Task Data Contributor:
  // built-in-roles/integration#durable-task-data-contributor; the same id is the role's
  // /providers/Microsoft.Authorization/roleDefinitions/0ad04412-... definition, "Durable Task role
  // for all data access operations", dataActions Microsoft.DurableTask/*, and is what
  // Azure-Samples/durable-functions-quickstart-typescript-azd infra/main.bicep assigns.
  // Storage Blob Data Contributor, Storage Blob Delegator: built-in-roles/storage (Delegator:
  // "Get a user delegation key, which can then be used to create a shared access signature for a
  // container or blob", action Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action).
  // Key Vault Secrets User: built-in-roles/security#key-vault-secrets-user, "Read secret contents",
  // dataActions Microsoft.KeyVault/vaults/secrets/getSecret/action and secrets/readMetadata/action;
  // the role Key Vault references need with RBAC (app-service-key-vault-references)).
  const documentedRoles: Record<string, string> = {
    'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
    'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
    'Cognitive Services OpenAI User': '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd',
    'Durable Task Data Contributor': '0ad04412-c4d5-4796-b79c-f76d14c8d402',
    'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
    'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
    'Storage Blob Delegator': 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a',
  };
  const bicep = read('infra/main.bicep');
  const rolesBlock = /^var roles = \{([\s\S]*?)\n\}/m.exec(bicep)?.[1] ?? '';
  const declared = new Map([...rolesBlock.matchAll(/(\w+): '([0-9a-f-]{36})'/g)].map((m) => [m[1], m[2]]));
  const afterRoles = bicep.slice(bicep.indexOf('var roles = {') + rolesBlock.length);

  test('infra declares exactly the documented roles, each with its documented GUID', () => {
    const camel = (name: string) =>
      name
        .replace(/[^A-Za-z ]/g, '')
        .split(' ')
        .map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1).toLowerCase()))
        .join('');
    const expected = new Map(
      Object.entries(documentedRoles).map(([name, id]) => [camel(name).replace('Openai', 'OpenAi'), id]),
    );
    assert.deepEqual(Object.fromEntries(declared), Object.fromEntries(expected));
  });

  test('every role GUID used in infra is one of the documented ones', () => {
    const known = new Set(Object.values(documentedRoles));
    for (const { file, text } of infraSources()) {
      for (const match of text.matchAll(
        /'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'/g,
      )) {
        assert.ok(known.has(match[1]), `${file}: unknown role id ${match[1]}`);
      }
    }
  });

  test('each declared role is assigned', () => {
    for (const key of declared.keys()) {
      assert.ok(
        new RegExp(`roles\\.${key}\\b`).test(afterRoles),
        `roles.${key} is declared but never assigned`,
      );
    }
  });

  test('role-assignment modules assign to the app identity and, optionally, the deploying user', () => {
    for (const file of ['infra/app/rbac.bicep', 'infra/app/dts-access.bicep']) {
      const text = read(file);
      assert.match(text, /principalId: managedIdentityPrincipalId\s+principalType: 'ServicePrincipal'/, file);
      assert.match(
        text,
        /if \(!empty\(userIdentityPrincipalId\)\)/,
        `${file}: user assignments are optional`,
      );
    }
    assert.match(
      bicep,
      /principalId: apiUserAssignedIdentity\.outputs\.principalId\s+principalType: 'ServicePrincipal'\s+roleDefinitionIdOrName: roles\.cognitiveServicesOpenAiUser/,
    );
  });
});

describe('no secrets in infra', () => {
  const forbidden: Array<[RegExp, string]> = [
    [/listKeys\s*\(/i, 'listKeys()'],
    [/AccountKey\s*=/i, 'an account key in a connection string'],
    [/SharedAccessSignature|sig=/i, 'a SAS token'],
    [/allowSharedKeyAccess:\s*true/, 'shared-key access on'],
    [/disableLocalAuth:\s*false|DisableLocalAuth:\s*false/, 'local (key) auth on'],
    [/secretsExportConfiguration/, "an AVM module's key export"],
    [/Authentication=(None|AccessKey)/i, 'a Durable Task Scheduler connection without Entra ID'],
    [/(whsec|sk|r8)_[A-Za-z0-9+/=]{16,}/, 'what looks like a literal provider key or webhook secret'],
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
  test('@secure() marks exactly the secret parameters of main.bicep', () => {
    for (const { file, text } of infraSources()) {
      if (!file.endsWith('.bicep')) continue;
      const marked = [...bicepParams(text).values()]
        .filter((p) => /@secure\(\)/.test(p.decorators))
        .map((p) => p.name)
        .sort();
      // providerInstanceKeys: the named instances' keys (an object of them, each its own secret).
      const expected = [...Object.keys(secureParams), 'providerInstanceKeys'].sort();
      assert.deepEqual(marked, file === 'infra/main.bicep' ? expected : [], file);
    }
  });
  test('both storage accounts disable shared keys and public blob access and require TLS 1.2', () => {
    const bicep = read('infra/main.bicep');
    for (const [pattern, what] of [
      [/allowSharedKeyAccess: false/g, 'shared keys off'],
      [/allowBlobPublicAccess: false/g, 'no public blobs'],
      [/minimumTlsVersion: 'TLS1_2'/g, 'TLS 1.2'],
    ] as const) {
      assert.equal((bicep.match(pattern) ?? []).length, 2, what);
    }
    assert.equal(
      (bicep.match(/module \w+ 'br\/public:avm\/res\/storage\/storage-account:/g) ?? []).length,
      2,
    );
    // The AVM module's default network rule is Deny; the app has no VNet, so it must be Allow.
    assert.match(bicep, /networkAcls: \{\s*defaultAction: 'Allow'/);
  });
  test('Application Insights, Log Analytics and Azure OpenAI have local (key) auth off', () => {
    const bicep = read('infra/main.bicep');
    assert.equal((bicep.match(/disableLocalAuth: true/g) ?? []).length, 3);
  });
  test('the host account has the deployment container; the videos account the private videos container', () => {
    const bicep = read('infra/main.bicep');
    assert.match(
      bicep,
      /^module storage [^\n]*\n[\s\S]*?containers: \[\s*\{\s*name: deploymentContainerName\s*\}\s*\]/m,
    );
    assert.match(
      bicep,
      /^module videoStorage [^\n]*\n[\s\S]*?containers: \[\s*\{\s*name: videoContainerName\s*publicAccess: 'None'\s*\}\s*\]/m,
    );
    assert.match(bicep, /var videoContainerName = 'videos'/);
    assert.match(
      read('infra/app/api.bicep'),
      /VIDEO_STORAGE__blobServiceUri: videoStg\.properties\.primaryEndpoints\.blob/,
    );
  });
});

describe('hardening', () => {
  const workspace =
    /diagnosticSettings: \[\s*\{\s*workspaceResourceId: (logAnalytics\.outputs\.resourceId|logAnalyticsWorkspaceId)\s*\}\s*\]/;
  /** The text of `module <name> ...` up to the next top-level declaration. */
  const moduleText = (text: string, name: string) => {
    const start = text.search(new RegExp(`^module ${name} `, 'm'));
    assert.ok(start >= 0, `module ${name}`);
    const next = text.slice(start + 1).search(/\n(module|resource|var|output|param) /);
    // (declarations start at the beginning of a line)
    return text.slice(start, next < 0 ? undefined : start + 1 + next);
  };

  test('diagnostic settings send the storage account, its blob service, the Function App, Key Vault and Azure OpenAI to Log Analytics', () => {
    for (const name of ['storage', 'videoStorage']) {
      const storage = moduleText(mainBicep, name);
      assert.equal(
        (storage.match(new RegExp(workspace, 'g')) ?? []).length,
        2,
        `${name}: account and blob service`,
      );
      assert.match(storage, /blobServices: \{\s*diagnosticSettings:/);
    }
    assert.match(moduleText(mainBicep, 'keyVault'), workspace);
    assert.match(moduleText(mainBicep, 'openAi'), workspace);
    assert.match(moduleText(apiBicep, 'api'), workspace);
    assert.match(mainBicep, /logAnalyticsWorkspaceId: logAnalytics\.outputs\.resourceId/);
  });

  test("the app's video role is scoped to the videos container (+ Storage Blob Delegator on that account), never Owner there", () => {
    const rbac = read('infra/app/rbac.bicep');
    assert.match(mainBicep, /videoContainerRoleDefinitionId: roles\.storageBlobDataContributor/);
    assert.match(mainBicep, /videoAccountRoleDefinitionId: roles\.storageBlobDelegator/);
    assert.match(
      rbac,
      /resource videoContainerAssignment [^\n]*\{\s*name: [^\n]*\n\s*scope: videoAccount::blobService::container\s*properties: \{\s*roleDefinitionId: [^\n]*videoContainerRoleDefinitionId\)\s*principalId: managedIdentityPrincipalId/,
    );
    assert.match(
      rbac,
      /resource videoAccountAssignment [^\n]*\{\s*name: [^\n]*\n\s*scope: videoAccount\s*properties: \{\s*roleDefinitionId: [^\n]*videoAccountRoleDefinitionId\)\s*principalId: managedIdentityPrincipalId/,
    );
    assert.match(
      rbac,
      /resource videoContainer(?:Assignment)? |resource container 'containers' existing = \{\s*name: videoContainerName/,
    );
    // The host account's roles (Owner among them) are assigned on `storageAccount`, the host's.
    assert.match(rbac, /resource storageRoleAssignments [^\n]*\n[^\n]*\n\s*scope: storageAccount\n/);
    assert.match(
      mainBicep,
      /module rbac 'app\/rbac\.bicep' = \{[\s\S]*?storageAccountName: storage\.outputs\.name\s+videoStorageAccountName: videoStorage\.outputs\.name/,
    );
  });

  test('FTP and basic publishing credentials are off', () => {
    const site = moduleText(apiBicep, 'api');
    assert.match(site, /ftpsState: 'Disabled'/);
    assert.match(
      site,
      /basicPublishingCredentialsPolicies: \[\s*\{\s*name: 'ftp'\s*allow: false\s*\}\s*\{\s*name: 'scm'\s*allow: false\s*\}\s*\]/,
    );
    assert.match(site, /httpsOnly: true/);
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
    assert.match(
      read('infra/app/api.bicep'),
      /scaleAndConcurrency: \{\s*instanceMemoryMB: instanceMemoryMB\s*maximumInstanceCount: maximumInstanceCount/,
    );
  });

  test('azure.yaml deploys the prebuilt package (npm run package → dist/package), no remote build', () => {
    type Hook = { run?: string };
    const azd = parseYaml(read('azure.yaml')) as {
      services: Record<string, Record<string, unknown> & { hooks?: Record<string, Record<string, Hook>> }>;
      infra?: { path?: string; module?: string };
    };
    assert.deepEqual(Object.keys(azd.services), ['api']);
    const api = azd.services.api;
    assert.equal(api.host, 'function');
    assert.equal(api.language, 'ts');
    assert.equal(api.remoteBuild, false);
    assert.equal(api.dist, 'dist/package');
    for (const os of ['posix', 'windows'])
      assert.equal(api.hooks?.prepackage?.[os]?.run, 'npm run package', os);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.package, 'node scripts/build-deploy-package.mjs');
    assert.match(
      read('scripts/build-deploy-package.mjs'),
      /default: path\.join\('dist', 'package'\)/,
      'the script writes where azure.yaml reads',
    );
    assert.ok(
      existsSync(path.join(root, String(api.project), 'package.json')),
      'service project folder has a package.json',
    );
    assert.ok(
      existsSync(path.join(root, azd.infra?.path ?? 'infra', `${azd.infra?.module ?? 'main'}.bicep`)),
    );
    assert.match(read('infra/app/api.bicep'), /'azd-service-name': 'api'/);
  });

  test('.funcignore still keeps settings, tests, stand-ins and installed modules out of a folder deployment', () => {
    const ignore = read('.funcignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    for (const excluded of ['node_modules', 'test', 'emulators', 'local.settings.json']) {
      assert.ok(
        ignore.some((p) => p.replace(/^\//, '').replace(/\/$/, '') === excluded),
        `.funcignore should exclude ${excluded}`,
      );
    }
  });
});

describe('Durable backend (Azure Storage or Durable Task Scheduler)', () => {
  type HostJson = {
    extensions: { durableTask: { hubName: string; storageProvider: Record<string, string> } };
  };
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
    return spawnSync(process.execPath, [hook], {
      env: { ...clean, HOST_JSON: file, ...env },
      encoding: 'utf8',
    });
  }
  const withProvider = (
    provider: Record<string, string>,
    hubName = hostJson.extensions.durableTask.hubName,
  ): HostJson => ({
    ...hostJson,
    extensions: {
      ...hostJson.extensions,
      durableTask: { ...hostJson.extensions.durableTask, hubName, storageProvider: provider },
    },
  });
  const dtsProvider = () => readmeDtsHostJson().extensions.durableTask.storageProvider;

  test('the backend is a parameter, Azure Storage by default, mapped from DURABLE_BACKEND', () => {
    assert.match(
      main,
      /@allowed\(\['AzureStorage', 'DurableTaskScheduler'\]\)\nparam durableBackend string = 'AzureStorage'/,
    );
    const params = JSON.parse(read('infra/main.parameters.json')) as {
      parameters: Record<string, { value: string }>;
    };
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
    assert.match(
      dts,
      /ipAllowlist: \[\s*'[^']+'/,
      'a non-empty allow list (an empty one denies all traffic)',
    );
  });

  test('the task hub infra creates is the hub host.json names', () => {
    const hub = /^var durableTaskHubName = '([^']+)'/m.exec(main)?.[1];
    assert.equal(hub, hostJson.extensions.durableTask.hubName);
    assert.match(
      hub ?? '',
      /^[a-zA-Z0-9-]{3,64}$/,
      'task hub name pattern of Microsoft.DurableTask/schedulers/taskHubs',
    );
    assert.equal(readmeDtsHostJson().extensions.durableTask.hubName, hub);
  });

  test("the README's host.json change names the setting infra sets", () => {
    assert.deepEqual(dtsProvider(), {
      type: 'azureManaged',
      connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
    });
  });

  test('azure.yaml runs the backend check before every deploy', () => {
    const azd = parseYaml(read('azure.yaml')) as { hooks?: Record<string, Record<string, { run?: string }>> };
    const predeploy = azd.hooks?.predeploy ?? {};
    for (const os of ['posix', 'windows'])
      assert.equal(predeploy[os]?.run, 'node infra/hooks/check-durable-backend.mjs', os);
  });

  test('hook: committed host.json on the default backend passes', () => {
    const result = spawnSync(process.execPath, [hook], {
      env: { ...process.env, DURABLE_BACKEND: 'AzureStorage' },
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
  });

  test('hook: the README change deploys on the scheduler backend', () => {
    const result = runHook(withProvider(dtsProvider()), {
      DURABLE_BACKEND: 'DurableTaskScheduler',
      DURABLE_TASK_HUB_NAME: 'SoraVideos',
    });
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
    const wrongConnection = runHook(withProvider({ type: 'azureManaged', connectionStringName: 'DTS' }), {
      DURABLE_BACKEND: 'DurableTaskScheduler',
    });
    assert.equal(wrongConnection.status, 1);
    assert.match(wrongConnection.stderr, /connectionStringName/);
    const wrongHub = runHook(withProvider(dtsProvider(), 'OtherHub'), {
      DURABLE_BACKEND: 'DurableTaskScheduler',
      DURABLE_TASK_HUB_NAME: 'SoraVideos',
    });
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
