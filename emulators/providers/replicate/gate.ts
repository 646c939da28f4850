// How the Replicate dialect admits a request: `Authorization: Bearer <token>` (or `Token …`)
// names the caller; a prediction belongs to the token that made it.
import type { Core, RequestContext } from '../core.js';
import type { Gate } from '../routing.js';
import type { Prediction, ReplicateDeps } from './state.js';
import { problem } from './wire.js';

export function replicateGate(core: Core): Gate<string> {
  return {
    authenticate(ctx) {
      const token = /^(?:Bearer|Token) (.+)$/i.exec(ctx.req.headers.authorization ?? '')?.[1];
      if (token && (core.options.replicateToken === undefined || token === core.options.replicateToken))
        return token;
      problem(ctx.res, 401, 'Unauthenticated', 'You did not pass a valid authentication token');
      return undefined;
    },
    injectedStatus: (ctx, status, retryAfter) =>
      problem(
        ctx.res,
        status,
        `Injected fault: HTTP ${status}`,
        `Injected fault: HTTP ${status}.`,
        {},
        retryAfter === undefined ? {} : { 'retry-after': retryAfter },
      ),
  };
}

/** The caller's own prediction, or undefined once 404 is answered (another token's predictions are invisible). */
export function ownPrediction(
  deps: ReplicateDeps,
  ctx: RequestContext,
  token: string,
): Prediction | undefined {
  const p = deps.queue.get(ctx.params.id);
  if (!p || p.account !== token) {
    problem(ctx.res, 404, 'Not found', 'The requested resource could not be found.');
    return undefined;
  }
  return p;
}
