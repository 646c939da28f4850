// For every provider kind and every model the app offers, what a request may ask comes
// from the model's capability table: each listed value is accepted, anything else is
// refused with the field named. The catalog is the real one (every provider configured).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import { catalogOf, parseVideoRequest } from '../../src/requests/video-request.js';

const catalog = catalogOf(
  createProviderRegistry(
    loadConfig({
      VIDEO_STORAGE: 'UseDevelopmentStorage=true',
      AZURE_OPENAI_ENDPOINT: 'http://127.0.0.1:1',
      OPENAI_API_KEY: 'k',
      FAL_KEY: 'k',
      REPLICATE_API_TOKEN: 'k',
    }),
  ),
);

const refusedField = (body: Record<string, unknown>) => {
  const result = parseVideoRequest(body, catalog);
  return result.ok ? undefined : result.problems.map((p) => p.field);
};

test('every provider kind is in the catalog', () => {
  const kinds = new Set(catalog.providers.map((p) => p.kind));
  for (const kind of ['azure-openai', 'openai-videos', 'fal', 'replicate'])
    assert.ok(kinds.has(kind as never), `${kind} missing`);
});

for (const provider of catalog.providers) {
  describe(`${provider.name} (${provider.kind})`, () => {
    for (const model of provider.models) {
      // An image-to-video model needs its image in every body.
      const image = { url: 'https://images.example.com/lighthouse.png' };
      const base = {
        provider: provider.name,
        model: model.id,
        prompt: 'A lighthouse at dawn.',
        ...(model.image?.use === 'required' ? { image } : {}),
      };
      test(`${model.id}: the defaults, every size and every duration`, () => {
        const defaults = parseVideoRequest(base, catalog);
        assert.ok(defaults.ok, JSON.stringify(defaults));
        assert.deepEqual(
          [defaults.request.size, defaults.request.seconds, defaults.request.variants],
          [model.defaultSize, model.defaultSeconds, 1],
        );
        for (const size of model.sizes) {
          const limit = model.sizeLimits?.[size]?.maxSeconds ?? Infinity;
          for (const seconds of model.seconds.filter((s) => s <= limit)) {
            const result = parseVideoRequest({ ...base, size, seconds }, catalog);
            assert.ok(result.ok, `${size} ${seconds}s: ${JSON.stringify(result)}`);
          }
          for (const seconds of model.seconds.filter((s) => s > limit))
            assert.deepEqual(refusedField({ ...base, size, seconds }), ['seconds'], `${size} ${seconds}s`);
        }
      });
      test(`${model.id}: values outside the table are refused, naming the field`, () => {
        assert.deepEqual(refusedField({ ...base, size: '333x333' }), ['size']);
        assert.deepEqual(refusedField({ ...base, seconds: Math.max(...model.seconds) + 1 }), ['seconds']);
        assert.deepEqual(refusedField({ ...base, variants: model.maxVariants + 1 }), ['variants']);
        const detail = parseVideoRequest({ ...base, size: '333x333' }, catalog);
        assert.ok(
          !detail.ok && detail.problems[0].message.includes(model.sizes[0]),
          'the message says what is allowed',
        );
        if (!model.options) assert.deepEqual(refusedField({ ...base, options: { seed: 1 } }), ['options']);
        for (const reserved of model.reservedOptions ?? [])
          assert.deepEqual(refusedField({ ...base, options: { [reserved]: 'x' } }), [`options.${reserved}`]);
        if (model.options)
          assert.ok(
            parseVideoRequest({ ...base, options: { seed: 7 } }, catalog).ok,
            'other documented inputs pass through',
          );
      });
      test(`${model.id}: an image as its row says`, () => {
        if (!model.image) {
          assert.deepEqual(refusedField({ ...base, image }), ['image'], 'a text-only model takes none');
          return;
        }
        const withImage = parseVideoRequest({ ...base, image }, catalog);
        assert.ok(withImage.ok, JSON.stringify(withImage));
        assert.equal(withImage.request.imageRole, model.image.roles[0]);
        const { image: _left, ...without } = base as typeof base & { image?: unknown };
        if (model.image.use === 'required') assert.deepEqual(refusedField(without), ['image']);
        else assert.ok(parseVideoRequest(without, catalog).ok, 'an optional image may be left out');
        if (model.options)
          assert.deepEqual(refusedField({ ...base, image, options: { [model.image.field]: 'x' } }), [
            `options.${model.image.field}`,
          ]);
      });
    }
  });
}
