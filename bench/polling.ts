// The polling policy against the Microsoft quickstart's fixed 5 s loop, in the same run:
// one Azurite, one provider emulator (realistic minutes, seeded ±30% jitter), two Functions hosts
// running the same built app (each on its own task hub), one with the default policy
// (POLL_MIN_SECONDS 2, POLL_MAX_SECONDS 30) and one with POLL_MIN_SECONDS = POLL_MAX_SECONDS = 5.
// N videos are started on each host at the same moment. For each instance:
//   delay = first moment the bench sees the durable instance Completed (status polled every
//           100 ms from 1 s before the job's scheduled finish) − the emulator's exact finish
//           of its Sora job (GET /_admin/jobs/{jobId} → finishedAtMs);
//   calls = output.polls (Sora status calls made by the orchestration).
// The download (Sora → Blob Storage) is inside the delay for both policies; nothing is subtracted.
// It wakes durable timers the host failed to fire (a host defect, see follow()) and counts them.
// Prints a markdown table and exits non-zero if any video failed.
//   npx tsx bench/polling.ts [--jobs 50] [--time-scale 15] [--jitter 0.3] [--seed 1]
import { execFileSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startAzurite, type RunningAzurite } from '../emulators/azurite/index.js';
import { startHost, type RunningHost } from '../emulators/functions-host/index.js';
import { jobDurationMs } from '../emulators/providers/jobs-api.js';
import { spawnProviderEmulatorCli } from '../emulators/providers/spawn-cli.js';
import { stopChildProcess } from '../emulators/stop-child.js';
import { appDirFor, repoRoot } from './support.js';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '50' },
    'time-scale': { type: 'string', default: '15' },
    jitter: { type: 'string', default: '0.3' },
    seed: { type: 'string', default: '1' },
    // sora: the jobs API (stages only); sora-2: the videos API, which reports progress.
    model: { type: 'string', default: 'sora' },
  },
});
if (values.model !== 'sora' && values.model !== 'sora-2') throw new Error('--model must be sora or sora-2');
const jobCount = Number(values.jobs);
const timeScale = Number(values['time-scale']);
const jitter = Number(values.jitter);
const seed = Number(values.seed);

const EMULATOR_KEY = 'bench-key';
/** The quickstart's job: every video is this one (same prompt, so the emulator encodes it once). */
const SIZE =
  values.model === 'sora'
    ? { width: 480, height: 480, n_seconds: 5 }
    : { width: 720, height: 1280, n_seconds: 4 };
const REQUEST =
  values.model === 'sora'
    ? { model: 'sora', prompt: 'A cat playing piano in a jazz bar.', ...SIZE }
    : { model: 'sora-2', prompt: 'A cat playing piano in a jazz bar.', size: '720x1280', seconds: '4' };
/** Follow an instance at this period from shortly before its Sora job is due to finish. */
const FINE_POLL_MS = 100;
const FINE_FROM_MS = 1000;
/** Before that, a slow look (to learn the job id and to notice early failures). */
const COARSE_POLL_MS = 2000;
const BENCH_TIMEOUT_MS = 8 * 60_000;
/** A durable timer not fired this long after its due time is stuck (see follow); long enough
 * that a busy host's merely late episode is not taken for one. */
const NUDGE_AFTER_MS = 1000;

interface Arm {
  name: string;
  poll: { min: number; max: number };
  hub: string;
  container: string;
  appDir?: string;
  host?: RunningHost;
}

const arms: Arm[] = [
  {
    name: 'adaptive (min 2 s, max 30 s)',
    poll: { min: 2, max: 30 },
    hub: 'BenchPolicy',
    container: 'videos-policy',
  },
  { name: 'fixed 5 s (quickstart)', poll: { min: 5, max: 5 }, hub: 'BenchFixed', container: 'videos-fixed' },
];

interface Outcome {
  arm: Arm;
  instanceId: string;
  runtimeStatus: string;
  seenAtMs: number;
  /** Stuck timers the bench had to wake. */
  nudges?: number;
  jobId?: string;
  polls?: number;
  error?: string;
}

interface HistoryEvent {
  EventType: string;
  Timestamp: string;
  FunctionName?: string;
  FireAt?: string;
}

/** Where one instance's delay went, from its durable history (ms timestamps). */
interface Breakdown {
  /** Sora finished → the status call that saw it answered. */
  noticeMs: number;
  /** Download activity scheduled → completed (retries included). */
  downloadMs: number;
  /** Failed download attempts (each retried after 2 s, 4 s, …). */
  downloadFailures: number;
  /** Orchestration completed → the bench saw it. */
  seenMs: number;
  /** Every durable timer's firing minus its due time (host load). */
  timerLateMs: number[];
  /** Status activity scheduled → completed. */
  statusCallMs: number[];
}

