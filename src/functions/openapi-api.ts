// GET /api/openapi.json's handler. The document's builder (openapi.ts) and the response schemas
// it reads (api-schemas.ts, ../status/view-schemas.ts: ~350 zod schemas) are imported on the
// first request, not at app load, which only registers this handler (bench/README.md "App load time").
import type { HttpResponseInit } from '@azure/functions';

export function createOpenApi(deps: {
  publicBaseUrl: () => string | undefined;
  providerNames?: () => readonly string[];
}) {
  let document: string | undefined;
  return {
    async getOpenApi(): Promise<HttpResponseInit> {
      // Built once per process: the schemas do not change while the app runs.
      document ??= JSON.stringify(
        (await import('./openapi.js')).buildOpenApiDocument({
          publicBaseUrl: deps.publicBaseUrl(),
          providerNames: deps.providerNames?.(),
        }),
      );
      return { status: 200, headers: { 'content-type': 'application/json' }, body: document };
    },
  };
}
