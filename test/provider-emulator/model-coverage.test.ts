// Every fal, Replicate and xAI model the app's tables offer has a model in the provider emulator, so a
// row added to src/ cannot go untested end to end (issue 26), and every request a fal or Replicate
// row allows (each length and size, the image where one is required) is input the emulated model
// accepts, for the length asked. The test reads both tables; the emulator itself never imports src/.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FAL_MODELS as EMULATED_FAL,
  REPLICATE_MODELS as EMULATED_REPLICATE,
  validateInput,
  type VideoModel,
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
import type { ModelInfo } from '../../src/providers/provider.js';

test('every fal model of the app is emulated', () => {
  const missing = FAL_MODELS.map((m) => m.id).filter((id) => !(id in EMULATED_FAL));
  assert.deepEqual(missing, []);
});

test('every Replicate model of the app is emulated', () => {
  const missing = REPLICATE_MODELS.map((m) => m.id).filter((id) => !(id in EMULATED_REPLICATE));
  assert.deepEqual(missing, []);
});

/** The wire input for one length and size, built as each adapter builds it (the fields a row
 * says the model lacks are left out), with a link where the model requires an image. */
type WireInput = (row: ModelInfo, seconds: number, size: string) => Record<string, unknown>;

/** What is wrong with each request the row allows, as `id seconds size: problem`. */
function refusedRequests(rows: readonly ModelInfo[], emulated: Record<string, VideoModel>, wire: WireInput) {
  const refused: string[] = [];
  for (const row of rows) {
    const model = emulated[row.id];
    if (!model) continue;
    for (const seconds of row.seconds)
      for (const size of row.sizes) {
        const input = {
          prompt: 'a lighthouse at dusk',
          ...wire(row, seconds, size),
          ...(row.image?.use === 'required' ? { [row.image.field]: 'https://images.test/start.png' } : {}),
        };
        const checked = validateInput(model.schema, input);
        const where = `${row.id} ${seconds}s ${size}`;
        if ('problems' in checked) refused.push(`${where}: ${JSON.stringify(checked.problems)}`);
        else if (model.seconds(checked.input) !== seconds)
          refused.push(`${where}: the emulator makes ${model.seconds(checked.input)} s`);
      }
  }
  return refused;
}

test('every request a fal row allows is input its emulated model accepts, for the length asked', () => {
  const refused = refusedRequests(FAL_MODELS, EMULATED_FAL, (row, seconds, size) => {
    const fal = FAL_MODELS.find((m) => m.id === row.id)!;
    return {
      ...(fal.duration === false ? {} : { duration: fal.duration(seconds) }),
      ...(fal.aspectRatio === false ? {} : { aspect_ratio: size }),
    };
  });
  assert.deepEqual(refused, []);
});

test('every request a Replicate row allows is input its emulated model accepts, for the length asked', () => {
  const refused = refusedRequests(REPLICATE_MODELS, EMULATED_REPLICATE, (row, seconds, size) => {
    const replicate = REPLICATE_MODELS.find((m) => m.id === row.id)!;
    return {
      ...(replicate.duration === false ? {} : { duration: seconds }),
      ...(replicate.aspectRatio === false ? {} : { aspect_ratio: size }),
    };
  });
  assert.deepEqual(refused, []);
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
