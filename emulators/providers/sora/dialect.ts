// Azure OpenAI's Sora APIs (jobs API = Sora 1 under /openai/v1/video/generations, videos API =
// Sora 2 under /openai/v1/videos) and the same videos surface at /v1/videos as OpenAI serves
// it (Bearer auth, no api-version). Written on their own from docs/providers/azure-openai-sora.md
// and docs/providers/openai-videos.md.
// The routes live in jobs-routes.ts and videos-routes.ts, the JSON in wire.ts, the gates in
// gate.ts; this file assembles them and answers the admin API.
import type { Core, Dialect, Timing } from '../core.js';
import { TERMINAL } from '../jobs-api.js';
import { guarded } from '../routing.js';
import { JOBS_ROUTES } from './jobs-routes.js';
import { azureGate, openaiGate } from './gate.js';
import { createSoraState, running, statusOf, videoState, type SoraState } from './state.js';
import { videosRoutes } from './videos-routes.js';

function timing(state: SoraState, id: string): Timing | undefined {
  const job = state.jobs.get(id);
  if (job) {
    const status = statusOf(job);
    const finishedAtMs = job.moderated
      ? job.createdMs
      : TERMINAL.has(status) && !job.cancelled
        ? job.createdMs + job.totalMs
        : null;
    return {
      id,
      createdAtMs: job.createdMs,
      durationMs: job.totalMs,
      finishedAtMs,
      status,
      image: job.image ?? null,
    };
  }
  const video = state.videos.get(id);
  if (!video) return undefined;
  const { status } = videoState(video);
  const finishedAtMs = video.moderated
    ? video.createdMs
    : status === 'completed' || status === 'failed'
      ? video.createdMs + video.totalMs
      : null;
  return {
    id,
    createdAtMs: video.createdMs,
    durationMs: video.totalMs,
    finishedAtMs,
    status,
    image: video.image ?? null,
  };
}

export function createSoraDialect(core: Core): Dialect {
  const state = createSoraState(core);
  return {
    routes: [
      ...guarded(azureGate(core), state, [...JOBS_ROUTES, ...videosRoutes('/openai/v1')]),
      ...guarded(openaiGate(core), state, videosRoutes('/v1')),
    ],
    timing: (id) => timing(state, id),
    expire(id) {
      const target = state.jobs.get(id) ?? state.videos.get(id);
      if (target) target.expired = true;
      return target !== undefined;
    },
    reset() {
      state.jobs.clear();
      state.videos.clear();
      state.generations.clear();
    },
    running: () =>
      Object.fromEntries(
        [...state.deployments, ...state.videoDeployments].map((d) => [d, running(state, d)]),
      ),
  };
}
