// The Veo models the Gemini API dialect serves, as the parameters each accepts
// (docs/providers/gemini.md#models-and-parameters). Durations, aspect ratios, resolutions and
// person-generation values are per model; where Google's pages are silent the choice is the
// one that README names.

export interface VeoModel {
  id: string;
  /** Accepted `parameters.durationSeconds`; the default is 8. */
  durations: readonly number[];
  /** Accepted `parameters.resolution`; empty = the parameter is refused (Veo 2). */
  resolutions: readonly string[];
  /** Resolutions that need `durationSeconds` 8. */
  eightSecondsOnly: readonly string[];
  /** `instances[0].lastFrame` (first and last frame). */
  lastFrame: boolean;
  /** `instances[0].referenceImages` (up to 3 asset images). */
  referenceImages: boolean;
  /** `parameters.personGeneration` values for text-to-video, and with an image (any image input). */
  personGeneration: { text: readonly string[]; image: readonly string[] };
}

export const ASPECT_RATIOS = ['16:9', '9:16'] as const;
export const MAX_SAMPLES = 4;
export const MAX_REFERENCE_IMAGES = 3;

const veo31: Omit<VeoModel, 'id'> = {
  durations: [4, 6, 8],
  resolutions: ['720p', '1080p', '4k'],
  eightSecondsOnly: ['1080p', '4k'],
  lastFrame: true,
  referenceImages: true,
  personGeneration: { text: ['allow_all'], image: ['allow_adult'] },
};

const veo3: Omit<VeoModel, 'id'> = {
  durations: [4, 6, 8],
  resolutions: ['720p', '1080p'],
  eightSecondsOnly: ['1080p'],
  lastFrame: false,
  referenceImages: false,
  personGeneration: { text: ['allow_all'], image: ['allow_adult'] },
};

const model = (id: string, spec: Omit<VeoModel, 'id'>): [string, VeoModel] => [id, { id, ...spec }];

/** The model ids of the path `models/{model}:predictLongRunning`. */
export const VEO_MODELS: Record<string, VeoModel> = Object.fromEntries([
  model('veo-3.1-generate-preview', veo31),
  model('veo-3.1-fast-generate-preview', { ...veo31, referenceImages: false }),
  model('veo-3.1-lite-generate-preview', {
    ...veo31,
    resolutions: ['720p', '1080p'],
    eightSecondsOnly: ['1080p'],
  }),
  model('veo-3.0-generate-001', veo3),
  model('veo-3.0-fast-generate-001', veo3),
  model('veo-2.0-generate-001', {
    durations: [5, 6, 8],
    resolutions: [],
    eightSecondsOnly: [],
    lastFrame: false,
    referenceImages: false,
    personGeneration: {
      text: ['allow_all', 'allow_adult', 'dont_allow'],
      image: ['allow_adult', 'dont_allow'],
    },
  }),
]);
