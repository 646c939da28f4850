// HTTP front of the provider emulator: routes each request to its dialect (Azure/OpenAI Sora,
// fal queue, Replicate predictions, Gemini API, xAI videos, AI Gateway videos), draws its faults, counts it, and serves the admin API.
// Every dialect runs on the one job core in core.ts.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { createCore, type Core, type Dialect, type RequestContext, type Route } from './core.js';
import { parseFaultConfig } from './faults.js';
import { noContent, readJsonObject, sendJson } from './http-util.js';
import { runtimeOptionProblem, type ProviderEmulatorOptions } from './options.js';
import { createFalDialect } from './fal/dialect.js';
import { createGeminiDialect } from './gemini/dialect.js';
import { createReplicateDialect } from './replicate/dialect.js';
import { createSoraDialect } from './sora/dialect.js';
import { createXaiDialect } from './xai/dialect.js';
import { createGatewayDialect } from './gateway/dialect.js';

export type { ProviderEmulatorOptions } from './options.js';

const ADMIN_ROUTES: Array<[string, RegExp]> = [
  ['GET /_admin/stats', /^GET \/_admin\/stats$/],
  ['PUT /_admin/faults', /^PUT \/_admin\/faults$/],
  ['GET /_admin/faults', /^GET \/_admin\/faults$/],
  ['DELETE /_admin/faults', /^DELETE \/_admin\/faults$/],
  ['PATCH /_admin/config', /^PATCH \/_admin\/config$/],
  ['POST /_admin/reset', /^POST \/_admin\/reset$/],
  ['POST /_admin/expire/{id}', /^POST \/_admin\/expire\/(?<id>[^/]+)$/],
  ['GET /_admin/jobs/{id}', /^GET \/_admin\/jobs\/(?<id>[^/]+)$/],
];

/** Admin answers use the Azure error shape the existing tests and tools read. */
const adminError = (ctx: RequestContext, status: number, code: string, message: string, param?: string) =>
  sendJson(ctx.res, status, { error: { code, message, param: param ?? null, type: null } });

async function handleAdmin(ctx: RequestContext, core: Core, dialects: Dialect[]) {
  const { res, params } = ctx;
  switch (ctx.template) {
    case 'GET /_admin/stats': {
      const runningJobs = Object.assign({}, ...dialects.map((d) => d.running())) as Record<string, number>;
      return sendJson(res, 200, { ...core.stats, runningJobs });
    }
    case 'PUT /_admin/faults': {
      const body = await readJsonObject(ctx.req);
      if (body === 'invalid')
        return adminError(ctx, 400, 'invalid_request_error', 'The request body must be a JSON object.');
      const config = parseFaultConfig(body ?? {});
      if (typeof config === 'string') return adminError(ctx, 400, 'invalid_faults', config);
      core.faults.set(config);
      return sendJson(res, 200, config);
    }
    case 'GET /_admin/faults':
      return sendJson(res, 200, core.faults.get());
    case 'DELETE /_admin/faults':
      core.faults.set({ seed: 1, rules: [] });
      return noContent(res);
    case 'PATCH /_admin/config': {
      const body = await readJsonObject(ctx.req);
      if (body === 'invalid')
        return adminError(ctx, 400, 'invalid_request_error', 'The request body must be a JSON object.');
      for (const [name, value] of Object.entries(body ?? {})) {
        const problem = runtimeOptionProblem(name, value);
        if (problem) return adminError(ctx, 400, 'invalid_config', problem, name);
      }
      Object.assign(core.settings, body);
      return sendJson(res, 200, core.settings);
    }
    case 'POST /_admin/reset':
      for (const dialect of dialects) dialect.reset();
      core.resetStats();
      return noContent(res);
    case 'POST /_admin/expire/{id}':
      return dialects.some((d) => d.expire(params.id))
        ? noContent(res)
        : adminError(ctx, 404, 'NotFound', `No job or video ${params.id}.`);
    case 'GET /_admin/jobs/{id}': {
      const timing = dialects.map((d) => d.timing(params.id)).find((t) => t !== undefined);
      return timing
        ? sendJson(res, 200, timing)
        : adminError(ctx, 404, 'NotFound', `No job or video ${params.id}.`);
    }
  }
}

export function createProviderEmulatorServer(options: ProviderEmulatorOptions = {}) {
  const core = createCore(options);
  const dialects: Dialect[] = [
    createSoraDialect(core),
    createFalDialect(core),
    createReplicateDialect(core),
    createGeminiDialect(core),
    createXaiDialect(core),
    createGatewayDialect(core),
  ];
  // Admin routes are never faulted; every dialect route is.
  const routes: Array<{ route: Route; faulted: boolean }> = [
    ...ADMIN_ROUTES.map(([template, pattern]) => ({
      route: { template, pattern, handle: (ctx: RequestContext) => handleAdmin(ctx, core, dialects) },
      faulted: false,
    })),
    ...dialects.flatMap((dialect) => dialect.routes.map((route) => ({ route, faulted: true }))),
  ];

  const server = http.createServer((req, res) => {
    res.setHeader('apim-request-id', randomUUID());
    const url = new URL(req.url ?? '/', 'http://localhost');
    const key = `${req.method} ${url.pathname}`;
    let matched: { route: Route; params: Record<string, string>; faulted: boolean } | undefined;
    for (const { route, faulted } of routes) {
      const match = route.pattern.exec(key);
      if (match) {
        matched = { route, params: { ...match.groups }, faulted };
        break;
      }
    }
    res.on('finish', () => {
      const name = matched?.route.template ?? 'unmatched';
      core.stats.requests[name] ??= {};
      core.stats.requests[name][res.statusCode] = (core.stats.requests[name][res.statusCode] ?? 0) + 1;
    });
    if (!matched)
      return sendJson(res, 404, {
        error: {
          code: 'NotFound',
          message: `No route for ${req.method} ${url.pathname}.`,
          param: null,
          type: null,
        },
      });
    const { route, params, faulted } = matched;
    const injected = faulted
      ? core.faults.choose(route.template)
      : { latencyMs: 0, reset: false, truncate: false };
    const ctx: RequestContext = { req, res, template: route.template, params, url, injected };
    route.handle(ctx).catch((error: Error) => {
      if (!res.headersSent)
        sendJson(res, 500, {
          error: {
            code: 'internal_error',
            message: `Emulator error: ${error.message}`,
            param: null,
            type: null,
          },
        });
      else res.destroy(error);
    });
  });
  server.on('close', () => {
    for (const dialect of dialects) dialect.close?.();
  });
  return server;
}
