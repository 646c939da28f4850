// How the Azure OpenAI Sora dialect admits a request: Azure takes an `api-key` header or a
// bearer token and checks api-version; OpenAI's /v1 surface takes a bearer token only and
// ignores api-version. Create bodies arrive as JSON or multipart.
import type { Core, RequestContext } from '../core.js';
import { BodyError, readCreateBody, type ParsedBody } from '../request-body.js';
import type { Gate } from '../routing.js';
import { fail } from './wire.js';

const injectedStatus: Gate<string>['injectedStatus'] = (ctx, status, retryAfter) =>
  fail(
    ctx.res,
    { status, code: String(status), message: `Injected fault: HTTP ${status}.` },
    retryAfter === undefined ? {} : { 'retry-after': retryAfter },
  );

/** The key matches `--api-key`, or any non-empty key when none is set. */
const accepted = (core: Core, key: unknown): key is string =>
  typeof key === 'string' &&
  key.length > 0 &&
  (core.options.apiKey === undefined || key === core.options.apiKey);

const bearerOf = (ctx: RequestContext) => /^Bearer (.+)$/i.exec(ctx.req.headers.authorization ?? '')?.[1];

/** Azure OpenAI at /openai/v1: `api-key` or a bearer token; api-version absent, `v1` or `preview`. */
export function azureGate(core: Core): Gate<string> {
  return {
    authenticate(ctx) {
      const key = ctx.req.headers['api-key'] ?? bearerOf(ctx);
      if (accepted(core, key)) return key;
      fail(ctx.res, {
        status: 401,
        code: '401',
        message:
          'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
      });
      return undefined;
    },
    injectedStatus,
    admit(ctx) {
      const apiVersion = ctx.url.searchParams.get('api-version');
      if (apiVersion === null || apiVersion === 'v1' || apiVersion === 'preview') return true;
      fail(ctx.res, { status: 400, code: 'BadRequest', message: 'API version not supported' });
      return false;
    },
  };
}

/** OpenAI at /v1: a bearer token only; any api-version is ignored. */
export function openaiGate(core: Core): Gate<string> {
  return {
    authenticate(ctx) {
      const key = bearerOf(ctx);
      if (accepted(core, key)) return key;
      fail(ctx.res, {
        status: 401,
        code: 'invalid_api_key',
        message: 'Incorrect API key provided.',
        type: 'invalid_request_error',
      });
      return undefined;
    },
    injectedStatus,
  };
}

/** A create body (JSON or multipart), or undefined once a malformed one has been answered 400. */
export async function readBodyOrFail(ctx: RequestContext): Promise<ParsedBody | undefined> {
  try {
    return await readCreateBody(ctx.req);
  } catch (error) {
    if (!(error instanceof BodyError)) throw error;
    fail(ctx.res, {
      status: 400,
      code: 'invalid_request_error',
      message: error.message,
      type: 'invalid_request_error',
    });
    return undefined;
  }
}
