// Provider webhooks against polling, in the same run: one Azurite, one provider emulator
// (child process; realistic-ish job lengths with seeded ±30% jitter) and three Functions hosts
// running the same built app, each on its own task hub and blob container:
//   webhooks  PUBLIC_BASE_URL = the host's own URL, so fal/Replicate creates carry a callback URL
//             (`{PUBLIC_BASE_URL}/api/callbacks/{provider}`) and the emulator's signed webhook wakes
//             the orchestration; polls only as the fallback; poll bounds 2–30 s (as infra sets them)
//   adaptive  no PUBLIC_BASE_URL (no webhook registered), the adaptive poll policy, bounds 2–30 s
//   fixed 5 s no webhook, POLL_MIN_SECONDS = POLL_MAX_SECONDS = 5 (the quickstart's loop)
// For each provider in --providers (one after the other, on the same stacks), N videos are
// started on each host at the same moment. For each request:
//   notice = the orchestration's own record of leaving the wait − the upstream finish, where
//            leaving the wait = the Timestamp of the history's first `TaskScheduled downloadVideo`
//            (the host stamps an episode's scheduled tasks with the moment that episode began,
//            i.e. the episode that received the webhook event or the status answer saying the job
//            had ended) and the upstream finish = `finishedAtMs` of GET /_admin/jobs/{jobId}
//            (the exact moment the emulator's public status turned final);
//   seen   = the first moment the bench sees the request `completed` via GET /api/videos/{id}
//            (polled every 100 ms from 1 s before the job's scheduled finish) − the same finish;
//            the download to Blob Storage and the last episodes are inside it, nothing subtracted;
//   calls  = `polls` of the status view (status calls made by the orchestration);
//   events = `events` of the status view (verified webhooks that woke it).
// A start answered 503 + Retry-After (the app's storage slow to answer on a loaded machine) is
// sent again after that wait, up to 3 times, and counted ("starts resent").
// Goal (webhooks arm): every request ≤ 1 status call and mean notice ≤ 0.5 s.
// Prints a markdown table; exits non-zero if any request did not complete.
// Blobs (claims, videos) are always in Azurite; --store memory keeps the hosts' durable state in
// memory instead of Azurite tables (same for every arm).
//   npx tsx bench/webhooks.ts [--jobs 50] [--time-scale 5] [--jitter 0.3] [--seed 1] [--providers replicate,fal] [--store azure|memory]
import { execFileSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startAzurite, type RunningAzurite } from '../emulators/azurite/index.js';
import { startHost, type RunningHost } from '../emulators/functions-host/index.js';
import { jobDurationMs } from '../emulators/providers/jobs-api.js';
import { spawnProviderEmulatorCli } from '../emulators/providers/spawn-cli.js';
import { nominalSize } from '../emulators/providers/video-models.js';
import { stopChildProcess } from '../emulators/stop-child.js';
import { UPSTREAM_JOB_EVENT } from '../src/orchestrations/contracts.js';
import { freePort, pipelineSettings } from '../test/integration/pipeline-stack.js';
import { appDirFor, json, repoRoot, sleep } from './support.js';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '50' },
    // Kling 5 s 16:9 is 18 s of emulator work at time scale 1: 5 gives 90 s nominal.
    'time-scale': { type: 'string', default: '5' },
    jitter: { type: 'string', default: '0.3' },
    seed: { type: 'string', default: '1' },
    providers: { type: 'string', default: 'replicate,fal' },
    // Where the hosts keep durable state: 'azure' (Azurite tables, as on Azure) or 'memory'.
    store: { type: 'string', default: 'azure' },
  },
});
const jobCount = Number(values.jobs);
const timeScale = Number(values['time-scale']);
const jitter = Number(values.jitter);
const seed = Number(values.seed);
if (!Number.isInteger(jobCount) || jobCount < 1) throw new Error('--jobs must be a positive integer');
if (values.store !== 'azure' && values.store !== 'memory') throw new Error('--store must be azure or memory');
const store: 'azure' | 'memory' = values.store;

