// Replicate's predictions API (video-providers.md §2) under /replicate/v1, so
// `http://127.0.0.1:N/replicate/v1` stands for `https://api.replicate.com/v1`: create (model or
// version), get, cancel, list with cursor pages, the default webhook secret, outputs served
// without auth from /replicate/delivery/… and removed after the data TTL, and webhooks signed
// with Standard Webhooks. Errors are RFC 7807 problem details.
import { createHmac, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { type Core, type Dialect, type RequestContext, type Timing } from './core.js';
import { applyFaults } from './routing.js';
import { originOf, readJsonObject, sendJson, serveFile, type Headers } from './http-util.js';
import { jobDurationMs } from './jobs-api.js';
import { JobQueue, type JobState, type QueuedJob } from './queued-jobs.js';
import { REPLICATE_MODELS, nominalSize, outputSize, validateInput, type Problem, type VideoModel } from './video-models.js';
import { Watcher, WebhookSender } from './webhooks.js';

const EVENTS = ['start', 'output', 'logs', 'completed'] as const;
type WebhookEvent = (typeof EVENTS)[number];

interface Prediction extends QueuedJob {
  model: VideoModel;
  /** As sent (the prediction shows it so). */
  input: Record<string, unknown>;
  /** With the model's defaults filled in (what the run uses). */
  resolved: Record<string, unknown>;
  origin: string;
  webhook?: string;
  /** As sent; undefined = Replicate's default (new output and completion). */
  filter?: WebhookEvent[];
  dataRemoved: boolean;
  file: string;
  ready?: Promise<number>;
  lastLogs: string;
  lastLogsSentMs: number;
}

const ROUTES: Array<[string, RegExp]> = [
  ['POST /replicate/v1/models/{owner}/{name}/predictions', /^POST \/replicate\/v1\/models\/(?<owner>[^/]+)\/(?<name>[^/]+)\/predictions$/],
  ['POST /replicate/v1/predictions', /^POST \/replicate\/v1\/predictions$/],
  ['GET /replicate/v1/predictions', /^GET \/replicate\/v1\/predictions$/],
  ['GET /replicate/v1/predictions/{id}', /^GET \/replicate\/v1\/predictions\/(?<id>[^/]+)$/],
  ['POST /replicate/v1/predictions/{id}/cancel', /^POST \/replicate\/v1\/predictions\/(?<id>[^/]+)\/cancel$/],
  ['GET /replicate/v1/webhooks/default/secret', /^GET \/replicate\/v1\/webhooks\/default\/secret$/],
  ['GET /replicate/delivery/{id}/{file_name}', /^(GET|HEAD) \/replicate\/delivery\/(?<id>[^/]+)\/(?<file_name>[^/]+)$/],
];

const PAGE_SIZE = 100;

/** A Cancel-After value (`500ms`, `30s`, `5m`, `1h30m`; a bare number is seconds) in ms, or null when malformed. */
export function durationMs(text: string): number | null {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(trimmed)) return null;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
  let total = 0;
  for (const [, value, , name] of trimmed.matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g)) total += Number(value) * unit[name as keyof typeof unit];
  return total;
}

/** RFC 7807 problem details (§2.6). */
function problem(res: ServerResponse, status: number, title: string, detail: string, extra: Record<string, unknown> = {}, headers: Headers = {}) {
  sendJson(res, status, { type: `https://replicate.com/docs/reference/http#${status}`, title, status, detail, ...extra }, headers, 'application/problem+json');
}

/** Replicate's ids: 26 lowercase base32 characters. */
function predictionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return [...randomBytes(26)].map((b) => alphabet[b % 32]).join('');
}

