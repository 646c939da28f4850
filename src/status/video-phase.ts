// A video request's phase as a zod schema, on its own so a handler that validates a phase
// (GET /api/videos?phase=) does not build every status schema at app load (view-schemas.ts
// re-exports it; bench/README.md "App load time").
import { z } from 'zod';

export const videoPhases = [
  'pending',
  'creating',
  'queued',
  'running',
  'downloading',
  'cleaning-up',
  'completed',
  'failed',
  'cancelled',
] as const;
export const videoPhaseSchema = z
  .enum(videoPhases)
  .describe(
    'Where the request is: pending, creating, queued, running, downloading, cleaning-up, then completed, failed or cancelled.',
  );
export type VideoPhase = z.infer<typeof videoPhaseSchema>;
export const finishedPhases: readonly VideoPhase[] = ['completed', 'failed', 'cancelled'];
