// Admission control against none, side by side in one run: one Azurite, two provider emulators
// (child processes) started with the same vendor limits — fal 2 requests in progress per key,
// Replicate 6 creates a minute, the Sora jobs API 2 running jobs per deployment — and two
// Functions hosts running the same built app on their own task hubs and containers, one per
// emulator, so the arms never share a provider account:
//   governed    the limits set through the app settings (README, "Limits and budgets"):
//               FAL_MAX_RUNNING_JOBS=2, REPLICATE_CREATES_PER_MINUTE=6 + REPLICATE_CREATE_BURST=1,
//               AZURE_OPENAI_MAX_RUNNING_JOBS=2 (the rest the vendors' defaults)
//   ungoverned  every <P>_MAX_RUNNING_JOBS and <P>_CREATES_PER_MINUTE 'unlimited'
// Both arms get --per-provider requests to each of the three providers, all started at the same
// moment. Per arm and provider it prints, from the emulator's GET /_admin/stats: upstream jobs
// created, 429 answers to creates, and the peak of running jobs (the emulator's own peak at each
// create, and GET /_admin/stats' runningJobs sampled every 250 ms; for fal both count every
// request not yet ended, IN_QUEUE included: fal's own queue keeps 2 IN_PROGRESS whatever is
// sent) against the limit; and per arm the wall time from the starts to the
// last request seen finished (each followed through GET /api/videos/{id} every second).
// Targets (issue 21): governed 429s per job ≤ 0.05, peak never above the limit, governed wall
// ≤ 1.1 × ungoverned, every request completed with exactly one upstream job.
// Exits non-zero if a request did not complete or made other than one job.
//   npx tsx bench/admission.ts [--per-provider 20] [--time-scale 0.5] [--store azure|memory]
//   (or ADMISSION_BENCH_PER_PROVIDER / ADMISSION_BENCH_TIME_SCALE; --per-provider 3 is a quick smoke run)
import { execFileSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { startAzurite, type RunningAzurite } from '../emulators/azurite/index.js';
import { startHost, type RunningHost } from '../emulators/functions-host/index.js';
import { spawnProviderEmulatorCli } from '../emulators/providers/spawn-cli.js';
import { stopChildProcess } from '../emulators/stop-child.js';
import { freePort, pipelineSettings } from '../test/integration/pipeline-stack.js';
import { appDirFor, json, repoRoot, sleep } from './support.js';

const { values } = parseArgs({
  options: {
    'per-provider': { type: 'string', default: process.env.ADMISSION_BENCH_PER_PROVIDER ?? '20' },
    // Kling 5 s 16:9 and Sora 1 1280x720 5 s are 18 s of emulator work at time scale 1: 0.5 gives 9 s.
    // Replicate's per-minute window is real time at any scale.
    'time-scale': { type: 'string', default: process.env.ADMISSION_BENCH_TIME_SCALE ?? '0.5' },
    store: { type: 'string', default: 'azure' },
  },
});
const perProvider = Number(values['per-provider']);
const timeScale = Number(values['time-scale']);
if (!Number.isInteger(perProvider) || perProvider < 1)
  throw new Error('--per-provider must be a positive integer');
if (!(timeScale > 0)) throw new Error('--time-scale must be a positive number');
if (values.store !== 'azure' && values.store !== 'memory') throw new Error('--store must be azure or memory');
const store: 'azure' | 'memory' = values.store;

const KEY = 'bench-key';
const PROMPT = 'A cat playing piano in a jazz bar.';
/** The three accounts: the request, the emulator's dialect and model (stats keys), the create route and the limit. */
const PROVIDERS = [
  {
    name: 'fal',
    request: { provider: 'fal', model: 'fal-ai/kling-video/v2/master/text-to-video', prompt: PROMPT },
    dialect: 'fal',
    model: 'fal-ai/kling-video/v2/master/text-to-video',
    createRoute: 'POST /fal/{model_id}',
    limit: '2 in progress',
    maxRunning: 2,
  },
  {
    name: 'replicate',
    request: { provider: 'replicate', model: 'kwaivgi/kling-v2.0', prompt: PROMPT },
    dialect: 'replicate',
    model: 'kwaivgi/kling-v2.0',
    createRoute: 'POST /replicate/v1/models/{owner}/{name}/predictions',
    limit: '6 creates/min, burst 1',
    maxRunning: undefined,
  },
  {
    name: 'sora (jobs API)',
    request: { provider: 'azure-openai', model: 'sora', size: '1280x720', seconds: 5, prompt: PROMPT },
    dialect: 'jobs',
    model: 'sora',
    createRoute: 'POST /openai/v1/video/generations/jobs',
    limit: '2 running',
    maxRunning: 2,
  },
] as const;
type Provider = (typeof PROVIDERS)[number];

const LIMITED = ['AZURE_OPENAI', 'OPENAI', 'FAL', 'REPLICATE'];
interface Arm {
  name: string;
  hub: string;
  container: string;
  settings: Record<string, string>;
  appDir?: string;
  host?: RunningHost;
  emulatorUrl?: string;
  emulator?: ChildProcess;
  sampledPeak: Record<string, number>;
}
const governed: Arm = {
  name: 'governed',
  hub: 'BenchGoverned',
  container: 'videos-governed',
  settings: {
    // Blank = the vendor's published default (src/providers/*/models.ts).
    ...Object.fromEntries(
      LIMITED.flatMap((p) => [
        [`${p}_MAX_RUNNING_JOBS`, ''],
        [`${p}_CREATES_PER_MINUTE`, ''],
      ]),
    ),
    FAL_MAX_RUNNING_JOBS: '2',
    REPLICATE_CREATES_PER_MINUTE: '6',
    REPLICATE_CREATE_BURST: '1',
    AZURE_OPENAI_MAX_RUNNING_JOBS: '2',
  },
  sampledPeak: {},
};
const ungoverned: Arm = {
  name: 'ungoverned',
  hub: 'BenchUngoverned',
  container: 'videos-ungoverned',
  settings: Object.fromEntries(
    LIMITED.flatMap((p) => [
      [`${p}_MAX_RUNNING_JOBS`, 'unlimited'],
      [`${p}_CREATES_PER_MINUTE`, 'unlimited'],
    ]),
  ),
  sampledPeak: {},
};
const arms = [governed, ungoverned];

interface Stats {
  creates: Record<string, number>;
  requests: Record<string, Record<string, number>>;
  peakRunningJobs: Record<string, number>;
  runningJobs: Record<string, number>;
}
const statsOf = async (arm: Arm) => (await json<Stats>(`${arm.emulatorUrl}/_admin/stats`)).body;

interface Outcome {
  arm: Arm;
  provider: Provider;
  id: string;
  phase: string;
  finishedAtMs: number;
  jobId?: string;
  error?: string;
}
const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/** Starts one request and follows it to its end. The start carries an Idempotency-Key, so one that
 * timed out or was answered 503 (the app's storage slow on a loaded machine) is sent again safely. */
async function run(arm: Arm, provider: Provider, deadline: number): Promise<Outcome> {
  const key = `bench-${arm.hub}-${Math.random().toString(36).slice(2)}`;
  let answer: { status: number; body: any; headers: Headers } | undefined;
  for (let attempt = 1; attempt <= 4 && (!answer || answer.status === 503); attempt++) {
    if (answer) await sleep(1000 * Number(answer.headers.get('retry-after') ?? 5));
    try {
      answer = await json(
        `${arm.host!.url}/api/videos`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(provider.request),
        },
        60_000,
      );
    } catch {
      answer = undefined;
    }
  }
  if (answer?.status !== 202)
    return {
      arm,
      provider,
      id: '-',
      phase: `start answered ${answer?.status}`,
      finishedAtMs: Date.now(),
      error: JSON.stringify(answer?.body),
    };
  const id = answer.body.id as string;
  while (Date.now() < deadline) {
    try {
      const view = await json(`${arm.host!.url}/api/videos/${id}`);
      if (view.status === 200 && FINISHED.has(view.body.phase))
        return {
          arm,
          provider,
          id,
          phase: view.body.phase,
          finishedAtMs: Date.now(),
          jobId: view.body.upstream?.jobId,
          error: view.body.error,
        };
    } catch {
      // A slow answer on a loaded machine: ask again.
    }
    await sleep(1000);
  }
  return { arm, provider, id, phase: 'bench-timeout', finishedAtMs: Date.now() };
}

