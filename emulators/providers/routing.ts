// The request plumbing every dialect shares: a dialect declares its routes with one handler
// each and a gate in its own wire shapes (who the caller is, how a 401 and an injected fault
// are answered); `guarded` runs each request through authentication, the faults drawn for it
// and the dialect's own check before the handler. Open routes (public output files, keys)
// skip all three, as the vendors' CDNs and well-known documents need no credentials.
import type { RequestContext, Route } from './core.js';
import { serveFile } from './http-util.js';

/**
 * A route as a dialect declares it, in the table of its routes: `open` handlers run as they are;
 * `handle` ones run behind the dialect's gate and get the authenticated caller. Both get the
 * dialect's state and dependencies (`deps`) first.
 */
export type RouteSpec<Deps, Caller> =
  | { template: string; pattern: RegExp; open(deps: Deps, ctx: RequestContext): unknown }
  | { template: string; pattern: RegExp; handle(deps: Deps, ctx: RequestContext, caller: Caller): unknown };

/** How a dialect admits a request, each answer in its own shape. */
export interface Gate<Caller> {
  /** The caller the request's credentials name, or undefined once it has answered 401. */
  authenticate(ctx: RequestContext): Caller | undefined;
  /** Answers an injected status fault (a 429 carries `retryAfterSeconds`). */
  injectedStatus(ctx: RequestContext, status: 429 | 500 | 503, retryAfterSeconds?: number): void;
  /** A check of the dialect's own on every guarded request, after its faults; false once it has answered. */
  admit?(ctx: RequestContext): boolean;
}

/** The route table as the server runs it, in the order given. */
export function guarded<Deps, Caller>(
  gate: Gate<Caller>,
  deps: Deps,
  specs: Array<RouteSpec<Deps, Caller>>,
): Route[] {
  return specs.map((spec) => ({
    template: spec.template,
    pattern: spec.pattern,
    handle:
      'open' in spec
        ? async (ctx: RequestContext) => spec.open(deps, ctx)
        : async (ctx: RequestContext) => {
            const caller = gate.authenticate(ctx);
            if (caller === undefined) return;
            if (
              await applyFaults(ctx, (status, retryAfterSeconds) =>
                gate.injectedStatus(ctx, status, retryAfterSeconds),
              )
            )
              return;
            if (gate.admit && !gate.admit(ctx)) return;
            return spec.handle(deps, ctx, caller);
          },
  }));
}

/** Serves an output file of an open route (fal's and Replicate's CDNs); applyFaults never sees these, so latency (a CDN slow to answer) applies here. */
export async function serveOutputFile(ctx: RequestContext, file: string) {
  if (ctx.injected.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, ctx.injected.latencyMs));
  return serveFile(ctx.req, ctx.res, file, ctx.injected.truncate);
}

/**
 * Applies the faults drawn for a request after the dialect has authenticated it. Returns true
 * when the request has been answered (or dropped) and the handler must stop.
 */
async function applyFaults(
  ctx: RequestContext,
  failWith: (status: 429 | 500 | 503, retryAfterSeconds?: number) => void,
): Promise<boolean> {
  const { injected, req, res } = ctx;
  if (injected.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, injected.latencyMs));
  if (injected.reset) {
    req.socket.destroy();
    return true;
  }
  if (injected.dropResponse) {
    // Do the work, then lose the answer: what a gateway timeout looks like to a client.
    const drop = () => {
      req.socket.destroy();
      return res;
    };
    res.writeHead = drop as unknown as typeof res.writeHead;
    res.end = drop as unknown as typeof res.end;
  }
  if (injected.status) {
    failWith(
      injected.status.status,
      injected.status.status === 429 ? (injected.status.retryAfterSeconds ?? 1) : undefined,
    );
    return true;
  }
  return false;
}
