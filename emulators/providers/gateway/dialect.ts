// The Vercel AI Gateway's asynchronous video API as @ai-sdk/gateway calls it
// (docs/providers/ai-gateway.md) under /gateway/v4/ai, so `http://127.0.0.1:N/gateway/v4/ai`
// stands for `https://ai-gateway.vercel.sh/v4/ai`: start a generation, poll its status with the
// operation the start returned, download the videos. The routes live in routes.ts (the body's
// checks in create-request.ts, the model ids in models.ts), the JSON in wire.ts, the key check in
// gate.ts; this file assembles them and answers the admin API.
import type { Core, Dialect } from '../core.js';
import { JobQueue } from '../queued-jobs.js';
import { guarded } from '../routing.js';
import { gatewayGate } from './gate.js';
import { GATEWAY_ROUTES } from './routes.js';
import type { GatewayDeps, Generation } from './state.js';
import { publicStatus } from './wire.js';

export function createGatewayDialect(core: Core): Dialect {
  const deps: GatewayDeps = {
    core,
    queue: new JobQueue<Generation>(() => 1000),
    idempotent: new Map(),
    files: new Map(),
  };
  const { queue } = deps;
  return {
    routes: guarded(gatewayGate(core), deps, GATEWAY_ROUTES),
    timing: (id) => queue.timing(id, publicStatus),
    expire(id) {
      const generation = queue.get(id);
      if (generation) generation.expired = true;
      return generation !== undefined;
    },
    reset() {
      queue.clear();
      deps.idempotent.clear();
      deps.files.clear();
    },
    running: () => queue.runningBy((g) => g.model),
  };
}
