// Cost as data: a model's published price (with audio where it differs) → the status view's
// cost {estimatedUsd, basis}: the estimate from the request while it runs, the delivered seconds
// once completed; documented in /api/openapi.json.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deliveredCost, estimatedCost, priceOfRequest, requestPrice } from '../../src/admission/cost.js';
import { buildOpenApiDocument } from '../../src/functions/openapi.js';
import { loadConfig } from '../../src/config.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import { toVideoStatus } from '../../src/status/video-status.js';
import { checkAgainst, compileDocument } from '../support/openapi-check.js';

const registry = createProviderRegistry(
  loadConfig({ VIDEO_STORAGE: 'UseDevelopmentStorage=true', FAL_KEY: 'k', REPLICATE_API_TOKEN: 'k' }),
);
const veo3 = { provider: 'fal', model: 'fal-ai/veo3' };

describe('cost', () => {
  test("fal's Veo 3: $0.40 a second with audio (its default), $0.20 without; each with its source", () => {
    const withAudio = priceOfRequest(registry, veo3)!;
    assert.equal(withAudio.usdPerSecond, 0.4);
    assert.match(
      withAudio.basis,
      /^\$0\.40\/s with audio \(fal-ai\/veo3, https:\/\/fal\.ai\/\S+ .*, \d{4}-\d{2}-\d{2}\)$/,
    );
    assert.equal(
      priceOfRequest(registry, { ...veo3, options: { generate_audio: false } })!.usdPerSecond,
      0.2,
    );
    assert.equal(priceOfRequest(registry, { ...veo3, options: { generate_audio: true } })!.usdPerSecond, 0.4);
    assert.equal(
      priceOfRequest(registry, { provider: 'replicate', model: 'google/veo-3.1' }),
      undefined,
      'no price recorded',
    );
    // The example: 100 requests of 8 s with audio ≈ $320.
    assert.equal(estimatedCost(withAudio, { seconds: 8, variants: 1 }).estimatedUsd * 100, 320);
  });

  test('a flat price; the estimate counts variants; delivered counts stored videos', () => {
    const flat = requestPrice(
      'm',
      { usdPerSecond: 0.1, source: 'https://example.test/p', asOf: '2026-12-07' },
      {},
    )!;
    assert.equal(flat.basis, '$0.10/s (m, https://example.test/p, 2026-12-07)');
    assert.deepEqual(estimatedCost(flat, { seconds: 4, variants: 3 }), {
      estimatedUsd: 1.2,
      basis: 'estimate: 12 s asked × $0.10/s (m, https://example.test/p, 2026-12-07)',
    });
    assert.equal(deliveredCost(flat, 4, 2).estimatedUsd, 0.8);
    assert.match(deliveredCost(flat, 4, 2).basis, /^delivered: 8 s × /);
  });

  test('the status view: the estimate while it runs, the delivered figure once completed, both as documented', () => {
    const price = priceOfRequest(registry, veo3)!;
    const request = { ...veo3, kind: 'fal', prompt: 'p', seconds: 8, size: '16:9', variants: 1 };
    const input = { request, deadlineMinutes: 30, poll: { minSeconds: 2, maxSeconds: 30 }, price };
    const times = { createdTime: '2026-12-07T00:00:00.000Z', lastUpdatedTime: '2026-12-07T00:00:01.000Z' };
    const running = toVideoStatus({
      instanceId: 'abc',
      runtimeStatus: 'Running',
      input,
      customStatus: { phase: 'creating', provider: 'fal', model: 'fal-ai/veo3', polls: 0, events: 0 },
      ...times,
    });
    assert.equal(running.cost?.estimatedUsd, 3.2);
    assert.match(running.cost!.basis, /^estimate: 8 s asked/);
    const completed = toVideoStatus({
      instanceId: 'abc',
      runtimeStatus: 'Completed',
      input,
      output: {
        provider: 'fal',
        model: 'fal-ai/veo3',
        jobId: 'j',
        polls: 1,
        events: 0,
        videos: [{ outputId: 'v', blobName: 'abc/v.mp4', bytes: 1, contentType: 'video/mp4' }],
      },
      ...times,
    });
    assert.equal(completed.cost?.estimatedUsd, 3.2);
    assert.match(completed.cost!.basis, /^delivered: 8 s/);
    const checker = compileDocument(buildOpenApiDocument({ publicBaseUrl: 'https://x.test' }) as never);
    const seen = (body: unknown) => ({
      status: 200,
      headers: new Headers({ 'content-type': 'application/json' }),
      body,
      text: '',
    });
    assert.doesNotThrow(() => checkAgainst(checker, 'GET', '/api/videos/abc', seen(running)));
    assert.throws(() =>
      checkAgainst(
        checker,
        'GET',
        '/api/videos/abc',
        seen({ ...running, cost: { estimatedUsd: -1, basis: 'x' } }),
      ),
    );
    const noPrice = toVideoStatus({
      instanceId: 'abc',
      runtimeStatus: 'Running',
      input: { ...input, price: undefined },
      ...times,
    });
    assert.equal(noPrice.cost, undefined);
  });
});
