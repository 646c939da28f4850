// fal's queue API (video-providers.md §1) under /fal, so `http://127.0.0.1:N/fal` stands for
// `https://queue.fal.run`: submit, status (+ SSE stream), result, cancel, public output files
// under /fal/files/…, signed webhooks and the JWKS that verifies them at /fal/.well-known/jwks.json.
// Decision where the docs leave it open (§1.6): the emulated apps honour a cancel while IN_PROGRESS
// (202 CANCELLATION_REQUESTED, the request ends at once as client_cancelled), like a queued one.
import { createHash, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { type Core, type Dialect, type LateFailure, type RequestContext, type Timing } from './core.js';
import { applyFaults } from './routing.js';
import { createFalSigner } from './fal-signing.js';
import { originOf, readJsonObject, sendJson, serveFile, type Headers } from './http-util.js';
import { jobDurationMs } from './jobs-api.js';
import { JobQueue, type JobState, type QueuedJob } from './queued-jobs.js';
import { FAL_MODELS, nominalSize, outputSize, validateInput, type Problem, type VideoModel } from './video-models.js';
import { Watcher, WebhookSender } from './webhooks.js';

interface FalRequest extends QueuedJob {
  model: VideoModel;
  /** owner/app: the first two segments of the model id (three for workflows/ and comfy/). */
  app: string;
  input: Record<string, unknown>;
  origin: string;
  webhookUrl?: string;
  fileTtlSeconds: number;
  expired: boolean;
  file: string;
  ready?: Promise<number>;
}

const ROUTES: Array<[string, RegExp]> = [
  ['GET /fal/.well-known/jwks.json', /^GET \/fal\/\.well-known\/jwks\.json$/],
  ['GET /fal/files/{request_id}/{file_name}', /^(GET|HEAD) \/fal\/files\/(?<request_id>[^/]+)\/(?<file_name>[^/]+)$/],
  ['GET /fal/{owner}/{app}/requests/{request_id}/status/stream', /^GET \/fal\/(?<app>(?:workflows\/|comfy\/)?[^/]+\/[^/]+)\/requests\/(?<request_id>[^/]+)\/status\/stream$/],
  ['GET /fal/{owner}/{app}/requests/{request_id}/status', /^GET \/fal\/(?<app>(?:workflows\/|comfy\/)?[^/]+\/[^/]+)\/requests\/(?<request_id>[^/]+)\/status$/],
  ['GET /fal/{owner}/{app}/requests/{request_id}', /^GET \/fal\/(?<app>(?:workflows\/|comfy\/)?[^/]+\/[^/]+)\/requests\/(?<request_id>[^/]+)$/],
  ['PUT /fal/{owner}/{app}/requests/{request_id}/cancel', /^PUT \/fal\/(?<app>(?:workflows\/|comfy\/)?[^/]+\/[^/]+)\/requests\/(?<request_id>[^/]+)\/cancel$/],
  ['POST /fal/{model_id}', /^POST \/fal\/(?<model_id>[^?]+)$/],
];

/** Status/result/cancel address a request by owner/app only (§1.1). */
export function appOf(modelId: string): string {
  const parts = modelId.split('/');
  return ['workflows', 'comfy'].includes(parts[0]) ? parts.slice(0, 3).join('/') : parts.slice(0, 2).join('/');
}

const detail = (res: ServerResponse, status: number, body: unknown, headers: Headers = {}) => sendJson(res, status, body, headers);

/** Pydantic-style 422 entries, the shape fal's models answer with (§1.5). */
function validationDetail(problems: Problem[]) {
  return problems.map((p) => {
    const loc = ['body', p.field];
    if (p.kind === 'missing') return { loc, msg: 'Field required', type: 'missing' };
    if (p.kind === 'enum' || (p.kind === 'type' && p.expected)) {
      const expected = p.expected!.map((e) => `'${e}'`).join(', ').replace(/, ([^,]*)$/, ' or $1');
      return { loc, msg: `Input should be ${expected}`, type: 'literal_error', input: p.value, ctx: { expected } };
    }
    if (p.kind === 'range') return { loc, msg: `Input should be ${p.min !== undefined && (p.value as number) < p.min ? `greater than or equal to ${p.min}` : `less than or equal to ${p.max}`}`, type: p.min !== undefined && (p.value as number) < p.min ? 'greater_than_equal' : 'less_than_equal', input: p.value };
    const kind = { string: 'string', number: 'float', integer: 'int', boolean: 'bool', array: 'list' }[p.field_type];
    return { loc, msg: `Input should be a valid ${p.field_type === 'number' ? 'number' : p.field_type}`, type: `${kind}_type`, input: p.value };
  });
}

interface Outcome {
  status: number;
  body: unknown;
  errorType?: string;
  /** The status object's `error`. */
  error?: string;
  /** `user` when the caller's X-Fal-Request-Timeout ran out (clients must not retry then). */
  timeoutType?: 'user';
}

export function createFalDialect(core: Core): Dialect {
  const { settings } = core;
  const queue = new JobQueue<FalRequest>(() => settings.falConcurrency);
  const signer = createFalSigner();
  const webhooks = new WebhookSender(core);
  const userIdOf = (key: string) => `user_${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;

  const urls = (r: FalRequest) => {
    const base = `${r.origin}/fal/${r.app}/requests/${r.id}`;
    return { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
  };
  const publicStatus = (state: JobState) => (state.phase === 'queued' ? 'IN_QUEUE' : state.phase === 'running' ? 'IN_PROGRESS' : 'COMPLETED');

  /** What the model answered, once the request is final. */
  function outcomeOf(r: FalRequest, state: JobState): Outcome | undefined {
    if (state.phase === 'expired') return { status: 504, body: { detail: 'Request timed out', error_type: 'request_timeout' }, errorType: 'request_timeout', error: 'Request timed out', timeoutType: 'user' };
    if (state.phase === 'cancelled') return { status: 499, body: { detail: 'Request was cancelled by the client.', error_type: 'client_cancelled' }, errorType: 'client_cancelled', error: 'Request was cancelled by the client.' };
    if (state.phase !== 'failed') return undefined;
    const late: LateFailure = r.moderated ? null : r.lateFailure;
    if (late === 'internal_error') return { status: 500, body: { detail: 'Internal server error', error_type: 'internal_error' }, errorType: 'internal_error', error: 'Internal server error' };
    const msg = r.moderated ? 'The prompt was flagged by the content checker. Please change the prompt and try again.' : 'The generated video was flagged by the content checker.';
    return { status: 422, body: { detail: [{ loc: ['body', 'prompt'], msg, type: 'content_policy_violation', ctx: { extra_info: r.moderated ? 'input' : 'output' } }] }, errorType: 'content_policy_violation', error: 'Invalid status code: 422' };
  }

  /** Runner logs on the clock: one line at start, at each quarter, and at the end. */
  function logsOf(r: FalRequest, state: JobState, now = Date.now()) {
    if (state.startedMs === null) return [];
    const at = (ms: number, message: string, level = 'INFO') => ({ message, level, source: 'USER', timestamp: new Date(ms).toISOString() });
    const end = state.finishedMs ?? queue.plannedEnd(r);
    const lines = [at(state.startedMs, `Generating a ${r.model.seconds(r.input)} s ${r.model.aspect(r.input)} video`)];
    for (const quarter of [25, 50, 75]) {
      const ms = state.startedMs + ((end - state.startedMs) * quarter) / 100;
      if (ms <= now && (state.finishedMs === null || ms < state.finishedMs)) lines.push(at(ms, `Progress: ${quarter}%`));
    }
    if (state.finishedMs !== null) lines.push(at(state.finishedMs, state.phase === 'succeeded' ? 'Video generated' : `Request ended: ${state.phase}`, state.phase === 'succeeded' ? 'INFO' : 'ERROR'));
    return lines;
  }

  function statusView(r: FalRequest, withLogs: boolean) {
    const state = queue.state(r);
    const status = publicStatus(state);
    const view: Record<string, unknown> = { status, request_id: r.id, ...urls(r) };
    if (status === 'IN_QUEUE') view.queue_position = state.queuePosition;
    if (status !== 'IN_QUEUE') view.logs = withLogs ? logsOf(r, state) : null;
    if (status === 'COMPLETED') {
      view.metrics = state.startedMs !== null ? { inference_time: (state.finishedMs! - state.startedMs) / 1000 } : {};
      const outcome = outcomeOf(r, state);
      if (outcome) Object.assign(view, { error: outcome.error, error_type: outcome.errorType });
    }
    return view;
  }

  /** The finished video's File object; encodes the MP4 on first use. */
  async function resultBody(r: FalRequest) {
    const { width, height } = outputSize(r.model.aspect(r.input));
    r.ready ??= core.produceVideo({ width, height, seconds: r.model.seconds(r.input), seed: String(r.input.prompt) }, r.file).catch((error: unknown) => {
      r.ready = undefined; // a later request tries again instead of failing forever
      throw error;
    });
    const bytes = await r.ready;
    const seed = typeof r.input.seed === 'number' ? r.input.seed : createHash('sha256').update(String(r.input.prompt)).digest().readUInt32BE(0);
    return { video: { url: `${r.origin}/fal/files/${r.id}/output.mp4`, content_type: 'video/mp4', file_name: 'output.mp4', file_size: bytes }, seed };
  }

  /** Sends the §1.9 webhook once the request is final; returns true when done with it. */
  const watcher = new Watcher<FalRequest>((r) => {
    const state = queue.state(r);
    if (state.finishedMs === null) return false;
    const outcome = outcomeOf(r, state);
    const deliver = (payload: unknown, status: 'OK' | 'ERROR', error?: string) => {
      const body = JSON.stringify({ request_id: r.id, gateway_request_id: r.id, status, payload, ...(error ? { error } : {}) });
      webhooks.send({ url: r.webhookUrl!, body, retry: true, headers: (now) => signer.headers(r.id, userIdOf(r.account), body, now) });
    };
    if (outcome) deliver(outcome.body, 'ERROR', `Invalid status code: ${outcome.status}`);
    else resultBody(r).then((result) => deliver(result, 'OK'), (error: Error) => deliver({ detail: error.message }, 'ERROR', 'Invalid status code: 500'));
    return true;
  });

  function keyOf(ctx: RequestContext): string | undefined {
    const key = /^Key (.+)$/i.exec(ctx.req.headers.authorization ?? '')?.[1];
    if (!key) return undefined;
    return core.options.falKey === undefined || key === core.options.falKey ? key : undefined;
  }

  /** The caller's own request at this app, or a 404 answered. */
  function ownRequest(ctx: RequestContext, key: string): FalRequest | undefined {
    const r = queue.get(ctx.params.request_id);
    if (!r || r.account !== key || r.app !== ctx.params.app) {
      detail(ctx.res, 404, { detail: `Request ${ctx.params.request_id} not found.` });
      return undefined;
    }
    return r;
  }

  async function submit(ctx: RequestContext, key: string) {
    const { res, url, params } = ctx;
    const model = FAL_MODELS[params.model_id];
    if (!model) return detail(res, 404, { detail: `Application '${params.model_id}' not found.` });
    const body = await readJsonObject(ctx.req);
    if (body === 'invalid') return detail(res, 422, { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] });
    const checked = validateInput(model.schema, body ?? {});
    if ('problems' in checked) return detail(res, 422, { detail: validationDetail(checked.problems) });
    const maxQueue = url.searchParams.get('fal_max_queue_length');
    if (maxQueue !== null) {
      // The caller's own requests still waiting at this endpoint.
      const waiting = [...queue.all.values()].filter((r) => r.account === key && r.model === model && queue.state(r).phase === 'queued').length;
      if (waiting >= Number(maxQueue)) return detail(res, 429, { detail: `Queue is full: ${waiting} requests waiting, fal_max_queue_length is ${maxQueue}.` }, { 'retry-after': Math.max(1, Math.ceil((2000 * settings.timeScale) / 1000)) });
    }
    const input = checked.input;
    const aspect = model.aspect(input);
    const { width, height } = nominalSize(aspect, input.resolution);
    const totalMs = core.jittered(jobDurationMs({ width, height, n_seconds: model.seconds(input), n_variants: 1 }, settings.timeScale));
    const id = randomUUID();
    // X-Fal-Request-Timeout: seconds the request may wait for its start (queue time, not inference).
    const timeout = Number(ctx.req.headers['x-fal-request-timeout'] ?? NaN);
    const lifecycle = /"expiration_duration_seconds"\s*:\s*(\d+)/.exec(String(ctx.req.headers['x-fal-object-lifecycle-preference'] ?? ''));
    const r: FalRequest = {
      id,
      account: key,
      createdMs: Date.now(),
      queueMs: Math.round(totalMs * 0.1),
      runMs: totalMs - Math.round(totalMs * 0.1),
      startDeadlineMs: timeout > 0 ? Date.now() + timeout * 1000 : undefined,
      moderated: core.denied(String(input.prompt)),
      lateFailure: core.drawLateFailure(),
      model,
      app: appOf(model.id),
      input,
      origin: originOf(ctx.req),
      webhookUrl: url.searchParams.get('fal_webhook') ?? undefined,
      fileTtlSeconds: lifecycle ? Number(lifecycle[1]) : settings.falFileTtlSeconds,
      expired: false,
      file: path.join(core.dataDir, `fal-${id}.mp4`),
    };
    queue.add(r);
    core.countCreate('fal', model.id, queue.runningBy((j) => j.model.id)[model.id] ?? 0);
    if (r.webhookUrl) watcher.add(r);
    const state = queue.state(r);
    return detail(res, 200, { status: 'IN_QUEUE', request_id: id, gateway_request_id: id, ...urls(r), queue_position: state.queuePosition }, { 'x-fal-request-id': id });
  }

  /** Server-sent status events until COMPLETED (§1.1), with pings to keep the line open. */
  function streamStatus(ctx: RequestContext, r: FalRequest) {
    const { res } = ctx;
    const withLogs = ctx.url.searchParams.get('logs') === '1';
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    let last = '';
    let sinceEvent = 0;
    const tick = () => {
      const view = statusView(r, withLogs);
      const text = JSON.stringify(view);
      if (text !== last) {
        res.write(`data: ${text}\n\n`);
        last = text;
        sinceEvent = 0;
      } else if ((sinceEvent += 50) >= 1000) {
        res.write(': ping\n\n');
        sinceEvent = 0;
      }
      if (view.status === 'COMPLETED') {
        clearInterval(timer);
        res.end();
      }
    };
    const timer = setInterval(tick, 50);
    res.on('close', () => clearInterval(timer));
    tick();
  }

  async function handle(ctx: RequestContext) {
    const { res, params } = ctx;
    // Public: the JWKS and output files (served by fal's CDN without auth).
    if (ctx.template === 'GET /fal/.well-known/jwks.json') return sendJson(res, 200, signer.jwks);
    if (ctx.template === 'GET /fal/files/{request_id}/{file_name}') {
      const r = queue.get(params.request_id);
      const state = r && queue.state(r);
      const gone = !r || !state || state.phase !== 'succeeded' || params.file_name !== 'output.mp4' || r.expired || Date.now() > state.finishedMs! + r.fileTtlSeconds * 1000;
      if (gone) return detail(res, 404, { detail: 'Not Found' });
      await resultBody(r);
      // Files skip authentication, so applyFaults never sees them: latency (a CDN slow to answer) here.
      if (ctx.injected.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, ctx.injected.latencyMs));
      return serveFile(ctx.req, res, r.file, ctx.injected.truncate);
    }
    const key = keyOf(ctx);
    if (!key) return detail(res, 401, { detail: 'Invalid or missing credentials: send "Authorization: Key <FAL_KEY>".' });
    const handled = await applyFaults(ctx, (status, retryAfter) => detail(res, status, { detail: `Injected fault: HTTP ${status}.` }, retryAfter === undefined ? {} : { 'retry-after': retryAfter }));
    if (handled) return;
    if (ctx.template === 'POST /fal/{model_id}') return submit(ctx, key);
    const r = ownRequest(ctx, key);
    if (!r) return;
    switch (ctx.template) {
      case 'GET /fal/{owner}/{app}/requests/{request_id}/status': {
        const view = statusView(r, ctx.url.searchParams.get('logs') === '1');
        return detail(res, view.status === 'COMPLETED' ? 200 : 202, view, { 'x-fal-request-id': r.id });
      }
      case 'GET /fal/{owner}/{app}/requests/{request_id}/status/stream':
        return streamStatus(ctx, r);
      case 'GET /fal/{owner}/{app}/requests/{request_id}': {
        const state = queue.state(r);
        if (state.finishedMs === null) return detail(res, 400, { detail: 'Request is still in progress.' }, { 'x-fal-request-id': r.id });
        const outcome = outcomeOf(r, state);
        if (outcome) {
          const headers: Headers = { 'x-fal-request-id': r.id, ...(outcome.errorType ? { 'x-fal-error-type': outcome.errorType } : {}), ...(outcome.timeoutType ? { 'x-fal-request-timeout-type': outcome.timeoutType } : {}) };
          return detail(res, outcome.status, outcome.body, headers);
        }
        return detail(res, 200, await resultBody(r), { 'x-fal-request-id': r.id });
      }
      case 'PUT /fal/{owner}/{app}/requests/{request_id}/cancel': {
        const state = queue.state(r);
        if (state.finishedMs !== null) return detail(res, 400, { status: 'ALREADY_COMPLETED' });
        queue.cancel(r);
        return detail(res, 202, { status: 'CANCELLATION_REQUESTED' });
      }
    }
  }

  function timing(id: string): Timing | undefined {
    const r = queue.get(id);
    if (!r) return undefined;
    const state = queue.state(r);
    const end = state.finishedMs ?? queue.plannedEnd(r);
    return { id, createdAtMs: r.createdMs, durationMs: end - r.createdMs, finishedAtMs: state.finishedMs, status: publicStatus(state) };
  }

  return {
    routes: ROUTES.map(([template, pattern]) => ({ template, pattern, handle })),
    timing,
    expire(id) {
      const r = queue.get(id);
      if (r) r.expired = true;
      return r !== undefined;
    },
    reset() {
      queue.clear();
      watcher.clear();
    },
    running: () => queue.runningBy((r) => r.model.id),
    close() {
      watcher.clear();
      webhooks.close();
    },
  };
}
