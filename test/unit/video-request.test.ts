// POST /api/videos body validation: the quickstart body and Sora 2 bodies pass; every
// malformed one is refused with the offending field named. The catalog is the real one the
// app builds from settings (every configured provider's capability table).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import { MAX_OPTIONS_DEPTH, normalisedRequestSchema } from '../../src/requests/request-rules.js';
import { catalogOf, MAX_PROMPT_LENGTH, parseVideoRequest } from '../../src/requests/video-request.js';

const deployments = catalogOf(
  createProviderRegistry(
    loadConfig({
      AZURE_OPENAI_ENDPOINT: 'http://127.0.0.1:1',
      OPENAI_API_KEY: 'k',
      VIDEO_STORAGE: 'UseDevelopmentStorage=true',
    }),
  ),
);
const quickstart = {
  prompt: 'A cat playing piano in a jazz bar.',
  width: 480,
  height: 480,
  n_seconds: 5,
  model: 'sora',
};

describe('accepted bodies', () => {
  test("the quickstart's body, as is", () => {
    assert.deepEqual(parseVideoRequest(quickstart, deployments), {
      ok: true,
      request: {
        provider: 'azure-openai',
        kind: 'azure-openai',
        model: 'sora',
        prompt: quickstart.prompt,
        size: '480x480',
        seconds: 5,
        variants: 1,
      },
    });
  });
  test('jobs defaults: model sora, 5 seconds, 1 variant', () => {
    const result = parseVideoRequest({ prompt: 'p', width: 854, height: 480 }, deployments);
    assert.ok(result.ok);
    assert.deepEqual([result.request.model, result.request.seconds, result.request.variants], ['sora', 5, 1]);
  });
  test('variants at their per-resolution maximum', () => {
    for (const [width, height, n_variants] of [
      [480, 854, 4],
      [1280, 720, 2],
      [1920, 1080, 1],
    ]) {
      assert.ok(
        parseVideoRequest({ prompt: 'p', width, height, n_variants, model: 'sora' }, deployments).ok,
        `${width}x${height} ×${n_variants}`,
      );
    }
  });
  test('Sora 2 fields for the videos family, with defaults', () => {
    assert.deepEqual(
      parseVideoRequest({ prompt: 'p', model: 'sora-2', size: '1280x720', seconds: '8' }, deployments),
      {
        ok: true,
        request: {
          provider: 'azure-openai',
          kind: 'azure-openai',
          model: 'sora-2',
          prompt: 'p',
          size: '1280x720',
          seconds: 8,
          variants: 1,
        },
      },
    );
    const defaults = parseVideoRequest({ prompt: 'p', model: 'sora-2' }, deployments);
    assert.ok(defaults.ok);
    assert.deepEqual([defaults.request.size, defaults.request.seconds], ['720x1280', 4]);
  });
  test('emoji and non-Latin prompts are fine', () => {
    assert.ok(
      parseVideoRequest({ ...quickstart, prompt: '猫がジャズバーでピアノを弾く 🎹🐈' }, deployments).ok,
    );
  });
  test('the length limit counts code points, not UTF-16 units', () => {
    assert.ok(
      parseVideoRequest({ ...quickstart, prompt: '🎹'.repeat(MAX_PROMPT_LENGTH) }, deployments).ok,
      '4000 emoji are 4000 characters',
    );
    assert.equal(
      parseVideoRequest({ ...quickstart, prompt: '🎹'.repeat(MAX_PROMPT_LENGTH + 1) }, deployments).ok,
      false,
    );
  });
  test('the provider-neutral body: provider and model, defaults from the model table', () => {
    assert.deepEqual(parseVideoRequest({ provider: 'openai', model: 'sora-2', prompt: 'p' }, deployments), {
      ok: true,
      request: {
        provider: 'openai',
        kind: 'openai-videos',
        model: 'sora-2',
        prompt: 'p',
        size: '720x1280',
        seconds: 4,
        variants: 1,
      },
    });
    const first = parseVideoRequest({ provider: 'azure-openai', prompt: 'p' }, deployments);
    assert.ok(first.ok);
    assert.deepEqual(
      [first.request.model, first.request.size, first.request.seconds],
      ['sora', '480x480', 5],
      "the provider's first model and its defaults",
    );
  });
});

