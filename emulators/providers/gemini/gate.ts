// How the Gemini dialect admits a request: the API key in `x-goog-api-key` (or the `key` query
// parameter, Google's standard one) names the caller; an operation and its files belong to the
// key that created them. As Google answers (docs/providers/gemini.md#authentication): no key is
// 403 PERMISSION_DENIED, a wrong key is 400 INVALID_ARGUMENT with reason API_KEY_INVALID.
import type { Core, RequestContext } from '../core.js';
import type { Gate } from '../routing.js';
import type { GeminiDeps, Operation } from './state.js';
import { googleError, retryInfo } from './wire.js';

/** The key a request carries: the header first, then `?key=`. */
export const apiKeyOf = (ctx: RequestContext) =>
  String(ctx.req.headers['x-goog-api-key'] ?? '') || (ctx.url.searchParams.get('key') ?? '');

const INJECTED = {
  429: ['RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'],
  500: [
    'INTERNAL',
    'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  ],
  503: ['UNAVAILABLE', 'The model is overloaded. Please try again later.'],
} as const;

export function geminiGate(core: Core): Gate<string> {
  return {
    authenticate(ctx) {
      const key = apiKeyOf(ctx);
      if (key === '') {
        googleError(
          ctx.res,
          'PERMISSION_DENIED',
          "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        );
        return undefined;
      }
      if (core.options.geminiKey !== undefined && key !== core.options.geminiKey) {
        googleError(ctx.res, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'API_KEY_INVALID',
            domain: 'googleapis.com',
            metadata: { service: 'generativelanguage.googleapis.com' },
          },
        ]);
        return undefined;
      }
      return key;
    },
    injectedStatus(ctx, status, retryAfter) {
      const [code, message] = INJECTED[status];
      googleError(ctx.res, code, message, retryAfter === undefined ? undefined : [retryInfo(retryAfter)]);
    },
  };
}

/** Google's answer for an id that names nothing (or another key's operation or file). */
export const notFound = (ctx: RequestContext) =>
  googleError(ctx.res, 'NOT_FOUND', 'Requested entity was not found.');

/** The caller's own operation of the model in the path, or undefined once 404 is answered. */
export function ownOperation(deps: GeminiDeps, ctx: RequestContext, key: string): Operation | undefined {
  const op = deps.queue.get(ctx.params.operation_id);
  if (!op || op.account !== key || op.model.id !== ctx.params.model) return void notFound(ctx);
  return op;
}
