// Every fal and Replicate model the app's tables offer has a model in the provider emulator, so a
// row added to src/ cannot go untested end to end (issue 26). The test reads both tables; the
// emulator itself never imports src/.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FAL_MODELS as EMULATED_FAL,
  REPLICATE_MODELS as EMULATED_REPLICATE,
} from '../../emulators/providers/video-models.js';
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