/** Each provider's webhook-capable model, as the app's request names it. */
const MODELS = {
  replicate: 'kwaivgi/kling-v2.0',
  fal: 'fal-ai/kling-video/v2/master/text-to-video',
} as const;
type ProviderName = keyof typeof MODELS;
const providers = values.providers
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);
for (const p of providers)
  if (!(p in MODELS)) throw new Error(`--providers: ${p} is not one of ${Object.keys(MODELS).join(', ')}`);

const KEY = 'bench-key';
/** The request each video is (the model's defaults: 5 s, 16:9). Same prompt, so the emulator encodes once. */
const requestFor = (provider: ProviderName) => ({
  provider,
  model: MODELS[provider],
  prompt: 'A cat playing piano in a jazz bar.',
});
const FINE_POLL_MS = 100;
const FINE_FROM_MS = 1000;
/** Past the due finish by this much, look once a second (a lost webhook waits for the fallback poll). */
const FINE_UNTIL_MS = 10_000;
const SLOW_POLL_MS = 1000;
/** Per provider phase: the longest job (nominal + 30%) plus room for a fallback poll and a slow host. */
const phaseTimeoutMs = () => Math.round(nominalMs() * (1 + jitter)) + 4 * 60_000;
const nominalMs = () => {
  const { width, height } = nominalSize('16:9');
  return jobDurationMs({ width, height, n_seconds: 5, n_variants: 1 }, timeScale);
};

interface Arm {
  name: string;
  webhooks: boolean;
  poll: { min: number; max: number };
  hub: string;
  container: string;
  appDir?: string;
  host?: RunningHost;
}

const arms: Arm[] = [
  {
    name: 'webhooks (+ fallback polls, 2–30 s)',
    webhooks: true,
    poll: { min: 2, max: 30 },
    hub: 'BenchWebhooks',
    container: 'videos-webhooks',
  },
  {
    name: 'adaptive polling (2–30 s)',
    webhooks: false,
    poll: { min: 2, max: 30 },
    hub: 'BenchAdaptive',
    container: 'videos-adaptive',
  },
  {
    name: 'fixed 5 s loop',
    webhooks: false,
    poll: { min: 5, max: 5 },
    hub: 'BenchFixed5',
    container: 'videos-fixed5',
  },
];

interface VideoView {
  phase: string;
  polls: number;
  events: number;
  error?: string;
  upstream?: { jobId?: string };
}

interface Outcome {
  arm: Arm;
  id: string;
  phase: string;
  seenAtMs: number;
  view?: VideoView;
  error?: string;
}

interface HistoryEvent {
  EventType: string;
  Timestamp: string;
  FunctionName?: string;
}

interface Timing {
  createdAtMs: number;
  durationMs: number;
  finishedAtMs: number | null;
  status: string;
}

interface Measured {
  noticeMs: number;
  seenMs: number;
  calls: number;
  events: number;
  durationMs: number;
  /** Webhooks arm: upstream finish → the app raised the event (emulator send + verify + claim lookup). */
  raisedMs?: number;
  /** Polling arms: upstream finish → the status call that saw it answered. */
  answeredMs?: number;
}

/** A start answered 503 + Retry-After (the app's storage was slow: a loaded machine) is sent again
 * after that wait, as a client should; at most this many sends. Each resend is counted. */