function breakdown(events: HistoryEvent[], finishedAtMs: number, seenAtMs: number): Breakdown {
  const at = (e: HistoryEvent) => Date.parse(e.Timestamp);
  const statusDone = events.filter(
    (e) => e.EventType === 'TaskCompleted' && e.FunctionName === 'getVideoJobStatus',
  );
  const downloads = events.filter((e) => e.FunctionName === 'downloadVideo');
  const completed = events.find((e) => e.EventType === 'ExecutionCompleted');
  const scheduled = events.filter(
    (e) => e.EventType === 'TaskScheduled' && e.FunctionName === 'getVideoJobStatus',
  );
  return {
    noticeMs: at(statusDone.at(-1)!) - finishedAtMs,
    downloadMs: at(downloads.at(-1)!) - at(downloads[0]),
    downloadFailures: downloads.filter((e) => e.EventType === 'TaskFailed').length,
    seenMs: seenAtMs - at(completed!),
    timerLateMs: events
      .filter((e) => e.EventType === 'TimerFired' && e.FireAt)
      .map((e) => at(e) - Date.parse(e.FireAt!)),
    statusCallMs: statusDone.map((done, i) => at(done) - at(scheduled[i])),
  };
}

interface Timing {
  createdAtMs: number;
  durationMs: number;
  finishedAtMs: number | null;
  status: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Follows one instance until it ends; returns when the bench first saw it ended. Also the
 * watchdog for a host defect: a durable timer whose setTimeout fired a millisecond early
 * (Node timers can, against Date.now()) is dropped and never fires, leaving the instance
 * Running forever. A timer still unfired NUDGE_AFTER_MS after its due time gets a raised
 * event (which generateVideo never waits for) to wake the instance; each nudge is counted. */
async function follow(arm: Arm, instanceId: string, emulatorUrl: string, deadline: number): Promise<Outcome> {
  const statusUrl = `${arm.host!.url}/runtime/webhooks/durabletask/instances/${instanceId}`;
  let dueAtMs: number | undefined;
  let nudges = 0;
  for (;;) {
    if (Date.now() > deadline)
      return {
        arm,
        instanceId,
        runtimeStatus: 'BenchTimeout',
        seenAtMs: Date.now(),
        nudges,
        error: 'the bench timed out',
      };
    const { status, body } = await json(statusUrl);
    const seenAtMs = Date.now();
    if (status === 200 && ['Completed', 'Failed', 'Terminated'].includes(body.runtimeStatus)) {
      const output = body.output as { jobId?: string; polls?: number } | string | undefined;
      return typeof output === 'object' && output !== null
        ? {
            arm,
            instanceId,
            runtimeStatus: body.runtimeStatus,
            seenAtMs,
            nudges,
            jobId: output.jobId,
            polls: output.polls,
          }
        : { arm, instanceId, runtimeStatus: body.runtimeStatus, seenAtMs, nudges, error: String(output) };
    }
    const jobId = body?.customStatus?.jobId as string | undefined;
    if (dueAtMs === undefined && jobId) {
      const timing = (await json(`${emulatorUrl}/_admin/jobs/${jobId}`)).body as Timing;
      dueAtMs = timing.createdAtMs + timing.durationMs;
    }
    const nextPollAt = body?.customStatus?.nextPollAt
      ? Date.parse(body.customStatus.nextPollAt as string)
      : undefined;
    if (
      nextPollAt !== undefined &&
      seenAtMs > nextPollAt + NUDGE_AFTER_MS &&
      (await timerStuck(statusUrl, seenAtMs))
    ) {
      await fetch(`${statusUrl}/raiseEvent/benchNudge`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      nudges++;
    }
    const fineFrom = dueAtMs === undefined ? Infinity : dueAtMs - FINE_FROM_MS;
    const now = Date.now();
    // Look again: every 100 ms near the finish, else at the next of: the fine phase, just after the pending timer, 2 s.
    const checkTimerAt =
      nextPollAt !== undefined && nextPollAt + NUDGE_AFTER_MS > now
        ? nextPollAt + NUDGE_AFTER_MS + 10
        : Infinity;
    await sleep(
      now >= fineFrom ? FINE_POLL_MS : Math.min(COARSE_POLL_MS, fineFrom - now, checkTimerAt - now),
    );
  }
}

/** True when the last history event is a timer that should have fired NUDGE_AFTER_MS ago. */
async function timerStuck(statusUrl: string, nowMs: number): Promise<boolean> {
  const events = ((await json(`${statusUrl}?showHistory=true`)).body?.historyEvents ?? []) as HistoryEvent[];
  const last = events.at(-1);
  return (
    last?.EventType === 'TimerCreated' &&
    last.FireAt !== undefined &&
    Date.parse(last.FireAt) + NUDGE_AFTER_MS < nowMs
  );
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Nearest-rank percentile. */
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)];
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main() {
  const nominalMs = jobDurationMs({ ...SIZE, n_variants: 1 }, timeScale);
  console.log(`Building the app (npm run build) ...`);
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: 'inherit' });

  let azurite: RunningAzurite | undefined;
  let emulatorProcess: ChildProcess | undefined;
  let failed = 0;
  try {
    azurite = await startAzurite();
    const emulator = await spawnProviderEmulatorCli([
      '--port',
      '0',
      '--api-key',
      EMULATOR_KEY,
      '--time-scale',
      String(timeScale),
      '--duration-jitter',
      String(jitter),
      '--seed',
      String(seed),
      '--max-running-jobs',
      String(jobCount * arms.length * 2 + 10),
      // The bench measures polling, not the Sora 2 create quota (2 a minute by default).
      '--videos-creates-per-minute',
      String(jobCount * arms.length * 2 + 10),
    ]);
    emulatorProcess = emulator.child;
    const emulatorUrl = emulator.url;
    for (const arm of arms) {
      arm.appDir = appDirFor('bench-polling', arm.hub);
      arm.host = await startHost({
        appDir: arm.appDir,
        port: 0,
        store: 'azure',
        quiet: true,
        env: {
          AzureWebJobsStorage: azurite.connectionString,
          VIDEO_STORAGE: azurite.connectionString,
          VIDEO_CONTAINER: arm.container,
          AZURE_OPENAI_ENDPOINT: emulatorUrl,
          AZURE_OPENAI_API_KEY: EMULATOR_KEY,
          POLL_MIN_SECONDS: String(arm.poll.min),
          POLL_MAX_SECONDS: String(arm.poll.max),
        },
      });
    }
    console.log(
      `${jobCount} videos per policy (model ${REQUEST.model}, ${SIZE.width}x${SIZE.height}, ${SIZE.n_seconds} s), emulator --time-scale ${timeScale} (nominal ${seconds(nominalMs)}) --duration-jitter ${jitter} --seed ${seed}`,
    );

    // Start every video on both hosts at once.
    const deadline = Date.now() + BENCH_TIMEOUT_MS;
    const loadBefore = loadavg()[0];
    const started = Date.now();
    const outcomes = await Promise.all(
      arms.flatMap((arm) =>
        Array.from({ length: jobCount }, async () => {
          const answer = await json(`${arm.host!.url}/api/videos`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(REQUEST),
          });
          if (answer.status !== 202)
            return {
              arm,
              instanceId: '-',
              runtimeStatus: `HTTP ${answer.status}`,
              seenAtMs: Date.now(),
              error: JSON.stringify(answer.body),
            } satisfies Outcome;
          return follow(arm, answer.body.id as string, emulatorUrl, deadline);
        }),
      ),
    );
    console.log(
      `all instances ended after ${seconds(Date.now() - started)}; machine load average (1 min) ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after\n`,
    );

    const rows: Array<{
      arm: Arm;
      delays: number[];
      calls: number[];
      durations: number[];
      parts: Breakdown[];
    }> = [];
    for (const arm of arms) {
      const mine = outcomes.filter((o) => o.arm === arm);
      const delays: number[] = [];
      const calls: number[] = [];
      const durations: number[] = [];
      const parts: Breakdown[] = [];
      for (const outcome of mine) {
        const history =
          outcome.instanceId === '-'
            ? undefined
            : (
                await json(
                  `${arm.host!.url}/runtime/webhooks/durabletask/instances/${outcome.instanceId}?showHistory=true`,
                )
              ).body;
        if (outcome.runtimeStatus !== 'Completed' || !outcome.jobId) {
          failed++;
          const last = ((history?.historyEvents ?? []) as HistoryEvent[])
            .slice(-4)
            .map(
              (e) =>
                `${e.EventType}${e.FunctionName ? ` ${e.FunctionName}` : ''} ${e.Timestamp}${e.FireAt ? ` (fire at ${e.FireAt})` : ''}`,
            );
          console.error(
            `${arm.name}: ${outcome.instanceId} ${outcome.runtimeStatus}: ${outcome.error ?? ''}; now ${history?.runtimeStatus} ${JSON.stringify(history?.customStatus)}; last events: ${last.join(' | ')}`,
          );
          continue;
        }
        const timing = (await json(`${emulatorUrl}/_admin/jobs/${outcome.jobId}`)).body as Timing;
        if (
          timing.finishedAtMs === null ||
          (timing.status !== 'succeeded' && timing.status !== 'completed')
        ) {
          failed++;
          console.error(
            `${arm.name}: ${outcome.instanceId} completed but its Sora job ${outcome.jobId} is ${timing.status}`,
          );
          continue;
        }
        delays.push(outcome.seenAtMs - timing.finishedAtMs);
        calls.push(outcome.polls ?? NaN);
        durations.push(timing.durationMs);
        parts.push(breakdown(history.historyEvents as HistoryEvent[], timing.finishedAtMs, outcome.seenAtMs));
      }
      rows.push({ arm, delays, calls, durations, parts });
    }

    const [policy, fixed] = rows;
    const ok = (row: (typeof rows)[number]) => row.delays.length > 0;
    const delayRatio = ok(policy) && ok(fixed) ? mean(policy.delays) / mean(fixed.delays) : NaN;
    const callRatio = ok(policy) && ok(fixed) ? mean(policy.calls) / mean(fixed.calls) : NaN;
    const goalMet = delayRatio <= 0.5 && callRatio <= 1 / 3;
    console.log(
      "| policy | jobs | mean delay | p95 delay | mean status calls | max calls | goal (≤ ½ the fixed loop's mean delay, ≤ ⅓ of its calls) |",
    );
    console.log('|---|---|---|---|---|---|---|');
    for (const row of rows) {
      const goal =
        row === fixed
          ? 'baseline'
          : `${goalMet ? 'met' : 'not met'}: delay ×${delayRatio.toFixed(2)}, calls ×${callRatio.toFixed(2)}`;
      const cells = ok(row)
        ? [
            seconds(mean(row.delays)),
            seconds(percentile(row.delays, 95)),
            mean(row.calls).toFixed(1),
            String(Math.max(...row.calls)),
          ]
        : ['-', '-', '-', '-'];
      console.log(`| ${row.arm.name} | ${row.delays.length}/${jobCount} | ${cells.join(' | ')} | ${goal} |`);
    }
    const allDurations = rows.flatMap((r) => r.durations);
    if (allDurations.length > 0) {
      console.log(
        `\nSora job durations: min ${seconds(Math.min(...allDurations))}, mean ${seconds(mean(allDurations))}, max ${seconds(Math.max(...allDurations))}`,
      );
      for (const row of rows) {
        if (!ok(row)) continue;
        const p = row.parts;
        const nudged = outcomes.filter((o) => o.arm === row.arm && (o.nudges ?? 0) > 0);
        const timers = p.flatMap((b) => b.timerLateMs);
        const statusCalls = p.flatMap((b) => b.statusCallMs);
        console.log(
          `${row.arm.name}: delay min ${seconds(Math.min(...row.delays))}, median ${seconds(percentile(row.delays, 50))}, max ${seconds(Math.max(...row.delays))}; calls min ${Math.min(...row.calls)}`,
        );
        console.log(
          `  mean delay = ${seconds(mean(p.map((b) => b.noticeMs)))} until a status call saw succeeded + ${seconds(mean(p.map((b) => b.downloadMs)))} download (${p.reduce((n, b) => n + b.downloadFailures, 0)} failed attempts in all) + ${seconds(mean(p.map((b) => b.seenMs)))} until the bench saw Completed (+ the rest: orchestrator episodes)`,
        );
        console.log(
          `  stuck durable timers the bench had to wake (host defect, see follow()): ${nudged.reduce((n, o) => n + (o.nudges ?? 0), 0)} in ${nudged.length} instance(s)`,
        );
        console.log(
          `  host health: timers fired late by mean ${seconds(mean(timers))}, p95 ${seconds(percentile(timers, 95))}; a status call (activity scheduled → completed) took mean ${seconds(mean(statusCalls))}, p95 ${seconds(percentile(statusCalls, 95))}`,
        );
      }
    }
  } finally {
    for (const arm of arms) await arm.host?.stop().catch(() => undefined);
    if (emulatorProcess) await stopChildProcess(emulatorProcess);
    await azurite?.stop();
    for (const arm of arms) if (arm.appDir) rmSync(arm.appDir, { recursive: true, force: true });
  }
  if (failed > 0) {
    console.error(`${failed} video(s) failed`);
    process.exitCode = 1;
  }
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exitCode = 1;
});
