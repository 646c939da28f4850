// Polling paced by learned job durations, against the fixed 5 s loop and the adaptive policy with
// no samples, in the same run: one Azurite, one provider emulator (child process; seeded ±30 %
// job durations), three Functions hosts running the same built app, each on its own task hub and
// blob container, none with a webhook (no PUBLIC_BASE_URL):
//   fixed 5 s  POLL_MIN_SECONDS = POLL_MAX_SECONDS = 5 (the quickstart's loop)
//   cold       the adaptive policy, bounds 2–30 s, its container holding no learned durations
//              (what a fresh install does; the code path of the policy before durations were learned)
//   learned    the same policy and bounds, after a warm-up of --warmup jobs of each kind on this
//              host (their durations recorded in its container, as any instance of the app would)
// Warm-ups of every provider run at once; then, for each provider in --providers one after the
// other, --jobs requests are started on each host at the same moment. For each request:
//   notice = the Timestamp of its history's first `TaskScheduled downloadVideo` (the episode that
//            saw the job had ended) − `finishedAtMs` of GET /_admin/jobs/{jobId} (the moment the
//            emulator's public status turned final);
//   calls  = `polls` of the status view (status calls made by the orchestration).
// Targets (issue 22): learned mean notice ≤ the fixed loop's and learned mean calls ≤ ½ of the
// fixed loop's; Sora 2 (progress reported): learned no worse than cold, which paces by progress.
// Prints a markdown table; exits non-zero if any request did not complete.
//   npx tsx bench/learned-polling.ts [--jobs 50] [--warmup 50] [--time-scale 5] [--jitter 0.3] [--seed 1] [--providers fal,replicate,sora,sora-2] [--store azure|memory]
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startAzurite, type RunningAzurite } from '../emulators/azurite/index.js';
import { startHost, type RunningHost } from '../emulators/functions-host/index.js';
import { spawnProviderEmulatorCli } from '../emulators/providers/spawn-cli.js';
import { stopChildProcess } from '../emulators/stop-child.js';
import { freePort, pipelineSettings } from '../test/integration/pipeline-stack.js';
import { appDirFor, json as jsonOf, repoRoot, sleep } from './support.js';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '50' },
    // A full table (MAX_SAMPLES): from 20 draws of a ±30 % spread its ends and slope vary enough
    // from seed to seed to move the learned arm's calls by ~1 per job (simulated with the pure
    // schedule); the issue asks for the figures after a warm-up, not after a short one.
    warmup: { type: 'string', default: '50' },
    // Kling 5 s 16:9 and Sora 1 1280x720 5 s are 18 s of emulator work at time scale 1: 5 gives 90 s.
    'time-scale': { type: 'string', default: '5' },
    jitter: { type: 'string', default: '0.3' },
    seed: { type: 'string', default: '1' },
    providers: { type: 'string', default: 'fal,replicate,sora,sora-2' },
    store: { type: 'string', default: 'azure' },
  },
});
const jobCount = Number(values.jobs);
const warmupCount = Number(values.warmup);
const timeScale = Number(values['time-scale']);
const jitter = Number(values.jitter);
const seed = Number(values.seed);
if (!Number.isInteger(jobCount) || jobCount < 1) throw new Error('--jobs must be a positive integer');
if (!Number.isInteger(warmupCount) || warmupCount < 8) throw new Error('--warmup must be at least 8');
if (values.store !== 'azure' && values.store !== 'memory') throw new Error('--store must be azure or memory');
const store: 'azure' | 'memory' = values.store;

/** Each kind of job, as the app's request names it. */
const REQUESTS = {
  fal: { provider: 'fal', model: 'fal-ai/kling-video/v2/master/text-to-video' },
  replicate: { provider: 'replicate', model: 'kwaivgi/kling-v2.0' },
  sora: { provider: 'azure-openai', model: 'sora', size: '1280x720', seconds: 5 },
  'sora-2': { provider: 'azure-openai', model: 'sora-2', size: '1280x720', seconds: '4' },
} as const;
type Kind = keyof typeof REQUESTS;
const kinds = values.providers
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean) as Kind[];
for (const k of kinds)
  if (!(k in REQUESTS))
    throw new Error(`--providers: ${k} is not one of ${Object.keys(REQUESTS).join(', ')}`);
