// fal's queue API (docs/providers/fal.md) under /fal, so `http://127.0.0.1:N/fal` stands for
// `https://queue.fal.run`: submit, status (+ SSE stream), result, cancel, public output files under
// /fal/files/…, signed webhooks and the JWKS that verifies them at /fal/.well-known/jwks.json.
// Where fal's docs leave a running cancel to the app (docs/providers/fal.md#cancel), the emulated
// apps honour it (the request ends at once as client_cancelled) unless the
// `falIgnoreRunningCancel` setting makes them run on to the end. The routes live in routes.ts, the JSON in wire.ts, the key
// check in gate.ts, webhooks in webhooks.ts; this file assembles them and answers the admin API.
import type { Core, Dialect } from '../core.js';
import { JobQueue } from '../queued-jobs.js';
import { guarded } from '../routing.js';
import { Watcher, WebhookSender } from '../webhooks.js';
import { falGate } from './gate.js';
import { FAL_ROUTES } from './routes.js';
import { createFalSigner } from './signing.js';
import type { FalDeps, FalRequest } from './state.js';
import { sendWhenFinal } from './webhooks.js';
import { publicStatus } from './wire.js';

export function createFalDialect(core: Core): Dialect {
  const queue = new JobQueue<FalRequest>(() => core.settings.falConcurrency);
  const signer = createFalSigner();
  const webhooks = new WebhookSender(core);
  const watcher = new Watcher<FalRequest>(core, (r) => sendWhenFinal({ core, queue, signer, webhooks }, r));
  const deps: FalDeps = { core, queue, signer, watcher };
  return {
    routes: guarded(falGate(core), deps, FAL_ROUTES),
    timing: (id) => queue.timing(id, publicStatus),
    expire(id) {
      const r = queue.get(id);
      if (r) r.expired = true;
      return r !== undefined;
    },
    reset() {
      queue.clear();
      watcher.clear();
    },
    running: () => queue.runningBy((r) => r.model.id),
    close() {
      watcher.clear();
      webhooks.close();
    },
  };
}