const START_ATTEMPTS = 4;

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/** Follows one request through GET /api/videos/{id} until it ends (or the deadline). */
async function follow(arm: Arm, id: string, emulatorUrl: string, deadline: number): Promise<Outcome> {
  let dueAtMs: number | undefined;
  for (;;) {
    if (Date.now() > deadline)
      return { arm, id, phase: 'bench-timeout', seenAtMs: Date.now(), error: 'the bench timed out' };
    let answer: { status: number; body: VideoView };
    try {
      answer = await json<VideoView>(`${arm.host!.url}/api/videos/${id}`);
    } catch (error) {
      await sleep(SLOW_POLL_MS);
      if (Date.now() > deadline)
        return { arm, id, phase: 'bench-timeout', seenAtMs: Date.now(), error: (error as Error).message };
      continue;
    }
    const seenAtMs = Date.now();
    if (answer.status === 200 && FINISHED.has(answer.body.phase))
      return { arm, id, phase: answer.body.phase, seenAtMs, view: answer.body };
    const jobId = answer.body?.upstream?.jobId;
    if (dueAtMs === undefined && jobId) {
      const timing = (await json<Timing>(`${emulatorUrl}/_admin/jobs/${encodeURIComponent(jobId)}`)).body;
      dueAtMs = timing.createdAtMs + timing.durationMs;
    }
    const now = Date.now();
    let wait: number;
    if (dueAtMs === undefined) wait = SLOW_POLL_MS;
    else if (now < dueAtMs - FINE_FROM_MS) wait = Math.min(10_000, dueAtMs - FINE_FROM_MS - now);
    else if (now < dueAtMs + FINE_UNTIL_MS) wait = FINE_POLL_MS;
    else wait = SLOW_POLL_MS;
    await sleep(Math.min(wait, deadline - now + 1));
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Nearest-rank percentile. */
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)];
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

interface WebhookStats {
  sent: number;
  delivered: number;
  failed: number;
  dropped: number;
  retried: number;
}

