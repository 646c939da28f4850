// Every fal, Replicate and xAI model the app's tables offer has a model in the provider emulator, so a
// row added to src/ cannot go untested end to end (issue 26). The test reads both tables; the
// emulator itself never imports src/.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FAL_MODELS as EMULATED_FAL,
  REPLICATE_MODELS as EMULATED_REPLICATE,
} from '../../emulators/providers/video-models.js';
import {
  ASPECT_RATIOS as GROK_RATIOS,
  GROK_VIDEO_MODELS,
  MAX_SECONDS as GROK_MAX_SECONDS,
  MIN_SECONDS as GROK_MIN_SECONDS,
} from '../../emulators/providers/xai/models.js';
import { AI_SDK_MODELS } from '../../src/providers/ai-sdk/models.js';
import { FAL_MODELS } from '../../src/providers/fal/models.js';
import { REPLICATE_MODELS } from '../../src/providers/replicate/models.js';

test('every fal model of the app is emulated', () => {
  const missing = FAL_MODELS.map((m) => m.id).filter((id) => !(id in EMULATED_FAL));
  assert.deepEqual(missing, []);
});

test('every Replicate model of the app is emulated', () => {
  const missing = REPLICATE_MODELS.map((m) => m.id).filter((id) => !(id in EMULATED_REPLICATE));
  assert.deepEqual(missing, []);
});

test('every @ai-sdk/xai model of the app is emulated, with the lengths and ratios the app offers', () => {
  const table = AI_SDK_MODELS['@ai-sdk/xai'];
  assert.deepEqual(
    Object.keys(table).filter((id) => !(id in GROK_VIDEO_MODELS)),
    [],
  );
  for (const [id, model] of Object.entries(table)) {
    assert.deepEqual(
      model.seconds.filter((s) => s < GROK_MIN_SECONDS || s > GROK_MAX_SECONDS),
      [],
      `${id} lengths`,
    );
    assert.deepEqual(
      model.sizes.filter((size) => !(GROK_RATIOS as readonly string[]).includes(size)),
      [],
      `${id} ratios`,
    );
  }
});
