// Settings validation: defaults, both storage forms, and one message naming every problem.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { azureMarkers, loadConfig, sampleSecrets, settingAliases, settingNames } from '../../src/config.js';
import { ConfigError, ProviderTransientError } from '../../src/errors.js';
import { createProviderRegistry } from '../../src/providers/registry.js';

const minimal = {
  AZURE_OPENAI_ENDPOINT: 'http://127.0.0.1:8091/',
  VIDEO_STORAGE: 'UseDevelopmentStorage=true',
};

describe('loadConfig', () => {
  test('applies the documented defaults', () => {
    const config = loadConfig(minimal);
    assert.deepEqual(config.providers, [
      {
        name: 'azure-openai',
        kind: 'azure-openai',
        settings: {
          endpoint: 'http://127.0.0.1:8091',
          apiKey: undefined,
          managedIdentityClientId: undefined,
          jobsDeployment: 'sora',
          videosDeployment: 'sora-2',
        },
      },
    ]);
    assert.equal(config.defaultProvider, 'azure-openai');
    assert.deepEqual(config.videoStorage, {
      kind: 'connectionString',
      connectionString: 'UseDevelopmentStorage=true',
    });
    assert.equal(config.videoContainer, 'videos');
    assert.equal(config.deadlineMinutes, 30);
    assert.deepEqual(config.poll, { minSeconds: 2, maxSeconds: 30 });
    assert.equal(config.sasTtlMinutes, 60);
    assert.equal(config.requestTimeoutSeconds, 30);
  });

  test('uses identity-based storage when only the service URI is set (as on Azure)', () => {
    const config = loadConfig({
      AZURE_OPENAI_ENDPOINT: 'https://x.openai.azure.com',
      VIDEO_STORAGE__blobServiceUri: 'https://st.blob.core.windows.net/',
      AZURE_CLIENT_ID: 'abc',
    });
    assert.deepEqual(config.videoStorage, {
      kind: 'identity',
      blobServiceUri: 'https://st.blob.core.windows.net/',
    });
    assert.equal(config.managedIdentityClientId, 'abc');
    const azure = config.providers.find((p) => p.name === 'azure-openai');
    assert.equal(azure?.kind === 'azure-openai' && azure.settings.managedIdentityClientId, 'abc');
  });

  test("checks a storage connection string's form at load (the client itself is made on first use)", () => {
    for (const connectionString of [
      'UseDevelopmentStorage=true',
      'DefaultEndpointsProtocol=https;AccountName=st;AccountKey=a2V5;EndpointSuffix=core.windows.net',
      'BlobEndpoint=https://st.blob.core.windows.net/;SharedAccessSignature=sv=2025-01-05&sig=x',
    ])
      assert.equal(
        loadConfig({ ...minimal, VIDEO_STORAGE: connectionString }).videoStorage.kind,
        'connectionString',
      );
    for (const connectionString of ['x', 'AccountName=st', 'DefaultEndpointsProtocol=https;AccountKey=a2V5'])
      assert.throws(
        () => loadConfig({ ...minimal, VIDEO_STORAGE: connectionString }),
        (error: Error) =>
          error instanceof ConfigError &&
          /VIDEO_STORAGE must be a storage connection string/.test(error.message) &&
          !error.message.includes('a2V5'),
        connectionString,
      );
  });

  test('accepts decimal poll bounds (sub-second polling in tests)', () => {
    assert.deepEqual(loadConfig({ ...minimal, POLL_MIN_SECONDS: '0.2', POLL_MAX_SECONDS: '1.5' }).poll, {
      minSeconds: 0.2,
      maxSeconds: 1.5,
    });
  });

  test('names every invalid setting in one error', () => {
    const error = (() => {
      try {
        loadConfig({
          AZURE_OPENAI_ENDPOINT: 'ftp://nope',
          VIDEO_CONTAINER: 'Bad_Name',
          POLL_MIN_SECONDS: '-1',
          SAS_TTL_MINUTES: 'soon',
        });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    assert.ok(error instanceof ConfigError);
    assert.equal(error.name, 'ConfigError');
    for (const name of [
      'AZURE_OPENAI_ENDPOINT',
      'VIDEO_STORAGE',
      'VIDEO_CONTAINER',
      'POLL_MIN_SECONDS',
      'SAS_TTL_MINUTES',
    ]) {
      assert.match(error.message, new RegExp(name), `message names ${name}: ${error.message}`);
    }
  });

  test('reports no configured provider and poll bounds in the wrong order', () => {
    assert.throws(
      () =>
        loadConfig({
          VIDEO_STORAGE: 'UseDevelopmentStorage=true',
          POLL_MIN_SECONDS: '40',
          POLL_MAX_SECONDS: '10',
        }),
      (e: Error) =>
        /no video provider is configured/.test(e.message) &&
        /POLL_MIN_SECONDS must not exceed POLL_MAX_SECONDS/.test(e.message),
    );
  });

  test("each provider is configured by its key, with the vendors' public endpoints as defaults", () => {
    const config = loadConfig({
      VIDEO_STORAGE: 'UseDevelopmentStorage=true',
      FAL_KEY: 'fal-key',
      REPLICATE_API_TOKEN: 'r8_token',
      OPENAI_API_KEY: 'sk-x',
    });
    assert.deepEqual(
      config.providers.map((p) => p.name),
      ['openai', 'fal', 'replicate'],
    );
    const settings = Object.fromEntries(config.providers.map((p) => [p.name, p.settings as any]));
    assert.equal(settings.openai.baseUrl, 'https://api.openai.com/v1');
    assert.equal(settings.fal.queueUrl, 'https://queue.fal.run');
    assert.equal(settings.replicate.baseUrl, 'https://api.replicate.com/v1');
    assert.equal(config.defaultProvider, 'openai', 'the first configured in the documented order');
    assert.equal(
      loadConfig({
        VIDEO_STORAGE: 'UseDevelopmentStorage=true',
        FAL_KEY: 'k',
        REPLICATE_API_TOKEN: 't',
        DEFAULT_PROVIDER: 'replicate',
      }).defaultProvider,
      'replicate',
    );
  });

  test('DEFAULT_PROVIDER must name a known, configured provider', () => {
    assert.throws(
      () =>
        loadConfig({ VIDEO_STORAGE: 'UseDevelopmentStorage=true', FAL_KEY: 'k', DEFAULT_PROVIDER: 'sora' }),
      /DEFAULT_PROVIDER must be one of/,
    );
    assert.throws(
      () =>
        loadConfig({
          VIDEO_STORAGE: 'UseDevelopmentStorage=true',
          FAL_KEY: 'k',
          DEFAULT_PROVIDER: 'replicate',
        }),
      /DEFAULT_PROVIDER names replicate, which is not configured/,
    );
  });

  test('webhook secrets must be in whsec_ form', () => {
    assert.throws(
      () => loadConfig({ ...minimal, OUTBOUND_WEBHOOK_SECRET: 'plain' }),
      /OUTBOUND_WEBHOOK_SECRET must be a whsec_/,
    );
    assert.throws(
      () => loadConfig({ ...minimal, REPLICATE_WEBHOOK_SECRET: 'plain' }),
      /REPLICATE_WEBHOOK_SECRET must be a whsec_/,
    );
  });

  test('never echoes a secret value in its message', () => {
    const secret = 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0';
    assert.throws(
      () =>
        loadConfig({ VIDEO_STORAGE: secret, AZURE_OPENAI_API_KEY: 'sk-very-secret', POLL_MIN_SECONDS: 'x' }),
      (e: Error) => !e.message.includes('c2VjcmV0') && !e.message.includes('sk-very-secret'),
    );
  });

  test('settingNames (and the old names in settingAliases) list exactly what loadConfig reads', () => {
    const read = new Set<string>();
    const spy = new Proxy(minimal as Record<string, string>, {
      get: (target, key: string) => {
        read.add(key);
        return target[key];
      },
    });
    loadConfig(spy);
    // Besides the settings: the markers Azure sets on every instance (never app settings).
    assert.deepEqual(
      [...read].sort(),
      [...settingNames, ...Object.keys(settingAliases), ...azureMarkers].sort(),
    );
  });

  // ALLOW_LOCAL_CALLBACKS on Azure (a security review's item 7): refused at start-up.
  test('refuses the local-development callback allowance when running on Azure', () => {
    for (const marker of azureMarkers) {
      assert.throws(
        () => loadConfig({ ...minimal, ALLOW_LOCAL_CALLBACKS: 'true', [marker]: 'video-app' }),
        /ALLOW_LOCAL_CALLBACKS .*must not be true on Azure/,
      );
      assert.equal(
        loadConfig({ ...minimal, ALLOW_LOCAL_CALLBACKS: 'false', [marker]: 'x' }).allowLocalCallbacks,
        false,
      );
    }
    assert.equal(loadConfig({ ...minimal, ALLOW_LOCAL_CALLBACKS: 'true' }).allowLocalCallbacks, true);
  });
});

describe('uploads: their lifetime and the sweep', () => {
  test('default to 24 h and every 10 minutes; a fraction of an hour and any six-field schedule are taken', () => {
    const defaults = loadConfig(minimal);
    assert.equal(defaults.uploadTtlHours, 24);
    assert.equal(defaults.uploadSweepSchedule, '0 */10 * * * *');
    const set = loadConfig({ ...minimal, UPLOAD_TTL_HOURS: '0.5', UPLOAD_SWEEP_SCHEDULE: '*/5 * * * * *' });
    assert.equal(set.uploadTtlHours, 0.5);
    assert.equal(set.uploadSweepSchedule, '*/5 * * * * *');
  });

  test('a bad value stops the app naming the setting', () => {
    assert.throws(
      () => loadConfig({ ...minimal, UPLOAD_TTL_HOURS: '0', UPLOAD_SWEEP_SCHEDULE: 'every ten minutes' }),
      (error: Error) =>
        error instanceof ConfigError &&
        /UPLOAD_TTL_HOURS must be a positive number/.test(error.message) &&
        /UPLOAD_SWEEP_SCHEDULE must be a six-field NCRONTAB schedule/.test(error.message),
    );
    // Five fields (no seconds) is a cron expression, not NCRONTAB: refused rather than misread.
    assert.throws(
      () => loadConfig({ ...minimal, UPLOAD_SWEEP_SCHEDULE: '*/10 * * * *' }),
      /UPLOAD_SWEEP_SCHEDULE/,
    );
  });
});

describe('the provider request timeout', () => {
  test('PROVIDER_REQUEST_TIMEOUT_SECONDS sets it', () => {
    assert.equal(
      loadConfig({ ...minimal, PROVIDER_REQUEST_TIMEOUT_SECONDS: '12' }).requestTimeoutSeconds,
      12,
    );
  });

  test('its old name, SORA_REQUEST_TIMEOUT_SECONDS, still sets it (an alias for one release)', () => {
    assert.equal(loadConfig({ ...minimal, SORA_REQUEST_TIMEOUT_SECONDS: '7' }).requestTimeoutSeconds, 7);
    assert.equal(
      loadConfig({ ...minimal, SORA_REQUEST_TIMEOUT_SECONDS: '7', PROVIDER_REQUEST_TIMEOUT_SECONDS: '7' })
        .requestTimeoutSeconds,
      7,
      'both, agreeing',
    );
    assert.equal(
      loadConfig({ ...minimal, SORA_REQUEST_TIMEOUT_SECONDS: ' ', PROVIDER_REQUEST_TIMEOUT_SECONDS: '9' })
        .requestTimeoutSeconds,
      9,
      'an empty old name is unset',
    );
  });

  test("set through the old name, it bounds every provider's calls", async () => {
    // Every provider configured, on loopback addresses it never reaches: the fetch below answers
    // nothing and fails only when the transport's deadline aborts it.
    const config = loadConfig({
      ...minimal,
      AZURE_OPENAI_API_KEY: 'k',
      OPENAI_API_KEY: 'k',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      FAL_KEY: 'k',
      FAL_QUEUE_URL: 'http://127.0.0.1:9/fal',
      REPLICATE_API_TOKEN: 'k',
      REPLICATE_BASE_URL: 'http://127.0.0.1:9/replicate/v1',
      SORA_REQUEST_TIMEOUT_SECONDS: '0.2',
    });
    // (AbortSignal.timeout does not keep the process alive; an open request would: so does this one.)
    const silent: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => {
        const open = setTimeout(() => reject(new Error('the transport set no deadline')), 10_000);
        init?.signal?.addEventListener('abort', () => {
          clearTimeout(open);
          reject(init.signal!.reason);
        });
      });
    const registry = createProviderRegistry(config, { fetch: silent });
    assert.deepEqual(
      registry.list().map((provider) => provider.kind),
      ['azure-openai', 'openai-videos', 'fal', 'replicate'],
    );
    for (const provider of registry.list()) {
      await assert.rejects(
        provider.getJob({ model: provider.models[0].id, jobId: 'job_1' }),
        (error: Error) =>
          error instanceof ProviderTransientError && /no answer within 200 ms/.test(error.message),
        provider.name,
      );
    }
  });

  test('two different values under the two names stop the app, naming both', () => {
    assert.throws(
      () =>
        loadConfig({ ...minimal, SORA_REQUEST_TIMEOUT_SECONDS: '7', PROVIDER_REQUEST_TIMEOUT_SECONDS: '30' }),
      /SORA_REQUEST_TIMEOUT_SECONDS \(the old name of PROVIDER_REQUEST_TIMEOUT_SECONDS\) and PROVIDER_REQUEST_TIMEOUT_SECONDS are both set, to different values/,
    );
  });

  test('a bad value under the old name is reported under the old name', () => {
    assert.throws(
      () => loadConfig({ ...minimal, SORA_REQUEST_TIMEOUT_SECONDS: 'soon' }),
      /SORA_REQUEST_TIMEOUT_SECONDS must be a positive number/,
    );
  });
});

// Weak and public secrets, plain-http endpoints (a security review's item 11).
describe('secrets and endpoints a deployment may not use', () => {
  const whsec = (text: string) => `whsec_${Buffer.from(text).toString('base64')}`;
  const strong = 'Zq3vN8pT2wXyL5mR7cK9hB4jF6dG1sA0eU-strong';
  const refusedSecrets: Array<[string, Record<string, string>, RegExp]> = [
    [
      'a 1-byte idempotency secret',
      { IDEMPOTENCY_KEY_SECRET: 'a' },
      /IDEMPOTENCY_KEY_SECRET must be at least 32/,
    ],
    [
      'a 31-byte idempotency secret',
      { IDEMPOTENCY_KEY_SECRET: strong.slice(0, 31) },
      /IDEMPOTENCY_KEY_SECRET must be at least 32/,
    ],
    ['a repeated pattern', { IDEMPOTENCY_KEY_SECRET: 'ab'.repeat(32) }, /IDEMPOTENCY_KEY_SECRET .*pattern/],
    [
      'a 1-byte outbound secret',
      { OUTBOUND_WEBHOOK_SECRET: whsec('x') },
      /OUTBOUND_WEBHOOK_SECRET must be at least 32/,
    ],
    [
      'a 31-byte outbound secret',
      { OUTBOUND_WEBHOOK_SECRET: whsec(strong.slice(0, 31)) },
      /OUTBOUND_WEBHOOK_SECRET must be at least 32/,
    ],
  ];
  for (const [name, settings, reason] of refusedSecrets)
    test(`refuses ${name}, naming the setting and never its value`, () => {
      assert.throws(
        () => loadConfig({ ...minimal, ...settings }),
        (e: Error) => {
          assert.match(e.message, reason);
          for (const value of Object.values(settings))
            if (value.length >= 8) assert.ok(!e.message.includes(value), e.message);
          return true;
        },
      );
    });

  test('accepts 32 random bytes and more', () => {
    const config = loadConfig({
      ...minimal,
      IDEMPOTENCY_KEY_SECRET: strong,
      OUTBOUND_WEBHOOK_SECRET: whsec(strong.slice(0, 32)),
    });
    assert.equal(config.idempotencyKeySecret, strong);
  });

  test("the sample's secrets work locally and are refused on Azure", () => {
    const sample = JSON.parse(
      readFileSync(path.resolve(__dirname, '../../local.settings.sample.json'), 'utf8'),
    ).Values as Record<string, string>;
    for (const [name, value] of Object.entries(sampleSecrets)) {
      assert.equal(sample[name], value, `sampleSecrets.${name} is what local.settings.sample.json ships`);
      assert.doesNotThrow(() => loadConfig({ ...minimal, [name]: value }));
      for (const marker of azureMarkers)
        assert.throws(
          () => loadConfig({ ...minimal, [name]: value, [marker]: 'video-app' }),
          (e: Error) =>
            new RegExp(`${name} is the public sample value`).test(e.message) && !e.message.includes(value),
        );
    }
  });

  const endpoints = [
    'AZURE_OPENAI_ENDPOINT',
    'OPENAI_BASE_URL',
    'FAL_QUEUE_URL',
    'FAL_JWKS_URL',
    'REPLICATE_BASE_URL',
  ];
  for (const name of endpoints)
    test(`${name}: https, or plain http to loopback only`, () => {
      const keys = { OPENAI_API_KEY: 'k', FAL_KEY: 'k', REPLICATE_API_TOKEN: 'k' };
      for (const url of ['http://api.example.com/v1', 'http://10.0.0.5:8091/x', 'http://[fd00::1]/x'])
        assert.throws(
          () => loadConfig({ ...minimal, ...keys, [name]: url }),
          new RegExp(`${name} must be https`),
        );
      for (const url of [
        'https://api.example.com/v1',
        'http://127.0.0.1:8091/x',
        'http://localhost:8091',
        'http://[::1]:1/',
      ])
        assert.doesNotThrow(() => loadConfig({ ...minimal, ...keys, [name]: url }), url);
    });
});

describe('provider instances as settings (VIDEO_PROVIDERS__<name>__<FIELD>)', () => {
  const storage = { VIDEO_STORAGE: 'UseDevelopmentStorage=true' };

  test("today's flat settings are shorthand for today's four instance names", () => {
    const flat = loadConfig({
      ...storage,
      AZURE_OPENAI_ENDPOINT: 'https://r.openai.azure.com/',
      SORA_VIDEOS_DEPLOYMENT: 'sora-2-dep',
      OPENAI_API_KEY: 'sk-1',
      OPENAI_BASE_URL: 'https://proxy.example/v1/',
      FAL_KEY: 'fal-1',
      REPLICATE_API_TOKEN: 'r8_1',
      REPLICATE_WEBHOOK_SECRET: 'whsec_c2VjcmV0',
    });
    const spelledOut = loadConfig({
      ...storage,
      VIDEO_PROVIDERS__azure_openai__KIND: 'azure-openai',
      VIDEO_PROVIDERS__azure_openai__BASE_URL: 'https://r.openai.azure.com/',
      VIDEO_PROVIDERS__azure_openai__VIDEOS_DEPLOYMENT: 'sora-2-dep',
      VIDEO_PROVIDERS__openai__KIND: 'openai-videos',
      VIDEO_PROVIDERS__openai__API_KEY: 'sk-1',
      VIDEO_PROVIDERS__openai__BASE_URL: 'https://proxy.example/v1/',
      VIDEO_PROVIDERS__fal__KIND: 'fal',
      VIDEO_PROVIDERS__fal__API_KEY: 'fal-1',
      VIDEO_PROVIDERS__replicate__KIND: 'replicate',
      VIDEO_PROVIDERS__replicate__API_KEY: 'r8_1',
      VIDEO_PROVIDERS__replicate__WEBHOOK_SECRET: 'whsec_c2VjcmV0',
    });
    assert.deepEqual(
      flat.providers.map((p) => [p.name, p.kind]),
      [
        ['azure-openai', 'azure-openai'],
        ['openai', 'openai-videos'],
        ['fal', 'fal'],
        ['replicate', 'replicate'],
      ],
    );
    // The same settings under the instance form (azure_openai: app setting names on Linux take no '-').
    const byName = (config: typeof flat) =>
      Object.fromEntries(config.providers.map((p) => [p.name.replace('_', '-'), [p.kind, p.settings]]));
    assert.deepEqual(byName(spelledOut), byName(flat));
  });

  test('any number of named instances, two of one kind at once, each with its own settings', () => {
    const config = loadConfig({
      ...storage,
      VIDEO_PROVIDERS__openrouter__KIND: 'openai-videos',
      VIDEO_PROVIDERS__openrouter__BASE_URL: 'https://openrouter.example/api/v1',
      VIDEO_PROVIDERS__openrouter__API_KEY: 'k1',
      VIDEO_PROVIDERS__litellm__KIND: 'openai-videos',
      VIDEO_PROVIDERS__litellm__BASE_URL: 'http://127.0.0.1:4000/v1',
      VIDEO_PROVIDERS__litellm__API_KEY: 'k2',
      DEFAULT_PROVIDER: 'openrouter',
    });
    assert.deepEqual(
      config.providers.map((p) => [p.name, p.kind, (p.settings as any).baseUrl]),
      [
        ['litellm', 'openai-videos', 'http://127.0.0.1:4000/v1'],
        ['openrouter', 'openai-videos', 'https://openrouter.example/api/v1'],
      ],
    );
    assert.equal(config.defaultProvider, 'openrouter');
    const registry = createProviderRegistry(config);
    assert.deepEqual(
      registry.list().map((p) => [p.name, p.kind]),
      [
        ['litellm', 'openai-videos'],
        ['openrouter', 'openai-videos'],
      ],
    );
  });

  test('the AI SDK instances google, xai and gateway exist when their key settings are set', () => {
    const config = loadConfig({
      ...storage,
      GOOGLE_GENERATIVE_AI_API_KEY: 'g',
      XAI_API_KEY: 'x',
      AI_GATEWAY_API_KEY: 'gw',
      VIDEO_PROVIDERS__google__BASE_URL: 'http://127.0.0.1:8091/v1beta',
    });
    assert.deepEqual(
      config.providers.map((p) => [p.name, p.kind, (p.settings as any).package, (p.settings as any).baseUrl]),
      [
        ['google', 'ai-sdk', '@ai-sdk/google', 'http://127.0.0.1:8091/v1beta'],
        ['xai', 'ai-sdk', '@ai-sdk/xai', undefined],
        ['gateway', 'ai-sdk', '@ai-sdk/gateway', undefined],
      ],
    );
    const registry = createProviderRegistry(config);
    assert.ok(registry.get('google').models.some((m) => m.id === 'veo-3.1-generate-preview'));
    assert.equal(registry.get('gateway').lostCreate, 'settle');
  });

  test('start-up names every bad instance setting, never a key', () => {
    const error = (() => {
      try {
        loadConfig({
          ...storage,
          VIDEO_PROVIDERS__a__KIND: 'sora',
          VIDEO_PROVIDERS__b__KIND: 'openai-videos',
          VIDEO_PROVIDERS__b__BASE_URL: 'ftp://x',
          VIDEO_PROVIDERS__b__COLOUR: 'blue',
          VIDEO_PROVIDERS__c__API_KEY: 'sk-very-secret',
          VIDEO_PROVIDERS__d__KIND: 'ai-sdk',
          VIDEO_PROVIDERS__d__PACKAGE: '@ai-sdk/none',
          VIDEO_PROVIDERS__e__KIND: 'replicate',
          VIDEO_PROVIDERS__e__API_KEY: 'r8',
          VIDEO_PROVIDERS__e__WEBHOOK_SECRET: 'plain',
          'VIDEO_PROVIDERS__Bad Name!__KIND': 'fal',
        });
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    assert.ok(error instanceof ConfigError, String(error));
    for (const expected of [
      /VIDEO_PROVIDERS__a__KIND must be one of azure-openai, openai-videos, fal, replicate, ai-sdk/,
      /VIDEO_PROVIDERS__b__BASE_URL must be an http\(s\) URL/,
      /VIDEO_PROVIDERS__b__API_KEY is required/,
      /VIDEO_PROVIDERS__b__COLOUR is not a setting of kind openai-videos/,
      /VIDEO_PROVIDERS__c__KIND is required/,
      /VIDEO_PROVIDERS__d__PACKAGE must be one of @ai-sdk\/google/,
      /VIDEO_PROVIDERS__d__API_KEY is required/,
      /VIDEO_PROVIDERS__e__WEBHOOK_SECRET must be a whsec_… secret/,
      /VIDEO_PROVIDERS__Bad Name!__KIND is not an instance setting/,
    ])
      assert.match(error.message, expected);
    assert.ok(!error.message.includes('sk-very-secret'));
  });

  test('a flat setting that is bad is named as the flat setting', () => {
    assert.throws(
      () => loadConfig({ ...storage, OPENAI_API_KEY: 'k', OPENAI_BASE_URL: 'nope' }),
      /OPENAI_BASE_URL must be an http\(s\) URL/,
    );
  });
});

describe('models as configuration (VIDEO_PROVIDERS__<name>__MODELS)', () => {
  const google = { VIDEO_STORAGE: 'UseDevelopmentStorage=true', GOOGLE_GENERATIVE_AI_API_KEY: 'g' };
  const tomorrow = { seconds: [5, 10], sizes: ['16:9', '1:1'], audio: true, options: true };

  test('a setting holding JSON adds a model the built-in table does not have; the built-in rows stay', () => {
    const config = loadConfig({
      ...google,
      VIDEO_PROVIDERS__google__MODELS: JSON.stringify({ models: { 'veo-9-preview': tomorrow } }),
    });
    const models = createProviderRegistry(config).get('google').models;
    const added = models.find((m) => m.id === 'veo-9-preview');
    assert.deepEqual(
      added && [added.seconds, added.defaultSeconds, added.sizes, added.defaultSize, added.maxVariants],
      [[5, 10], 5, ['16:9', '1:1'], '16:9', 1],
    );
    assert.ok(
      models.some((m) => m.id === 'veo-3.1-generate-preview'),
      'the built-in rows stay',
    );
  });

  test('replace: the configured models are the only ones; a JSON document named by path works too', (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'models-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'models.json');
    writeFileSync(file, JSON.stringify({ replace: true, models: { 'veo-9-preview': tomorrow } }));
    const config = loadConfig({ ...google, VIDEO_PROVIDERS__google__MODELS: file });
    assert.deepEqual(
      createProviderRegistry(config)
        .get('google')
        .models.map((m) => m.id),
      ['veo-9-preview'],
    );
  });

  test('start-up names the setting, the model and the field of every bad model', () => {
    assert.throws(
      () =>
        loadConfig({
          ...google,
          VIDEO_PROVIDERS__google__MODELS: JSON.stringify({
            models: {
              a: { seconds: [], sizes: ['16:9'] },
              b: { seconds: [4], sizes: ['wide'], defaultSeconds: 8, colour: 'red' },
              c: { seconds: [4], sizes: ['16:9'], defaultSize: '9:16', maxVariants: 0 },
            },
          }),
        }),
      (error: Error) => {
        for (const expected of [
          /VIDEO_PROVIDERS__google__MODELS: model "a" field seconds/,
          /VIDEO_PROVIDERS__google__MODELS: model "b" field sizes\.0 must be WIDTHxHEIGHT, W:H or auto/,
          /VIDEO_PROVIDERS__google__MODELS: model "b" field \(the model\).*colour/,
          /VIDEO_PROVIDERS__google__MODELS: model "c" field maxVariants/,
        ])
          assert.match(error.message, expected);
        return true;
      },
    );
    assert.throws(
      () => loadConfig({ ...google, VIDEO_PROVIDERS__google__MODELS: '{not json' }),
      /VIDEO_PROVIDERS__google__MODELS is not valid JSON/,
    );
    assert.throws(
      () => loadConfig({ ...google, VIDEO_PROVIDERS__google__MODELS: '/no/such/models.json' }),
      /VIDEO_PROVIDERS__google__MODELS names \/no\/such\/models\.json, which cannot be read/,
    );
  });

  test('a configured model is validated like the built-in ones when a request names it', async () => {
    const { parseVideoRequest, catalogOf } = await import('../../src/requests/video-request.js');
    // catalogOf + parseVideoRequest: what POST /api/videos runs.
    const registry = createProviderRegistry(
      loadConfig({
        ...google,
        VIDEO_PROVIDERS__google__MODELS: JSON.stringify({ models: { 'veo-9-preview': tomorrow } }),
      }),
    );
    const bad = parseVideoRequest(
      { provider: 'google', model: 'veo-9-preview', prompt: 'x', seconds: 7 },
      catalogOf(registry),
    ) as any;
    assert.equal(bad.ok, false);
    assert.deepEqual(
      bad.problems.map((p: any) => p.field),
      ['seconds'],
    );
  });
});