describe('refused bodies name the field', () => {
  const cases: Array<[string, unknown, string]> = [
    ['null body', null, ''],
    ['array body', [quickstart], ''],
    ['string body', 'make a video', ''],
    ['number body', 42, ''],
    ['missing prompt', { ...quickstart, prompt: undefined }, 'prompt'],
    ['prompt not a string', { ...quickstart, prompt: 7 }, 'prompt'],
    ['empty prompt', { ...quickstart, prompt: '' }, 'prompt'],
    ['blank prompt', { ...quickstart, prompt: '   \n\t' }, 'prompt'],
    ['over-long prompt', { ...quickstart, prompt: 'x'.repeat(MAX_PROMPT_LENGTH + 1) }, 'prompt'],
    ['NUL in prompt', { ...quickstart, prompt: 'a\u0000b' }, 'prompt'],
    ['escape sequence in prompt', { ...quickstart, prompt: 'a\u001b[31mb' }, 'prompt'],
    ['lone surrogate in prompt', { ...quickstart, prompt: 'a\ud800b' }, 'prompt'],
    ['C1 control in prompt', { ...quickstart, prompt: 'a\u009bb' }, 'prompt'],
    ['U+2028 in prompt', { ...quickstart, prompt: 'a\u2028b' }, 'prompt'],
    ['U+2029 in prompt', { ...quickstart, prompt: 'a\u2029b' }, 'prompt'],
    ['bidi override U+202E in prompt', { ...quickstart, prompt: 'a\u202eb' }, 'prompt'],
    ['bidi isolate U+2066 in prompt', { ...quickstart, prompt: 'a\u2066b' }, 'prompt'],
    ['width as string', { ...quickstart, width: '480' }, 'width'],
    ['height missing', { ...quickstart, height: undefined }, 'height'],
    ['fractional width', { ...quickstart, width: 480.5 }, 'width'],
    ['negative height', { ...quickstart, height: -480 }, 'height'],
    ['unsupported size', { ...quickstart, width: 640, height: 480 }, 'width'],
    ['swapped unsupported size', { ...quickstart, width: 480, height: 720 }, 'width'],
    ['n_seconds zero', { ...quickstart, n_seconds: 0 }, 'n_seconds'],
    ['n_seconds over 20', { ...quickstart, n_seconds: 21 }, 'n_seconds'],
    ['n_seconds as string', { ...quickstart, n_seconds: '5' }, 'n_seconds'],
    ['1080p over 10 s', { ...quickstart, width: 1920, height: 1080, n_seconds: 12 }, 'n_seconds'],
    ['2 variants at 1080p', { ...quickstart, width: 1080, height: 1080, n_variants: 2 }, 'n_variants'],
    ['3 variants at 720p', { ...quickstart, width: 720, height: 720, n_variants: 3 }, 'n_variants'],
    ['5 variants', { ...quickstart, n_variants: 5 }, 'n_variants'],
    ['zero variants', { ...quickstart, n_variants: 0 }, 'n_variants'],
    ['unknown model', { ...quickstart, model: 'dall-e-3' }, 'model'],
    ['model not a string', { ...quickstart, model: ['sora'] }, 'model'],
    ['path traversal as model', { ...quickstart, model: '../sora' }, 'model'],
    ['unknown field', { ...quickstart, callback_url: 'http://x' }, 'callback_url'],
    [
      'prototype pollution attempt',
      JSON.parse('{"prompt":"p","width":480,"height":480,"__proto__":{"admin":true}}'),
      '__proto__',
    ],
    ['Sora 2 field on the jobs family', { ...quickstart, size: '720x1280' }, 'size'],
    ['Sora 1 field on the videos family', { prompt: 'p', model: 'sora-2', width: 720 }, 'width'],
    ['unsupported Sora 2 size', { prompt: 'p', model: 'sora-2', size: '480x480' }, 'size'],
    ['unsupported Sora 2 seconds', { prompt: 'p', model: 'sora-2', seconds: '5' }, 'seconds'],
    ['Sora 2 seconds as object', { prompt: 'p', model: 'sora-2', seconds: { n: 4 } }, 'seconds'],
    ['unknown provider', { prompt: 'p', provider: 'sora' }, 'provider'],
    ['provider not a string', { prompt: 'p', provider: 1 }, 'provider'],
    ['a model of another provider', { prompt: 'p', provider: 'openai', model: 'sora' }, 'model'],
    ['options on a model that takes none', { prompt: 'p', model: 'sora-2', options: { seed: 1 } }, 'options'],
    ['options not an object', { prompt: 'p', model: 'sora-2', options: [1] }, 'options'],
  ];
  for (const [name, body, field] of cases) {
    test(name, () => {
      const result = parseVideoRequest(body, deployments);
      assert.equal(result.ok, false, 'must be refused');
      if (result.ok) return;
      assert.ok(
        result.problems.some((p) => p.field === field),
        `expected a problem for "${field}", got ${JSON.stringify(result.problems)}`,
      );
      for (const problem of result.problems) assert.ok(problem.message.length > 0);
    });
  }
});

