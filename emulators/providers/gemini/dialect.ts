// The Gemini API's Veo video generation (docs/providers/gemini.md) under /v1beta, so
// `http://127.0.0.1:N/v1beta` stands for `https://generativelanguage.googleapis.com/v1beta`:
// predictLongRunning starts an operation, GET of its name polls it, and each generated sample is a
// file whose media download is served to the same API key. The routes live in routes.ts (the
// create's checks in create-request.ts, the models in models.ts), the JSON in wire.ts, the key
// check in gate.ts; this file assembles them and answers the admin API.
import type { Core, Dialect } from '../core.js';
import { CreatesPerMinute } from '../creates-per-minute.js';
import { JobQueue } from '../queued-jobs.js';
import { guarded } from '../routing.js';
import { geminiGate } from './gate.js';
import { GEMINI_ROUTES } from './routes.js';
import type { GeminiDeps, Operation } from './state.js';
import { publicStatus } from './wire.js';

export function createGeminiDialect(core: Core): Dialect {
  const deps: GeminiDeps = {
    core,
    // Google documents no limit on running operations, only request quotas; each runs after its queue time.
    queue: new JobQueue<Operation>(() => 1000),
    creates: new CreatesPerMinute(),
    files: new Map(),
  };
  const { queue } = deps;
  return {
    routes: guarded(geminiGate(core), deps, GEMINI_ROUTES),
    timing: (id) => queue.timing(id, publicStatus),
    expire(id) {
      const op = queue.get(id);
      if (op) op.expired = true;
      return op !== undefined;
    },
    reset() {
      queue.clear();
      deps.files.clear();
      deps.creates.clear();
    },
    running: () => queue.runningBy((op) => op.model.id),
  };
}
