// Preloaded into a Functions host in tests only (node --import, through the NODE_OPTIONS that
// falLoopbackSettings in fal-loopback.ts sets), before the app loads: the process's fetch, which
// the app's provider adapters use when given none (src/providers/registry.ts), maps fal's queue to
// the emulator and refuses any destination that is not a loopback address. The app itself has no
// such setting, by design.
import { FAL_EMULATOR_VARIABLE, loopbackFalFetch } from './fal-loopback.js';

const emulatorFal = process.env[FAL_EMULATOR_VARIABLE];
if (!emulatorFal) throw new Error(`${FAL_EMULATOR_VARIABLE} is not set: where is the fal emulator?`);
globalThis.fetch = loopbackFalFetch(emulatorFal, globalThis.fetch.bind(globalThis));