// Issue item: `options` nested thousands deep overflowed the stack (JSON.stringify, the request
// digest) and was answered 500; a depth limit in the schema refuses it as a 400 naming `options`.
describe('options nesting', () => {
  const withReplicate = catalogOf(
    createProviderRegistry(
      loadConfig({ VIDEO_STORAGE: 'UseDevelopmentStorage=true', REPLICATE_API_TOKEN: 'k' }),
    ),
  );
  const nested = (levels: number): Record<string, unknown> => {
    let value: Record<string, unknown> = { seed: 1 };
    for (let level = 1; level < levels; level++) value = { inner: value };
    return value;
  };
  const body = (options: unknown) => ({ prompt: 'p', provider: 'replicate', options });
  const fieldsOf = (result: ReturnType<typeof parseVideoRequest>) =>
    result.ok ? [] : result.problems.map((p) => p.field);

  test(`${MAX_OPTIONS_DEPTH} levels pass`, () => {
    const result = parseVideoRequest(body(nested(MAX_OPTIONS_DEPTH)), withReplicate);
    assert.ok(result.ok, JSON.stringify(fieldsOf(result)));
  });
  test('one level more is refused, naming options', () => {
    assert.deepEqual(fieldsOf(parseVideoRequest(body(nested(MAX_OPTIONS_DEPTH + 1)), withReplicate)), [
      'options',
    ]);
  });
  test('thousands of levels (objects or arrays) are refused without overflowing the stack', () => {
    const deepObject = JSON.parse(`${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`);
    const deepArray = { list: JSON.parse(`${'['.repeat(5000)}${']'.repeat(5000)}`) };
    for (const options of [deepObject, deepArray])
      assert.deepEqual(fieldsOf(parseVideoRequest(body(options), withReplicate)), ['options']);
  });
  test("the orchestrator's own check refuses a deep options too", () => {
    const request = { provider: 'replicate', kind: 'replicate', model: 'm', prompt: 'p', seconds: 5 };
    const normalised = { ...request, size: '16:9', variants: 1 };
    assert.ok(normalisedRequestSchema.safeParse({ ...normalised, options: nested(3) }).success);
    assert.equal(normalisedRequestSchema.safeParse({ ...normalised, options: nested(5000) }).success, false);
  });
});
