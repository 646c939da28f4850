// Limits as data: each provider kind's published limits from its capability rows, overridden
// by the instance's settings; 'unlimited' lifts one; a bad value is named at start-up.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accountLimits } from '../../src/admission/limits.js';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { createProviderRegistry } from '../../src/providers/registry.js';

const base = {
  VIDEO_STORAGE: 'UseDevelopmentStorage=true',
  AZURE_OPENAI_ENDPOINT: 'http://127.0.0.1:8091',
  OPENAI_API_KEY: 'k',
  FAL_KEY: 'k',
  REPLICATE_API_TOKEN: 'k',
};

/** Every configured provider's models with the limits their requests are admitted under. */
function limitsOf(env: Record<string, string>) {
  const config = loadConfig({ ...base, ...env });
  const registry = createProviderRegistry(config);
  return Object.fromEntries(
    registry
      .list()
      .flatMap((provider) =>
        provider.models.map((model) => [
          `${provider.name} ${model.id}`,
          accountLimits(provider.name, model, config.admission[provider.name]),
        ]),
      ),
  );
}

describe('admission limits', () => {
  test('unset: the vendors published limits, per account or per deployment, each with its source and date', () => {
    const limits = limitsOf({});
    assert.deepEqual(limits['fal fal-ai/veo3'], { account: 'fal', limits: { maxRunningJobs: 2 } });
    assert.deepEqual(
      limits['fal fal-ai/kling-video/v2/master/text-to-video'],
      limits['fal fal-ai/veo3'],
      "fal counts a key's requests, whatever the model",
    );
    assert.deepEqual(limits['replicate google/veo-3.1'], {
      account: 'replicate',
      limits: { createsPerMinute: 600 },
    });
    assert.deepEqual(limits['azure-openai sora'], {
      account: 'azure-openai:sora',
      limits: { maxRunningJobs: 2, createsPerMinute: 60 },
    });
    assert.deepEqual(limits['azure-openai sora-2'], {
      account: 'azure-openai:sora-2',
      limits: { createsPerMinute: 2 },
    });
    assert.equal(limits['openai sora-2'], undefined, 'no published limit: not governed');
    const registry = createProviderRegistry(loadConfig(base));
    for (const provider of registry.list())
      for (const model of provider.models)
        if (model.limits) {
          assert.match(model.limits.source, /^https:\/\/\S+ \(docs\/providers\/[a-z-]+\.md\)$/);
          assert.match(model.limits.asOf, /^\d{4}-\d{2}-\d{2}$/);
        }
  });

  test('settings override each limit of their provider instance; "unlimited" lifts a vendor limit', () => {
    const limits = limitsOf({
      FAL_MAX_RUNNING_JOBS: '40',
      FAL_DAILY_BUDGET_USD: '25.5',
      REPLICATE_CREATES_PER_MINUTE: '6',
      REPLICATE_CREATE_BURST: '1',
      AZURE_OPENAI_MAX_RUNNING_JOBS: 'unlimited',
      AZURE_OPENAI_CREATES_PER_MINUTE: 'Unlimited',
      OPENAI_MAX_RUNNING_JOBS: '3',
    });
    assert.deepEqual(limits['fal fal-ai/veo3'], {
      account: 'fal',
      limits: { maxRunningJobs: 40, dailyBudgetUsd: 25.5 },
    });
    assert.deepEqual(limits['replicate kwaivgi/kling-v2.0'], {
      account: 'replicate',
      limits: { createsPerMinute: 6, createBurst: 1 },
    });
    assert.equal(limits['azure-openai sora'], undefined, 'both jobs API limits lifted');
    assert.deepEqual(limits['openai sora-2-pro'], { account: 'openai', limits: { maxRunningJobs: 3 } });
  });

  test('a bad limit stops the app with one message naming each setting', () => {
    const error = (() => {
      try {
        loadConfig({
          ...base,
          FAL_MAX_RUNNING_JOBS: '1.5',
          REPLICATE_CREATES_PER_MINUTE: '-6',
          OPENAI_CREATE_BURST: 'unlimited',
          AZURE_OPENAI_DAILY_BUDGET_USD: 'lots',
        });
      } catch (caught) {
        return caught;
      }
    })();
    assert.ok(error instanceof ConfigError, String(error));
    for (const name of [
      'FAL_MAX_RUNNING_JOBS must be a positive whole number or "unlimited", got "1.5"',
      'REPLICATE_CREATES_PER_MINUTE must be a positive number or "unlimited", got "-6"',
      'OPENAI_CREATE_BURST must be a positive whole number, got "unlimited"',
      'AZURE_OPENAI_DAILY_BUDGET_USD must be a positive number or "unlimited", got "lots"',
    ])
      assert.ok(error.message.includes(name), `${name} in:\n${error.message}`);
  });

  test('named instances take the same four settings (VIDEO_PROVIDERS__<name>__…), overriding the flat ones of a shorthand instance', () => {
    const limits = limitsOf({
      VIDEO_PROVIDERS__slowfal__KIND: 'fal',
      VIDEO_PROVIDERS__slowfal__API_KEY: 'k2',
      VIDEO_PROVIDERS__slowfal__MAX_RUNNING_JOBS: '1',
      VIDEO_PROVIDERS__slowfal__DAILY_BUDGET_USD: '12.5',
      VIDEO_PROVIDERS__myrep__KIND: 'replicate',
      VIDEO_PROVIDERS__myrep__API_KEY: 'k3',
      VIDEO_PROVIDERS__myrep__CREATES_PER_MINUTE: '6',
      VIDEO_PROVIDERS__myrep__CREATE_BURST: '1',
      VIDEO_PROVIDERS__router__KIND: 'openai-videos',
      VIDEO_PROVIDERS__router__API_KEY: 'k4',
      VIDEO_PROVIDERS__router__MAX_RUNNING_JOBS: '4',
      FAL_MAX_RUNNING_JOBS: '5',
      FAL_DAILY_BUDGET_USD: '9',
      VIDEO_PROVIDERS__fal__MAX_RUNNING_JOBS: 'unlimited',
    });
    assert.deepEqual(limits['slowfal fal-ai/veo3'], {
      account: 'slowfal',
      limits: { maxRunningJobs: 1, dailyBudgetUsd: 12.5 },
    });
    assert.deepEqual(limits['myrep kwaivgi/kling-v2.0'], {
      account: 'myrep',
      limits: { createsPerMinute: 6, createBurst: 1 },
    });
    assert.deepEqual(limits['router sora-2'], { account: 'router', limits: { maxRunningJobs: 4 } });
    assert.deepEqual(
      limits['fal fal-ai/veo3'],
      { account: 'fal', limits: { dailyBudgetUsd: 9 } },
      'the instance setting wins over FAL_MAX_RUNNING_JOBS; the flat budget stays',
    );
  });

  test('a bad named-instance limit stops the app with the setting named', () => {
    const error = (() => {
      try {
        loadConfig({
          ...base,
          VIDEO_PROVIDERS__slowfal__KIND: 'fal',
          VIDEO_PROVIDERS__slowfal__API_KEY: 'k2',
          VIDEO_PROVIDERS__slowfal__MAX_RUNNING_JOBS: '0',
          VIDEO_PROVIDERS__slowfal__CREATE_BURST: 'unlimited',
          VIDEO_PROVIDERS__slowfal__CREATES_PER_MINUTE: 'fast',
          VIDEO_PROVIDERS__slowfal__DAILY_BUDGET_USD: '-1',
        });
      } catch (caught) {
        return caught;
      }
    })();
    assert.ok(error instanceof ConfigError, String(error));
    for (const name of [
      'VIDEO_PROVIDERS__slowfal__MAX_RUNNING_JOBS must be a positive whole number or "unlimited", got "0"',
      'VIDEO_PROVIDERS__slowfal__CREATE_BURST must be a positive whole number, got "unlimited"',
      'VIDEO_PROVIDERS__slowfal__CREATES_PER_MINUTE must be a positive number or "unlimited", got "fast"',
      'VIDEO_PROVIDERS__slowfal__DAILY_BUDGET_USD must be a positive number or "unlimited", got "-1"',
    ])
      assert.ok(error.message.includes(name), `${name} in:\n${error.message}`);
  });

  test('blank settings (as local.settings.sample.json has them) are unset', () => {
    const config = loadConfig({ ...base, FAL_MAX_RUNNING_JOBS: ' ', FAL_DAILY_BUDGET_USD: '' });
    assert.deepEqual(config.admission.fal, {
      maxRunningJobs: undefined,
      createsPerMinute: undefined,
      createBurst: undefined,
      dailyBudgetUsd: undefined,
    });
  });
});