async function runProvider(
  provider: ProviderName,
  emulatorUrl: string,
): Promise<{ failed: number; lines: string[] }> {
  const request = requestFor(provider);
  const hooksBefore = (await json<{ webhooks: WebhookStats }>(`${emulatorUrl}/_admin/stats`)).body.webhooks;
  const loadBefore = loadavg()[0];
  const started = Date.now();
  const deadline = started + phaseTimeoutMs();
  const resends = new Map<Arm, number>();
  const outcomes = await Promise.all(
    arms.flatMap((arm) =>
      Array.from({ length: jobCount }, async (): Promise<Outcome> => {
        try {
          let answer = await json<{ id: string }>(`${arm.host!.url}/api/videos`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(request),
          });
          for (let attempt = 2; answer.status === 503 && attempt <= START_ATTEMPTS; attempt++) {
            resends.set(arm, (resends.get(arm) ?? 0) + 1);
            await sleep(1000 * Number(answer.headers.get('retry-after') ?? 10));
            answer = await json<{ id: string }>(`${arm.host!.url}/api/videos`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(request),
            });
          }
          if (answer.status !== 202)
            return {
              arm,
              id: '-',
              phase: `HTTP ${answer.status}`,
              seenAtMs: Date.now(),
              error: JSON.stringify(answer.body),
            };
          return await follow(arm, answer.body.id, emulatorUrl, deadline);
        } catch (error) {
          return {
            arm,
            id: '-',
            phase: 'bench-error',
            seenAtMs: Date.now(),
            error: (error as Error).message,
          };
        }
      }),
    ),
  );
  const wall = Date.now() - started;
  const loadAfter = loadavg()[0];
  const hooksAfter = (await json<{ webhooks: WebhookStats }>(`${emulatorUrl}/_admin/stats`)).body.webhooks;
  const hooks = Object.fromEntries(
    Object.entries(hooksAfter).map(([k, v]) => [k, v - hooksBefore[k as keyof WebhookStats]]),
  ) as unknown as WebhookStats;

  let failed = 0;
  const rows: Array<{ arm: Arm; m: Measured[] }> = [];
  for (const arm of arms) {
    const m: Measured[] = [];
    for (const outcome of outcomes.filter((o) => o.arm === arm)) {
      const history =
        outcome.id === '-'
          ? undefined
          : (
              await json<{ runtimeStatus?: string; historyEvents?: HistoryEvent[] }>(
                `${arm.host!.url}/runtime/webhooks/durabletask/instances/${outcome.id}?showHistory=true`,
              )
            ).body;
      const events = history?.historyEvents ?? [];
      const jobId = outcome.view?.upstream?.jobId;
      if (outcome.phase !== 'completed' || !outcome.view || !jobId) {
        failed++;
        const last = events
          .slice(-4)
          .map((e) => `${e.EventType}${e.FunctionName ? ` ${e.FunctionName}` : ''} ${e.Timestamp}`);
        console.error(
          `${provider} / ${arm.name}: ${outcome.id} ${outcome.phase}: ${outcome.error ?? outcome.view?.error ?? ''}; durable ${history?.runtimeStatus}; last events: ${last.join(' | ')}`,
        );
        continue;
      }
      const timing = (await json<Timing>(`${emulatorUrl}/_admin/jobs/${encodeURIComponent(jobId)}`)).body;
      const left = events.find((e) => e.EventType === 'TaskScheduled' && e.FunctionName === 'downloadVideo');
      if (timing.finishedAtMs === null || !left) {
        failed++;
        console.error(
          `${provider} / ${arm.name}: ${outcome.id} completed but its job ${jobId} is ${timing.status} (finishedAtMs ${timing.finishedAtMs}) or its history has no download`,
        );
        continue;
      }
      const at = (e: HistoryEvent) => Date.parse(e.Timestamp);
      const raised = events.find(
        (e) => e.EventType === 'EventRaised' && e.FunctionName === UPSTREAM_JOB_EVENT,
      );
      const answered = events
        .filter((e) => e.EventType === 'TaskCompleted' && e.FunctionName === 'getVideoJobStatus')
        .at(-1);
      m.push({
        noticeMs: at(left) - timing.finishedAtMs,
        seenMs: outcome.seenAtMs - timing.finishedAtMs,
        calls: outcome.view.polls,
        events: outcome.view.events,
        durationMs: timing.durationMs,
        ...(raised ? { raisedMs: at(raised) - timing.finishedAtMs } : {}),
        ...(answered ? { answeredMs: at(answered) - timing.finishedAtMs } : {}),
      });
    }
    rows.push({ arm, m });
  }

  const lines: string[] = [];
  const out = (line: string) => {
    lines.push(line);
    console.log(line);
  };
  const durations = rows.flatMap((r) => r.m.map((x) => x.durationMs));
  out(
    `\n### ${provider} \`${MODELS[provider]}\` (5 s, 16:9): ${jobCount} requests per arm, all ${jobCount * arms.length} started at once`,
  );
  out(
    `wall ${seconds(wall)}; load average (1 min) ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after; upstream job durations ` +
      (durations.length
        ? `min ${seconds(Math.min(...durations))}, mean ${seconds(mean(durations))}, max ${seconds(Math.max(...durations))}`
        : '-'),
  );
  out(
    `emulator webhooks this phase: sent ${hooks.sent}, delivered ${hooks.delivered}, failed ${hooks.failed}, dropped ${hooks.dropped}, retried ${hooks.retried}\n`,
  );
  out(
    '| provider | arm | completed | mean notice | p95 notice | max notice | mean seen `completed` | mean status calls | max calls | woken by webhook | starts resent after 503 | goal (webhooks: ≤ 1 status call per job, mean notice ≤ 0.5 s) |',
  );
  out('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const { arm, m } of rows) {
    const ok = m.length > 0;
    const notice = m.map((x) => x.noticeMs);
    const calls = m.map((x) => x.calls);
    const cells = ok
      ? [
          seconds(mean(notice)),
          seconds(percentile(notice, 95)),
          seconds(Math.max(...notice)),
          seconds(mean(m.map((x) => x.seenMs))),
          mean(calls).toFixed(1),
          String(Math.max(...calls)),
          `${m.filter((x) => x.events > 0).length}/${m.length}`,
        ]
      : ['-', '-', '-', '-', '-', '-', '-'];
    cells.push(String(resends.get(arm) ?? 0));
    let goal = 'baseline';
    if (arm.webhooks) {
      const complete = m.length === jobCount;
      const callsOk = ok && Math.max(...calls) <= 1;
      const noticeOk = ok && mean(notice) <= 500;
      goal = `${complete && callsOk && noticeOk ? '**met**' : 'not met'}: max ${ok ? Math.max(...calls) : '-'} call(s), mean notice ${ok ? seconds(mean(notice)) : '-'}${complete ? '' : `, only ${m.length}/${jobCount} completed`}`;
    }
    out(`| ${provider} | ${arm.name} | ${m.length}/${jobCount} | ${cells.join(' | ')} | ${goal} |`);
  }
  out('');
  for (const { arm, m } of rows) {
    if (m.length === 0) continue;
    const raised = m.flatMap((x) => (x.raisedMs === undefined ? [] : [x.raisedMs]));
    const answered = m.flatMap((x) => (x.answeredMs === undefined ? [] : [x.answeredMs]));
    const notice = m.map((x) => x.noticeMs);
    const parts = [`notice min ${seconds(Math.min(...notice))}, median ${seconds(percentile(notice, 50))}`];
    if (raised.length)
      parts.push(
        `finish → app raised the webhook's event: mean ${seconds(mean(raised))}, p95 ${seconds(percentile(raised, 95))} (${raised.length} requests)`,
      );
    if (answered.length)
      parts.push(
        `finish → last status call answered: mean ${seconds(mean(answered))} (${answered.length} requests)`,
      );
    out(`- ${arm.name}: ${parts.join('; ')}`);
  }
  return { failed, lines };
}