const bodyOf = (kind: Kind) => ({ ...REQUESTS[kind], prompt: 'A cat playing piano in a jazz bar.' });

const KEY = 'bench-key';
/** Answers may be slow on a loaded machine. */
const json = <T = any>(url: string, init?: RequestInit) => jsonOf<T>(url, init, 60_000);

interface Arm {
  name: string;
  poll: { min: number; max: number };
  hub: string;
  container: string;
  appDir?: string;
  host?: RunningHost;
}
const fixed: Arm = {
  name: 'fixed 5 s loop',
  poll: { min: 5, max: 5 },
  hub: 'LearnFixed5',
  container: 'videos-fixed5',
};
const cold: Arm = {
  name: 'adaptive, cold (no samples)',
  poll: { min: 2, max: 30 },
  hub: 'LearnCold',
  container: 'videos-cold',
};
const learned: Arm = {
  name: 'learned (after warm-up)',
  poll: { min: 2, max: 30 },
  hub: 'LearnWarm',
  container: 'videos-learned',
};
const arms = [fixed, cold, learned];

/** Starts sent again (after a timeout or a 503). */
let resends = 0;

interface VideoView {
  phase: string;
  polls: number;
  error?: string;
  upstream?: { jobId?: string };
  expectedReadyAt?: string;
}
const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/** Starts one request and follows it to its end. The start carries an Idempotency-Key, so one
 * that timed out or was answered 503 (the app's storage slow on a loaded machine) is sent again
 * safely, at most 3 more times; every resend is counted. */
async function run(
  arm: Arm,
  kind: Kind,
  deadline: number,
): Promise<{ id: string; view?: VideoView; error?: string }> {
  const key = `bench-${randomUUID()}`;
  let answer = { status: 0, body: undefined as { id: string } | undefined, headers: new Headers() };
  for (let attempt = 1; attempt <= 4; attempt++) {
    if (attempt > 1) resends++;
    try {
      answer = await json<{ id: string }>(`${arm.host!.url}/api/videos`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(bodyOf(kind)),
      });
    } catch {
      continue;
    }
    if (answer.status !== 503) break;
    await sleep(1000 * Number(answer.headers.get('retry-after') ?? 10));
  }
  if (answer.status !== 202 || !answer.body) return { id: '-', error: `start answered ${answer.status}` };
  const id = answer.body.id;
  let expectedReadyAt: string | undefined;
  while (Date.now() < deadline) {
    try {
      const view = await json<VideoView>(`${arm.host!.url}/api/videos/${id}`);
      expectedReadyAt ??= view.body?.expectedReadyAt;
      if (view.status === 200 && FINISHED.has(view.body.phase))
        return { id, view: { ...view.body, expectedReadyAt } };
    } catch {
      // A slow answer on a loaded machine: ask again.
    }
    // The notice is read from the history, not from these reads: they only wait for the end.
    await sleep(3000);
  }
  return { id, error: 'the bench timed out' };
}

interface HistoryEvent {
  EventType: string;
  Timestamp: string;
  FunctionName?: string;
}
interface Measured {
  noticeMs: number;
  calls: number;
  durationMs: number;
  eta: boolean;
}

