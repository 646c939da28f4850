// How the AI Gateway dialect admits a request: `Authorization: Bearer <key>` names the caller
// (@ai-sdk/gateway also sends `ai-gateway-auth-method: api-key` and
// `ai-gateway-protocol-version`); a generation belongs to the key that started it. A missing or
// wrong key is 401 `authentication_error` (docs/providers/ai-gateway.md#authentication).
import type { Core } from '../core.js';
import type { Gate } from '../routing.js';
import { gatewayError } from './wire.js';

const INJECTED = {
  429: ['rate_limit_exceeded', 'Rate limit exceeded. Please try again later.'],
  500: ['internal_server_error', 'Internal server error.'],
  503: ['internal_server_error', 'The service is temporarily unavailable.'],
} as const;

export function gatewayGate(core: Core): Gate<string> {
  return {
    authenticate(ctx) {
      const key = /^Bearer\s+(.+)$/i.exec(String(ctx.req.headers.authorization ?? ''))?.[1].trim() ?? '';
      if (key === '' || (core.options.gatewayKey !== undefined && key !== core.options.gatewayKey)) {
        gatewayError(ctx.res, 401, 'authentication_error', 'Invalid API key.');
        return undefined;
      }
      return key;
    },
    injectedStatus(ctx, status, retryAfter) {
      const [type, message] = INJECTED[status];
      if (retryAfter !== undefined) ctx.res.setHeader('retry-after', retryAfter);
      gatewayError(ctx.res, status, type, message);
    },
    // Every video-model request names its model and the spec version it speaks.
    admit(ctx) {
      if (ctx.req.headers['ai-video-model-specification-version'] !== '4') {
        gatewayError(
          ctx.res,
          400,
          'invalid_request_error',
          'ai-video-model-specification-version must be 4.',
        );
        return false;
      }
      return true;
    },
  };
}
