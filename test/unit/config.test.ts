// Settings validation: defaults, both storage forms, and one message naming every problem.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig, settingNames } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const minimal = { AZURE_OPENAI_ENDPOINT: 'http://127.0.0.1:8091/', VIDEO_STORAGE: 'UseDevelopmentStorage=true' };

describe('loadConfig', () => {
  test('applies the documented defaults', () => {
    const config = loadConfig(minimal);
    assert.deepEqual(config.providers, { 'azure-openai': { endpoint: 'http://127.0.0.1:8091', apiKey: undefined, managedIdentityClientId: undefined, jobsDeployment: 'sora', videosDeployment: 'sora-2' } });
    assert.equal(config.defaultProvider, 'azure-openai');
    assert.deepEqual(config.videoStorage, { kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' });
    assert.equal(config.videoContainer, 'videos');
    assert.equal(config.deadlineMinutes, 30);
    assert.deepEqual(config.poll, { minSeconds: 2, maxSeconds: 30 });
    assert.equal(config.sasTtlMinutes, 60);
    assert.equal(config.requestTimeoutSeconds, 30);
  });

  test('uses identity-based storage when only the service URI is set (as on Azure)', () => {
    const config = loadConfig({ AZURE_OPENAI_ENDPOINT: 'https://x.openai.azure.com', VIDEO_STORAGE__blobServiceUri: 'https://st.blob.core.windows.net/', AZURE_CLIENT_ID: 'abc' });
    assert.deepEqual(config.videoStorage, { kind: 'identity', blobServiceUri: 'https://st.blob.core.windows.net/' });
    assert.equal(config.managedIdentityClientId, 'abc');
    assert.equal(config.providers['azure-openai']?.managedIdentityClientId, 'abc');
  });

  test('accepts decimal poll bounds (sub-second polling in tests)', () => {
    assert.deepEqual(loadConfig({ ...minimal, POLL_MIN_SECONDS: '0.2', POLL_MAX_SECONDS: '1.5' }).poll, { minSeconds: 0.2, maxSeconds: 1.5 });
  });

  test('names every invalid setting in one error', () => {
    const error = (() => {
      try {
        loadConfig({ AZURE_OPENAI_ENDPOINT: 'ftp://nope', VIDEO_CONTAINER: 'Bad_Name', POLL_MIN_SECONDS: '-1', SAS_TTL_MINUTES: 'soon' });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    assert.ok(error instanceof ConfigError);
    assert.equal(error.name, 'ConfigError');
    for (const name of ['AZURE_OPENAI_ENDPOINT', 'VIDEO_STORAGE', 'VIDEO_CONTAINER', 'POLL_MIN_SECONDS', 'SAS_TTL_MINUTES']) {
      assert.match(error.message, new RegExp(name), `message names ${name}: ${error.message}`);
    }
  });

  test('reports no configured provider and poll bounds in the wrong order', () => {
    assert.throws(() => loadConfig({ VIDEO_STORAGE: 'x', POLL_MIN_SECONDS: '40', POLL_MAX_SECONDS: '10' }), (e: Error) =>
      /no video provider is configured/.test(e.message) && /POLL_MIN_SECONDS must not exceed POLL_MAX_SECONDS/.test(e.message));
  });

  test('each provider is configured by its key, with the vendors\' public endpoints as defaults', () => {
    const config = loadConfig({ VIDEO_STORAGE: 'x', FAL_KEY: 'fal-key', REPLICATE_API_TOKEN: 'r8_token', OPENAI_API_KEY: 'sk-x' });
    assert.deepEqual(Object.keys(config.providers).sort(), ['fal', 'openai', 'replicate']);
    assert.equal(config.providers.openai?.baseUrl, 'https://api.openai.com/v1');
    assert.equal(config.providers.fal?.queueUrl, 'https://queue.fal.run');
    assert.equal(config.providers.replicate?.baseUrl, 'https://api.replicate.com/v1');
    assert.equal(config.defaultProvider, 'openai', 'the first configured in the documented order');
    assert.equal(loadConfig({ VIDEO_STORAGE: 'x', FAL_KEY: 'k', REPLICATE_API_TOKEN: 't', DEFAULT_PROVIDER: 'replicate' }).defaultProvider, 'replicate');
  });

  test('DEFAULT_PROVIDER must name a known, configured provider', () => {
    assert.throws(() => loadConfig({ VIDEO_STORAGE: 'x', FAL_KEY: 'k', DEFAULT_PROVIDER: 'sora' }), /DEFAULT_PROVIDER must be one of/);
    assert.throws(() => loadConfig({ VIDEO_STORAGE: 'x', FAL_KEY: 'k', DEFAULT_PROVIDER: 'replicate' }), /DEFAULT_PROVIDER names replicate, which is not configured/);
  });

  test('webhook secrets must be in whsec_ form', () => {
    assert.throws(() => loadConfig({ ...minimal, OUTBOUND_WEBHOOK_SECRET: 'plain' }), /OUTBOUND_WEBHOOK_SECRET must be a whsec_/);
    assert.throws(() => loadConfig({ ...minimal, REPLICATE_WEBHOOK_SECRET: 'plain' }), /REPLICATE_WEBHOOK_SECRET must be a whsec_/);
  });

  test('never echoes a secret value in its message', () => {
    const secret = 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=c2VjcmV0';
    assert.throws(() => loadConfig({ VIDEO_STORAGE: secret, AZURE_OPENAI_API_KEY: 'sk-very-secret', POLL_MIN_SECONDS: 'x' }), (e: Error) =>
      !e.message.includes('c2VjcmV0') && !e.message.includes('sk-very-secret'));
  });

  test('settingNames lists exactly what loadConfig reads', () => {
    const read = new Set<string>();
    const spy = new Proxy(minimal as Record<string, string>, { get: (target, key: string) => { read.add(key); return target[key]; } });
    loadConfig(spy);
    assert.deepEqual([...read].sort(), [...settingNames].sort());
  });
});