async function measure(arm: Arm, kind: Kind, outcome: Awaited<ReturnType<typeof run>>, emulatorUrl: string) {
  if (!outcome.view || outcome.view.phase !== 'completed' || !outcome.view.upstream?.jobId)
    return `${outcome.id} ${outcome.view?.phase ?? ''} ${outcome.error ?? outcome.view?.error ?? ''}`;
  const history = (
    await json<{ historyEvents?: HistoryEvent[] }>(
      `${arm.host!.url}/runtime/webhooks/durabletask/instances/${outcome.id}?showHistory=true`,
    )
  ).body;
  const left = history.historyEvents?.find(
    (e) => e.EventType === 'TaskScheduled' && e.FunctionName === 'downloadVideo',
  );
  const timing = (
    await json<{ finishedAtMs: number | null; durationMs: number }>(
      `${emulatorUrl}/_admin/jobs/${encodeURIComponent(outcome.view.upstream.jobId)}`,
    )
  ).body;
  if (!left || timing.finishedAtMs === null) return `${outcome.id}: no download in its history or no finish`;
  return {
    noticeMs: Date.parse(left.Timestamp) - timing.finishedAtMs,
    calls: outcome.view.polls,
    durationMs: timing.durationMs,
    eta: outcome.view.expectedReadyAt !== undefined,
  } satisfies Measured;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)];
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** The learned figures GET /api/providers shows for a kind's model (after the warm-up). */
async function learnedFigures(kind: Kind): Promise<string> {
  const providers = (
    await json<
      {
        name: string;
        models: { id: string; learned?: { samples: number; medianSeconds: number; p90Seconds: number }[] }[];
      }[]
    >(`${learned.host!.url}/api/providers`)
  ).body;
  const model = providers
    .find((p) => p.name === REQUESTS[kind].provider)
    ?.models.find((m) => m.id === REQUESTS[kind].model);
  const figures = model?.learned?.[0];
  return figures
    ? `${figures.samples} samples, median ${figures.medianSeconds} s, p90 ${figures.p90Seconds} s`
    : 'none';
}

