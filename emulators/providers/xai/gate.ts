// How the xAI dialect admits a request: `Authorization: Bearer <key>` names the caller, and a
// request id belongs to the key that made it. xAI answers a wrong key with 400 and its `{code,
// error}` body ("Incorrect API key provided: xa***ey. …", the key masked but for two characters
// at each end); the emulator answers a missing key the same way (docs/providers/xai.md#authentication).
import type { Core, RequestContext } from '../core.js';
import type { Gate } from '../routing.js';
import type { VideoRequest, XaiDeps } from './state.js';
import { xaiError } from './wire.js';

/** The bearer token a request carries, or '' without one. */
export const bearerOf = (ctx: RequestContext) =>
  /^Bearer\s+(.+)$/i.exec(String(ctx.req.headers.authorization ?? ''))?.[1].trim() ?? '';

/** The key as xAI shows it in its refusal: two characters at each end. */
const masked = (key: string) => (key.length > 4 ? `${key.slice(0, 2)}***${key.slice(-2)}` : '***');

/** Injected faults in xAI's words, as public code quotes answers of api.x.ai (docs/providers/xai.md#errors). */
const INJECTED = {
  429: 'The service is temporarily at capacity. Please retry your request shortly.',
  500: 'Internal error',
  503: 'Service temporarily unavailable. The model is at capacity and currently cannot serve this request. Please try again later.',
} as const;

export function xaiGate(core: Core): Gate<string> {
  return {
    authenticate(ctx) {
      const key = bearerOf(ctx);
      if (key === '') {
        xaiError(ctx.res, 400, 'No API key provided. You can obtain an API key from https://console.x.ai.');
        return undefined;
      }
      if (core.options.xaiKey !== undefined && key !== core.options.xaiKey) {
        xaiError(
          ctx.res,
          400,
          `Incorrect API key provided: ${masked(key)}. You can obtain an API key from https://console.x.ai.`,
        );
        return undefined;
      }
      return key;
    },
    // xAI's sources read show no Retry-After on a 429, so none is sent (the wait is the caller's).
    injectedStatus(ctx, status) {
      xaiError(ctx.res, status, INJECTED[status]);
    },
  };
}

/** The caller's own request of the id in the path, or undefined once 404 is answered. */
export function ownRequest(deps: XaiDeps, ctx: RequestContext, key: string): VideoRequest | undefined {
  const r = deps.queue.get(ctx.params.request_id);
  if (!r || r.account !== key) {
    xaiError(ctx.res, 404, 'No deferred video could be found with the given request_id.');
    return undefined;
  }
  return r;
}