function describeProblem(p: Problem): string {
  if (p.kind === 'missing') return `input: ${p.field} is required`;
  if (p.kind === 'enum' || (p.kind === 'type' && p.expected)) return `input.${p.field}: input.${p.field} must be one of the following: ${p.expected!.map((e) => (typeof e === 'string' ? `"${e}"` : e)).join(', ')}`;
  if (p.kind === 'range') return `input.${p.field}: Must be ${p.min !== undefined && (p.value as number) < p.min ? `greater than or equal to ${p.min}` : `less than or equal to ${p.max}`}`;
  return `input.${p.field}: Invalid type. Expected: ${p.field_type}, given: ${Array.isArray(p.value) ? 'array' : typeof p.value}`;
}

export function createReplicateDialect(core: Core): Dialect {
  const { settings } = core;
  // Replicate documents no per-account concurrency limit for these models; runs start after their boot time.
  const queue = new JobQueue<Prediction>(() => 1000);
  const webhooks = new WebhookSender(core);
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const recentCreates = new Map<string, number[]>();
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const dataGone = (p: Prediction, state: JobState) => p.dataRemoved || (state.finishedMs !== null && Date.now() > state.finishedMs + settings.replicateDataTtlSeconds * 1000);

  // `aborted`: a Cancel-After deadline passed before the start (not billed); after the start it is `canceled`.
  const publicStatus = (state: JobState) => ({ queued: 'starting', running: 'processing', succeeded: 'succeeded', failed: 'failed', cancelled: 'canceled', expired: 'aborted' })[state.phase];

  function logsOf(p: Prediction, state: JobState, now = Date.now()): string {
    if (state.startedMs === null) return '';
    const end = state.finishedMs ?? queue.plannedEnd(p);
    const lines = [`Generating a ${p.model.seconds(p.resolved)} s ${p.model.aspect(p.resolved)} video`];
    for (const quarter of [25, 50, 75]) {
      const ms = state.startedMs + ((end - state.startedMs) * quarter) / 100;
      if (ms <= now && (state.finishedMs === null || ms < state.finishedMs)) lines.push(`${quarter}%`);
    }
    if (state.phase === 'succeeded') lines.push('Video generated');
    return lines.map((line) => `${line}\n`).join('');
  }

  function view(p: Prediction) {
    const state = queue.state(p);
    const status = publicStatus(state);
    const removed = dataGone(p, state);
    const base = `${p.origin}/replicate/v1/predictions/${p.id}`;
    return {
      id: p.id,
      model: p.model.id,
      version: p.model.version,
      input: removed ? {} : p.input,
      logs: removed ? '' : logsOf(p, state),
      output: status === 'succeeded' && !removed ? `${p.origin}/replicate/delivery/${p.id}/output.mp4` : null,
      data_removed: removed,
      error: status !== 'failed' ? null : p.moderated || p.lateFailure === 'output_moderation' ? 'The input or output was flagged as sensitive. Please try again with different inputs. (E005)' : 'Prediction failed due to an internal error. (E8765)',
      status,
      created_at: iso(p.createdMs),
      started_at: iso(state.startedMs),
      completed_at: iso(state.finishedMs),
      urls: { get: base, cancel: `${base}/cancel`, web: `https://replicate.com/p/${p.id}` },
      metrics: state.finishedMs === null ? {} : { predict_time: state.startedMs === null ? 0 : (state.finishedMs - state.startedMs) / 1000, total_time: (state.finishedMs - p.createdMs) / 1000 },
      source: 'api',
      ...(p.runDeadlineMs !== undefined ? { deadline: iso(p.runDeadlineMs) } : {}),
      ...(p.webhook ? { webhook: p.webhook, webhook_events_filter: p.filter ?? ['output', 'completed'] } : {}),
    };
  }

  /** Standard Webhooks headers for one attempt (§2.7, §3). */
  function signed(body: string, messageId: string) {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    return (nowMs: number) => {
      const timestamp = String(Math.floor(nowMs / 1000));
      const signature = createHmac('sha256', key).update(`${messageId}.${timestamp}.${body}`).digest('base64');
      return { 'webhook-id': messageId, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
    };
  }

  function sendEvent(p: Prediction, terminal: boolean) {
    const body = JSON.stringify(view(p));
    webhooks.send({ url: p.webhook!, body, retry: terminal, headers: signed(body, `msg_${predictionId()}`) });
  }

  /** Sends the events the prediction's filter asks for as they happen; done after the terminal one. */
  const watcher = new Watcher<Prediction>((p) => {
    const filter = new Set(p.filter ?? ['output', 'completed']);
    const state = queue.state(p);
    const now = Date.now();
    const logs = logsOf(p, state, now);
    const final = state.finishedMs !== null;
    if (final) {
      // One terminal webhook carries the output too, so `output` is only sent on its own without `completed`.
      if (filter.has('completed')) sendEvent(p, true);
      else if (filter.has('output') && state.phase === 'succeeded') sendEvent(p, false);
      return true;
    }
    if (filter.has('logs') && logs !== p.lastLogs && now - p.lastLogsSentMs >= 500) {
      p.lastLogs = logs;
      p.lastLogsSentMs = now;
      sendEvent(p, false);
    }
    return false;
  });

  function tokenOf(ctx: RequestContext): string | undefined {
    const token = /^(?:Bearer|Token) (.+)$/i.exec(ctx.req.headers.authorization ?? '')?.[1];
    if (!token) return undefined;
    return core.options.replicateToken === undefined || token === core.options.replicateToken ? token : undefined;
  }

  /** The model a POST /predictions `version` names: a 64-hex id, owner/name:id, or owner/name. */
  function modelForVersion(version: string): VideoModel | undefined {
    const [name, id] = version.includes(':') ? version.split(':') : /^[0-9a-f]{64}$/.test(version) ? [undefined, version] : [version, undefined];
    return Object.values(REPLICATE_MODELS).find((m) => (name === undefined || m.id === name) && (id === undefined || m.version === id));
  }

  async function create(ctx: RequestContext, token: string) {
    const { res, req } = ctx;
    if (settings.replicateCreditExhausted) {
      return problem(res, 402, 'Insufficient credit', 'You have insufficient credit to run this model. Go to https://replicate.com/account/billing#billing to purchase credit. Once you purchase credit, please wait a few minutes before trying again.');
    }
    const now = Date.now();
    const recent = (recentCreates.get(token) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= settings.replicateCreatesPerMinute) {
      const retryAfter = Math.max(1, Math.ceil((recent[0] + 60_000 - now) / 1000));
      // Replicate's documented throttle body is just `detail`; title and status make it a problem document too.
      return problem(res, 429, 'Request was throttled', `Request was throttled. Your rate limit resets in ~${retryAfter}s.`, {}, { 'retry-after': retryAfter });
    }
    const body = await readJsonObject(req);
    if (body === 'invalid' || body === undefined) return problem(res, 400, 'Invalid request', 'The request body must be a JSON object.');
    let model: VideoModel | undefined;
    if (ctx.template === 'POST /replicate/v1/predictions') {
      if (typeof body.version !== 'string' || body.version === '') return problem(res, 422, 'Input validation failed', '- version: version is required', { invalid_fields: [{ type: 'required', field: 'version', description: 'version is required' }] });
      model = modelForVersion(body.version);
      if (!model) return problem(res, 404, 'Not found', `The requested version ${body.version} does not exist.`);
    } else {
      model = REPLICATE_MODELS[`${ctx.params.owner}/${ctx.params.name}`];
      if (!model) return problem(res, 404, 'Not found', `The requested model ${ctx.params.owner}/${ctx.params.name} does not exist.`);
    }
    if (typeof body.input !== 'object' || body.input === null || Array.isArray(body.input)) {
      return problem(res, 422, 'Input validation failed', '- input: input is required', { invalid_fields: [{ type: 'required', field: 'input', description: 'input is required' }] });
    }
    const checked = validateInput(model.schema, body.input as Record<string, unknown>);
    if ('problems' in checked) {
      const lines = checked.problems.map(describeProblem);
      return problem(res, 422, 'Input validation failed', lines.map((l) => `- ${l}\n`).join(''), { invalid_fields: checked.problems.map((p, i) => ({ type: p.kind === 'missing' ? 'required' : p.kind, field: `input.${p.field}`, description: lines[i] })) });
    }
    if (body.webhook !== undefined && (typeof body.webhook !== 'string' || !/^https?:\/\//.test(body.webhook))) {
      return problem(res, 422, 'Input validation failed', '- webhook: Must be a valid HTTP or HTTPS URL');
    }
    const filter = body.webhook_events_filter;
    if (filter !== undefined && (!Array.isArray(filter) || !filter.every((e) => (EVENTS as readonly unknown[]).includes(e)))) {
      return problem(res, 422, 'Input validation failed', `- webhook_events_filter: each entry must be one of ${EVENTS.join(', ')}`);
    }
    const cancelAfter = req.headers['cancel-after'];
    const deadlineMs = cancelAfter === undefined ? undefined : durationMs(String(cancelAfter));
    if (deadlineMs === null) return problem(res, 400, 'Invalid Cancel-After', `Cancel-After must be a duration such as 30s, 5m or 1h30m, got "${String(cancelAfter)}".`);
    recentCreates.set(token, [...recent, now]);
    const input = checked.input;
    const aspect = model.aspect(input);
    const { width, height } = nominalSize(aspect, input.resolution);
    const totalMs = core.jittered(jobDurationMs({ width, height, n_seconds: model.seconds(input), n_variants: 1 }, settings.timeScale));
    const id = predictionId();
    const p: Prediction = {
      id,
      account: token,
      createdMs: now,
      queueMs: Math.round(totalMs * 0.1),
      runMs: totalMs - Math.round(totalMs * 0.1),
      startDeadlineMs: deadlineMs === undefined ? undefined : now + deadlineMs,
      runDeadlineMs: deadlineMs === undefined ? undefined : now + deadlineMs,
      moderated: core.denied(String(input.prompt)),
      lateFailure: core.drawLateFailure(),
      model,
      input: body.input as Record<string, unknown>,
      resolved: input,
      origin: originOf(req),
      webhook: body.webhook as string | undefined,
      filter: filter as WebhookEvent[] | undefined,
      dataRemoved: false,
      file: path.join(core.dataDir, `replicate-${id}.mp4`),
      lastLogs: '',
      lastLogsSentMs: 0,
    };
    queue.add(p);
    core.countCreate('replicate', model.id, queue.runningBy((j) => j.model.id)[model.id] ?? 0);
    if (p.webhook) {
      if (p.filter?.includes('start')) sendEvent(p, false);
      watcher.add(p);
    }
    await preferWait(ctx, p);
    return sendJson(res, 201, view(p));
  }

  /** `Prefer: wait[=n]` holds the answer until the prediction ends or n seconds (≤ 60) pass (§2.2). */
  async function preferWait(ctx: RequestContext, p: Prediction) {
    const prefer = /^\s*wait(?:=(\d+))?\s*$/.exec(String(ctx.req.headers.prefer ?? ''));
    if (!prefer) return;
    const deadline = Date.now() + Math.min(60, Number(prefer[1] ?? 60)) * 1000;
    while (Date.now() < deadline && queue.state(p).finishedMs === null && !ctx.res.destroyed) await new Promise((r) => setTimeout(r, 25));
  }

  function list(ctx: RequestContext, token: string) {
    const { url } = ctx;
    const after = url.searchParams.get('created_after');
    const before = url.searchParams.get('created_before');
    const afterMs = after === null ? -Infinity : Date.parse(after);
    const beforeMs = before === null ? Infinity : Date.parse(before);
    if (Number.isNaN(afterMs) || Number.isNaN(beforeMs)) return problem(ctx.res, 400, 'Invalid request', 'created_after and created_before must be ISO 8601 date-times.');
    const mine = [...queue.all.values()].filter((p) => p.account === token && p.createdMs > afterMs && p.createdMs < beforeMs).reverse();
    const offset = Math.max(0, Number(Buffer.from(url.searchParams.get('cursor') ?? '', 'base64url').toString() || 0) || 0);
    const page = mine.slice(offset, offset + PAGE_SIZE);
    const link = (at: number) => {
      const next = new URL(`${originOf(ctx.req)}/replicate/v1/predictions`);
      if (after !== null) next.searchParams.set('created_after', after);
      if (before !== null) next.searchParams.set('created_before', before);
      next.searchParams.set('cursor', Buffer.from(String(at)).toString('base64url'));
      return next.toString();
    };
    return sendJson(ctx.res, 200, { next: offset + PAGE_SIZE < mine.length ? link(offset + PAGE_SIZE) : null, previous: offset > 0 ? link(Math.max(0, offset - PAGE_SIZE)) : null, results: page.map(view) });
  }

  async function handle(ctx: RequestContext) {
    const { res, params } = ctx;
    if (ctx.template === 'GET /replicate/delivery/{id}/{file_name}') {
      // Served without auth (the official client sends none); an Authorization header is accepted and ignored.
      const p = queue.get(params.id);
      const state = p && queue.state(p);
      if (!p || !state || state.phase !== 'succeeded' || params.file_name !== 'output.mp4' || dataGone(p, state)) return problem(res, 404, 'Not found', 'The requested file does not exist.');
      const { width, height } = outputSize(p.model.aspect(p.resolved));
      p.ready ??= core.produceVideo({ width, height, seconds: p.model.seconds(p.resolved), seed: String(p.resolved.prompt) }, p.file).catch((error: unknown) => {
        p.ready = undefined; // a later request tries again instead of failing forever
        throw error;
      });
      await p.ready;
      // Files skip authentication, so applyFaults never sees them: latency (a CDN slow to answer) here.
      if (ctx.injected.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, ctx.injected.latencyMs));
      return serveFile(ctx.req, res, p.file, ctx.injected.truncate);
    }
    const token = tokenOf(ctx);
    if (!token) return problem(res, 401, 'Unauthenticated', 'You did not pass a valid authentication token');
    const handled = await applyFaults(ctx, (status, retryAfter) => problem(res, status, `Injected fault: HTTP ${status}`, `Injected fault: HTTP ${status}.`, {}, retryAfter === undefined ? {} : { 'retry-after': retryAfter }));
    if (handled) return;
    switch (ctx.template) {
      case 'POST /replicate/v1/models/{owner}/{name}/predictions':
      case 'POST /replicate/v1/predictions':
        return create(ctx, token);
      case 'GET /replicate/v1/predictions':
        return list(ctx, token);
      case 'GET /replicate/v1/webhooks/default/secret':
        return sendJson(res, 200, { key: secret });
    }
    const p = queue.get(params.id);
    if (!p || p.account !== token) return problem(res, 404, 'Not found', 'The requested resource could not be found.');
    if (ctx.template === 'POST /replicate/v1/predictions/{id}/cancel' && queue.state(p).finishedMs === null) queue.cancel(p);
    return sendJson(res, 200, view(p));
  }

  function timing(id: string): Timing | undefined {
    const p = queue.get(id);
    if (!p) return undefined;
    const state = queue.state(p);
    const end = state.finishedMs ?? queue.plannedEnd(p);
    return { id, createdAtMs: p.createdMs, durationMs: end - p.createdMs, finishedAtMs: state.finishedMs, status: publicStatus(state) };
  }

  return {
    routes: ROUTES.map(([template, pattern]) => ({ template, pattern, handle })),
    timing,
    expire(id) {
      const p = queue.get(id);
      if (p) p.dataRemoved = true;
      return p !== undefined;
    },
    reset() {
      queue.clear();
      watcher.clear();
      recentCreates.clear();
    },
    running: () => queue.runningBy((p) => p.model.id),
    close() {
      watcher.clear();
      webhooks.close();
    },
  };
}
