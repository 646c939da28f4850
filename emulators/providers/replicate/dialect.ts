// Replicate's predictions API (docs/providers/replicate.md) under /replicate/v1, so
// `http://127.0.0.1:N/replicate/v1` stands for `https://api.replicate.com/v1`: create (model or
// version), get, cancel, list with cursor pages, the default webhook secret, outputs served
// without auth from /replicate/delivery/… and removed after the data TTL, and webhooks signed
// with Standard Webhooks. Errors are RFC 7807 problem details.
// The routes live in routes.ts (create's checks in create-request.ts), the JSON in wire.ts, the
// token check in gate.ts, webhooks in webhooks.ts; this file assembles them and answers the admin API.
import { randomBytes } from 'node:crypto';
import type { Core, Dialect } from '../core.js';
import { CreateBucket } from '../creates-per-minute.js';
import { JobQueue } from '../queued-jobs.js';
import { guarded } from '../routing.js';
import { Watcher, WebhookSender } from '../webhooks.js';
import { replicateGate } from './gate.js';
import { REPLICATE_ROUTES } from './routes.js';
import type { Prediction, ReplicateDeps } from './state.js';
import { sendAsItHappens } from './webhooks.js';
import { publicStatus } from './wire.js';

export function createReplicateDialect(core: Core): Dialect {
  const deps: ReplicateDeps = {
    core,
    // Replicate documents no per-account concurrency limit for these models; runs start after their boot time.
    queue: new JobQueue<Prediction>(() => 1000),
    creates: new CreateBucket(),
    secret: `whsec_${randomBytes(32).toString('base64')}`,
    webhooks: new WebhookSender(core),
    watcher: new Watcher<Prediction>(core, (p) => sendAsItHappens(deps, p)),
  };
  const { queue, watcher } = deps;
  return {
    routes: guarded(replicateGate(core), deps, REPLICATE_ROUTES),
    timing: (id) => queue.timing(id, publicStatus),
    expire(id) {
      const p = queue.get(id);
      if (p) p.dataRemoved = true;
      return p !== undefined;
    },
    reset() {
      queue.clear();
      watcher.clear();
      deps.creates.clear();
    },
    running: () => queue.runningBy((p) => p.model.id),
    close() {
      watcher.clear();
      deps.webhooks.close();
    },
  };
}
