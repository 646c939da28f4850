// xAI's video generation API (docs/providers/xai.md) under /xai/v1, so
// `http://127.0.0.1:N/xai/v1` stands for `https://api.x.ai/v1`: a generation starts a deferred
// request, `GET /v1/videos/{request_id}` polls it, and the finished video is a public file
// (/xai/vidgen/… for https://vidgen.x.ai/…). The routes live in routes.ts (the body's checks in
// create-request.ts, the models in models.ts), the JSON in wire.ts, the key check in gate.ts;
// this file assembles them and answers the admin API.
import type { Core, Dialect } from '../core.js';
import { JobQueue } from '../queued-jobs.js';
import { guarded } from '../routing.js';
import { xaiGate } from './gate.js';
import { XAI_ROUTES } from './routes.js';
import type { VideoRequest, XaiDeps } from './state.js';
import { publicStatus } from './wire.js';

export function createXaiDialect(core: Core): Dialect {
  const deps: XaiDeps = {
    core,
    // xAI documents no limit on running video requests, only request rate limits; each runs after its queue time.
    queue: new JobQueue<VideoRequest>(() => 1000),
  };
  const { queue } = deps;
  return {
    routes: guarded(xaiGate(core), deps, XAI_ROUTES),
    timing(id) {
      const r = queue.get(id);
      return r && queue.timing(id, (state) => publicStatus(r, state));
    },
    expire(id) {
      const r = queue.get(id);
      if (r) r.expired = true;
      return r !== undefined;
    },
    reset: () => queue.clear(),
    running: () => queue.runningBy((r) => r.request.model.id),
  };
}
