// GET /api/videos query parameters as a zod schema, on its own so videos-list.ts validates a
// query without building every response schema of api-schemas.ts at app load (only
// /api/openapi.json needs those; bench/README.md "App load time"). api-schemas.ts re-exports it.
import { z } from 'zod';
import { videoPhaseSchema } from '../status/video-phase.js';

/** GET /api/videos query parameters, as values (the handler turns the query strings into these). */
export const MAX_LIST_LIMIT = 100;
export const listQuerySchema = z.object({
  limit: z
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_LIST_LIMIT, `must be at most ${MAX_LIST_LIMIT}`)
    .default(20)
    .describe('Items per page.'),
  phase: videoPhaseSchema.optional().describe('Only requests in this phase.'),
  provider: z
    .string()
    .min(1, 'must not be empty')
    .optional()
    .describe('Only requests to this provider (its configured name).'),
  continuationToken: z
    .string()
    .min(1, 'must not be empty')
    .optional()
    .describe('From the previous page; opaque.'),
});
export type ListQuery = z.infer<typeof listQuerySchema>;