async function main() {
  console.log(`Building the app (npm run build) ...`);
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: 'inherit' });

  let azurite: RunningAzurite | undefined;
  let emulatorProcess: ChildProcess | undefined;
  let failed = 0;
  const stopAll = async () => {
    for (const arm of arms) await arm.host?.stop().catch(() => undefined);
    if (emulatorProcess) await stopChildProcess(emulatorProcess);
    await azurite?.stop().catch(() => undefined);
    for (const arm of arms) if (arm.appDir) rmSync(arm.appDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`${signal}: stopping the services`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  try {
    azurite = await startAzurite();
    const many = String(jobCount * arms.length * 2 + 10);
    const emulator = await spawnProviderEmulatorCli([
      '--port',
      '0',
      '--api-key',
      KEY,
      '--time-scale',
      String(timeScale),
      '--duration-jitter',
      String(jitter),
      '--seed',
      String(seed),
      // Every request runs at once: no per-key fal queue (default 2 in progress) or create quota gets in the way.
      '--fal-concurrency',
      many,
      '--replicate-creates-per-minute',
      many,
      '--max-running-jobs',
      many,
    ]);
    emulatorProcess = emulator.child;
    const emulatorUrl = emulator.url;
    for (const arm of arms) {
      arm.appDir = appDirFor('bench-webhooks', arm.hub);
      const port = await freePort();
      arm.host = await startHost({
        appDir: arm.appDir,
        port,
        store,
        quiet: true,
        env: {
          ...pipelineSettings(azurite.connectionString, emulatorUrl, KEY),
          VIDEO_CONTAINER: arm.container,
          // Only the webhooks arm knows its own URL, so only its creates register a callback.
          PUBLIC_BASE_URL: arm.webhooks ? `http://127.0.0.1:${port}` : '',
          POLL_MIN_SECONDS: String(arm.poll.min),
          POLL_MAX_SECONDS: String(arm.poll.max),
          // The code default (pipelineSettings shortens it for tests).
          PROVIDER_REQUEST_TIMEOUT_SECONDS: '',
        },
      });
    }
    console.log(
      `${jobCount} requests per arm per provider; emulator --time-scale ${timeScale} (nominal ${seconds(nominalMs())}) --duration-jitter ${jitter} --seed ${seed}; durable store ${store}; ` +
        `${new Date().toISOString()}; load average (1 min) ${loadavg()[0].toFixed(2)}`,
    );
    for (const provider of providers as ProviderName[])
      failed += (await runProvider(provider, emulatorUrl)).failed;
  } finally {
    await stopAll();
  }
  if (failed > 0) {
    console.error(`${failed} request(s) did not complete or could not be measured`);
    process.exitCode = 1;
  }
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exitCode = 1;
});
