// How the fal dialect admits a request: `Authorization: Key <FAL_KEY>` names the caller (the
// key is the account); a request belongs to the key that submitted it.
import type { Core, RequestContext } from '../core.js';
import type { Gate } from '../routing.js';
import type { FalDeps, FalRequest } from './state.js';
import { detail } from './wire.js';

export function falGate(core: Core): Gate<string> {
  return {
    authenticate(ctx) {
      const key = /^Key (.+)$/i.exec(ctx.req.headers.authorization ?? '')?.[1];
      if (key && (core.options.falKey === undefined || key === core.options.falKey)) return key;
      detail(ctx.res, 401, {
        detail: 'Invalid or missing credentials: send "Authorization: Key <FAL_KEY>".',
      });
      return undefined;
    },
    injectedStatus: (ctx, status, retryAfter) =>
      detail(
        ctx.res,
        status,
        { detail: `Injected fault: HTTP ${status}.` },
        retryAfter === undefined ? {} : { 'retry-after': retryAfter },
      ),
  };
}

/** The caller's own request at this app, or undefined once 404 (with `notFound`, or a `{detail}`)
 * is answered (another key's requests are invisible). */
export function ownRequest(
  deps: FalDeps,
  ctx: RequestContext,
  key: string,
  notFound: unknown = { detail: `Request ${ctx.params.request_id} not found.` },
): FalRequest | undefined {
  const r = deps.queue.get(ctx.params.request_id);
  if (!r || r.account !== key || r.app !== ctx.params.app) {
    detail(ctx.res, 404, notFound);
    return undefined;
  }
  return r;
}