async function main() {
  console.log('Building the app (npm run build) ...');
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
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void stopAll().finally(() => process.exit(130)));
  try {
    azurite = await startAzurite();
    const many = String((jobCount * arms.length + warmupCount * kinds.length) * 2 + 10);
    const emulator = await spawnProviderEmulatorCli([
      ...['--port', '0', '--api-key', KEY, '--time-scale', String(timeScale)],
      ...['--duration-jitter', String(jitter), '--seed', String(seed)],
      // Every request runs at once: no fal queue, create quota or running-job cap gets in the way.
      ...['--fal-concurrency', many, '--replicate-creates-per-minute', many, '--max-running-jobs', many],
      ...['--videos-creates-per-minute', many],
    ]);
    emulatorProcess = emulator.child;
    for (const arm of arms) {
      arm.appDir = appDirFor('bench-learned', arm.hub);
      arm.host = await startHost({
        appDir: arm.appDir,
        port: await freePort(),
        store,
        quiet: true,
        env: {
          ...pipelineSettings(azurite.connectionString, emulator.url, KEY),
          VIDEO_CONTAINER: arm.container,
          // No webhook: every arm learns of the end by polling.
          PUBLIC_BASE_URL: '',
          POLL_MIN_SECONDS: String(arm.poll.min),
          POLL_MAX_SECONDS: String(arm.poll.max),
          PROVIDER_REQUEST_TIMEOUT_SECONDS: '',
          // Starts carry an Idempotency-Key (see run), which needs a secret to derive ids with.
          IDEMPOTENCY_KEY_SECRET: 'bench-idempotency-secret-of-32-bytes',
        },
      });
    }
    console.log(
      `${new Date().toISOString()}; ${jobCount} requests per arm per provider after a warm-up of ${warmupCount} per provider; ` +
        `emulator --time-scale ${timeScale} --duration-jitter ${jitter} --seed ${seed}; durable store ${store}; load average (1 min) ${loadavg()[0].toFixed(2)}`,
    );

    // Warm-up: every kind at once on the learned host, so its container learns their durations.
    const warmStarted = Date.now();
    const warm = await Promise.all(
      kinds.flatMap((kind) =>
        Array.from({ length: warmupCount }, () => run(learned, kind, Date.now() + 10 * 60_000)),
      ),
    );
    const warmFailed = warm.filter((o) => o.view?.phase !== 'completed').length;
    console.log(
      `warm-up: ${warm.length - warmFailed}/${warm.length} completed in ${seconds(Date.now() - warmStarted)}`,
    );
    await sleep(3000); // the last samples are recorded just after their downloads
    for (const kind of kinds) console.log(`learned for ${kind}: ${await learnedFigures(kind)}`);

    const lines: string[] = [
      '| provider | arm | completed | job durations (min–max) | mean notice | p95 notice | mean status calls | expectedReadyAt shown | target |',
      '|---|---|---|---|---|---|---|---|---|',
    ];
    for (const kind of kinds) {
      const started = Date.now();
      const loadBefore = loadavg()[0];
      const outcomes = await Promise.all(
        arms.flatMap((arm) =>
          Array.from({ length: jobCount }, async () => ({
            arm,
            outcome: await run(arm, kind, started + 12 * 60_000),
          })),
        ),
      );
      const rows = new Map<Arm, Measured[]>();
      for (const { arm, outcome } of outcomes) {
        const m = await measure(arm, kind, outcome, emulator.url).catch(
          (error: Error) => `${outcome.id}: not measured (${error.message})`,
        );
        if (typeof m === 'string') {
          failed++;
          console.error(`${kind} / ${arm.name}: ${m}`);
          continue;
        }
        rows.set(arm, [...(rows.get(arm) ?? []), m]);
      }
      console.log(
        `\n${kind}: wall ${seconds(Date.now() - started)}; load average (1 min) ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`,
      );
      const stats = (arm: Arm) => {
        const m = rows.get(arm) ?? [];
        return { m, notice: mean(m.map((x) => x.noticeMs)), calls: mean(m.map((x) => x.calls)) };
      };
      const [f, c, l] = [stats(fixed), stats(cold), stats(learned)];
      // A loaded machine stretches the fixed loop's 5 s waits: its calls then fall and its notice
      // grows, and the targets compare against a slower loop than the quickstart's.
      if (f.m.length)
        console.log(
          `fixed loop: one status call every ${(mean(f.m.map((x) => x.durationMs)) / 1000 / f.calls).toFixed(1)} s of job on average (5 s when the hosts keep up)`,
        );
      for (const arm of arms) {
        const { m, notice, calls } = stats(arm);
        const durations = m.map((x) => x.durationMs);
        let target = 'baseline';
        if (arm === learned && kind === 'sora-2')
          target = `${l.notice <= c.notice + 500 && l.calls <= c.calls + 0.5 ? '**met**' : 'not met'}: progress paces it as cold (${seconds(l.notice)} vs ${seconds(c.notice)}, ${l.calls.toFixed(1)} vs ${c.calls.toFixed(1)} calls)`;
        else if (arm === learned)
          target = `${l.notice <= f.notice && l.calls <= f.calls / 2 ? '**met**' : 'not met'}: notice ${seconds(l.notice)} ≤ ${seconds(f.notice)}, calls ${l.calls.toFixed(1)} ≤ ${(f.calls / 2).toFixed(1)}`;
        lines.push(
          `| ${kind} | ${arm.name} | ${m.length}/${jobCount} | ${m.length ? `${seconds(Math.min(...durations))}–${seconds(Math.max(...durations))}` : '-'} | ` +
            `${m.length ? seconds(notice) : '-'} | ${
              m.length
                ? seconds(
                    percentile(
                      m.map((x) => x.noticeMs),
                      95,
                    ),
                  )
                : '-'
            } | ` +
            `${m.length ? calls.toFixed(1) : '-'} | ${m.filter((x) => x.eta).length}/${m.length} | ${target} |`,
        );
      }
      console.log(lines.slice(-3).join('\n'));
    }
    console.log(`\n${lines.join('\n')}\n\nstarts sent again after a timeout or 503: ${resends}`);
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
  // Requests still being followed would keep the process alive: the services are stopped already.
  process.exit(1);
});