async function main() {
  console.log('Building the app (npm run build) ...');
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: 'inherit' });
  let azurite: RunningAzurite | undefined;
  const stopAll = async () => {
    for (const arm of arms) await arm.host?.stop().catch(() => undefined);
    for (const arm of arms) if (arm.emulator) await stopChildProcess(arm.emulator);
    await azurite?.stop().catch(() => undefined);
    for (const arm of arms) if (arm.appDir) rmSync(arm.appDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      console.error(`${signal}: stopping the services`);
      void stopAll().finally(() => process.exit(130));
    });
  let failures = 0;
  try {
    azurite = await startAzurite();
    for (const arm of arms) {
      // The vendors' limits, the same for both arms.
      const emulator = await spawnProviderEmulatorCli([
        ...['--port', '0', '--api-key', KEY, '--time-scale', String(timeScale)],
        ...['--fal-concurrency', '2', '--replicate-creates-per-minute', '6', '--replicate-create-burst', '1'],
        ...['--max-running-jobs', '2'],
      ]);
      arm.emulator = emulator.child;
      arm.emulatorUrl = emulator.url;
      arm.appDir = appDirFor('bench-admission', arm.hub);
      const port = await freePort();
      arm.host = await startHost({
        appDir: arm.appDir,
        port,
        store,
        quiet: true,
        env: {
          ...pipelineSettings(azurite.connectionString, emulator.url, KEY),
          VIDEO_CONTAINER: arm.container,
          PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
          PROVIDER_REQUEST_TIMEOUT_SECONDS: '',
          // So a start sent again after a timeout or a 503 is the same request.
          IDEMPOTENCY_KEY_SECRET: 'bench-idempotency-secret-of-32-bytes',
          ...arm.settings,
        },
      });
    }
    const loadBefore = loadavg();
    console.log(
      `${perProvider} requests per provider per arm (${perProvider * PROVIDERS.length} per arm, ${perProvider * PROVIDERS.length * arms.length} in all, started at once); ` +
        `emulator --time-scale ${timeScale}; durable store ${store}; ${new Date().toISOString()}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
    );
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const arm of arms) {
          const running = (await statsOf(arm).catch(() => undefined))?.runningJobs ?? {};
          for (const [model, n] of Object.entries(running))
            arm.sampledPeak[model] = Math.max(arm.sampledPeak[model] ?? 0, n);
        }
        await sleep(250);
      }
    })();
    const started = Date.now();
    const deadline = started + 15 * 60_000;
    const outcomes = await Promise.all(
      arms.flatMap((arm) =>
        PROVIDERS.flatMap((provider) =>
          Array.from({ length: perProvider }, () => run(arm, provider, deadline)),
        ),
      ),
    );
    sampling = false;
    await sampler;
    const loadAfter = loadavg();

    const rows: string[] = [];
    const walls = new Map<Arm, number>();
    const perJob = new Map<Arm, { refused: number; jobs: number }>();
    const governedPeaks = new Map<Provider, number>();
    const createNotes: string[] = [];
    for (const arm of arms) {
      const stats = await statsOf(arm);
      const mine = outcomes.filter((o) => o.arm === arm);
      walls.set(arm, Math.max(...mine.map((o) => o.finishedAtMs)) - started);
      let refusedAll = 0;
      let jobsAll = 0;
      for (const provider of PROVIDERS) {
        const own = mine.filter((o) => o.provider === provider);
        const completed = own.filter((o) => o.phase === 'completed' && o.jobId);
        for (const o of own.filter((x) => !completed.includes(x))) {
          failures++;
          console.error(`${arm.name} / ${provider.name}: ${o.id} ${o.phase} ${o.error ?? ''}`);
        }
        const jobs = stats.creates[provider.dialect] ?? 0;
        const distinct = new Set(completed.map((o) => o.jobId)).size;
        if (jobs !== perProvider || distinct !== completed.length) {
          failures++;
          console.error(
            `${arm.name} / ${provider.name}: ${jobs} upstream jobs for ${perProvider} requests (${distinct} distinct job ids among ${completed.length} completed)`,
          );
        }
        // When the provider took each create: the most in any 60 s (what a per-minute window counts).
        const created = (
          await Promise.all(
            completed.map(
              async (o) =>
                (await json<{ createdAtMs: number }>(`${arm.emulatorUrl}/_admin/jobs/${o.jobId}`)).body
                  .createdAtMs,
            ),
          )
        ).sort((a, b) => a - b);
        const inAMinute = Math.max(
          0,
          ...created.map((t) => created.filter((u) => u >= t && u - t < 60_000).length),
        );
        createNotes.push(
          `${arm.name} / ${provider.name}: most creates in any 60 s ${inAMinute}; gaps between creates (s) ${created
            .slice(1)
            .map((t, i) => ((t - created[i]) / 1000).toFixed(1))
            .join(' ')}`,
        );
        const refused = stats.requests[provider.createRoute]?.['429'] ?? 0;
        refusedAll += refused;
        jobsAll += jobs;
        const peak = Math.max(
          stats.peakRunningJobs[provider.model] ?? 0,
          arm.sampledPeak[provider.model] ?? 0,
        );
        if (arm === governed) governedPeaks.set(provider, peak);
        const peakCell =
          provider.maxRunning === undefined
            ? `${peak} (no running limit)`
            : `${peak} / ${provider.maxRunning}${peak > provider.maxRunning ? ' **above**' : ''}`;
        rows.push(
          `| ${arm.name} | ${provider.name} (${provider.limit}) | ${completed.length}/${perProvider} | ${jobs} (${(jobs / perProvider).toFixed(2)} per request) | ${refused} | ${jobs ? (refused / jobs).toFixed(2) : '-'} | ${peakCell} | ${((Math.max(...own.map((o) => o.finishedAtMs)) - started) / 1000).toFixed(1)} s |`,
        );
      }
      perJob.set(arm, { refused: refusedAll, jobs: jobsAll });
    }
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      `\nload average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}\n`,
    );
    console.log(
      '| arm | provider (limit) | completed | upstream jobs | 429s to creates | 429s per job | peak running / limit | last finished |',
    );
    console.log('|---|---|---|---|---|---|---|---|');
    for (const row of rows) console.log(row);
    console.log('');
    console.log('| arm | wall for the whole batch | 429s per job (all providers) |');
    console.log('|---|---|---|');
    for (const arm of arms) {
      const { refused, jobs } = perJob.get(arm)!;
      console.log(
        `| ${arm.name} | ${seconds(walls.get(arm)!)} | ${jobs ? (refused / jobs).toFixed(3) : '-'} (${refused}/${jobs}) |`,
      );
    }
    console.log('');
    for (const note of createNotes) console.log(note);
    const g = perJob.get(governed)!;
    const ratio = walls.get(governed)! / walls.get(ungoverned)!;
    const peaksOk = PROVIDERS.every(
      (p) => p.maxRunning === undefined || Math.max(0, governed.sampledPeak[p.model] ?? 0) <= p.maxRunning,
    );
    console.log(
      `\ntargets: governed 429s/job ${(g.refused / Math.max(1, g.jobs)).toFixed(3)} (≤ 0.05: ${g.refused / Math.max(1, g.jobs) <= 0.05 ? 'met' : 'NOT met'}); ` +
        `governed wall / ungoverned ${ratio.toFixed(2)} (≤ 1.1: ${ratio <= 1.1 ? 'met' : 'NOT met'}); ` +
        `governed peak within limits: ${peaksOk ? 'met' : 'NOT met'}; every request one job: ${failures === 0 ? 'met' : 'NOT met'}`,
    );
  } finally {
    await stopAll();
  }
  if (failures > 0) {
    console.error(`${failures} problem(s): a request did not complete or did not make exactly one job`);
    process.exitCode = 1;
  }
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exitCode = 1;
});
