// The learned schedule against the fixed 5 s loop on a simulated clock: the app's own pure
// functions (estimateOf, jobDurationSample, seeStart, learnedAge, nextPollDelaySeconds) drive
// each job the way the orchestrator does (src/orchestrations/generate-video.ts), on jobs shaped
// like bench/learned-polling.ts's: the emulator's 18 s nominal job × --time-scale, spread
// uniformly ±--jitter, 10 % of it queue time for fal and Replicate; what each provider tells of
// it as the emulator does (fal: IN_QUEUE / IN_PROGRESS and the run's inference_time; Replicate:
// started_at; the Sora jobs API: created_at and finished_at in whole seconds). Each status call
// takes --latency seconds (the status activity and the next episode; half of it before the
// answer is read), for the fixed loop as for the learned one. Fast and deterministic: no host,
// no emulator; the real bench (bench/learned-polling.ts) is what bench/README.md reports.
//   npx tsx bench/learned-polling-sim.ts [--runs 40] [--jobs 50] [--warmup 50] [--time-scale 5] [--jitter 0.3] [--seed 1] [--latency 0.15]
// Prints, per kind, the mean notice and status calls of each arm over --runs runs (each its own
// warm-up and --jobs jobs, the real bench's size), and in how many runs both targets held.
import { parseArgs } from 'node:util';
import {
  estimateOf,
  jobDurationSample,
  learnedAge,
  seeStart,
  type DurationEstimate,
  type FinishedJobTimes,
  type StartWindow,
} from '../src/orchestrations/duration-estimate.js';
import { nextPollDelaySeconds, type PollBounds } from '../src/orchestrations/poll-policy.js';
// The emulator's own seeded generator (mulberry32): every run draws the same jobs.
import { seededRandom as seeded } from '../emulators/providers/faults.js';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '50' },
    'time-scale': { type: 'string', default: '5' },
    jitter: { type: 'string', default: '0.3' },
    seed: { type: 'string', default: '1' },
    latency: { type: 'string', default: '0.15' },
    runs: { type: 'string', default: '40' },
  },
});
const jobCount = Number(values.jobs);
const warmupCount = Number(values.warmup);
const timeScale = Number(values['time-scale']);
const jitter = Number(values.jitter);
const latency = Number(values.latency);
const runs = Number(values.runs);

/** One job as the emulator runs it (seconds; `created` on the Unix clock). */
interface Job {
  created: number;
  queue: number;
  total: number;
}
type Kind = 'fal' | 'replicate' | 'sora';
const KINDS: Kind[] = ['fal', 'replicate', 'sora'];

function drawJob(random: () => number): Job {
  // The emulator's 18 s nominal job (Kling 5 s 16:9, Sora 1280x720 5 s) at this time scale.
  const total = Math.round(18_000 * timeScale * (1 + jitter * (2 * random() - 1))) / 1000;
  // A Unix clock with a fraction of a second, so whole-second times round as they do.
  return { created: 1_800_000_000 + random() * 1000, queue: Math.round(total * 100) / 1000, total };
}

/** What a status read at `at` says of the job, as the kind's adapter maps it. */
function answer(kind: Kind, job: Job, at: number) {
  const started = job.created + (kind === 'sora' ? 0 : job.queue);
  const finished = job.created + job.total;
  const phase = at >= finished ? 'succeeded' : at >= started ? 'running' : 'queued';
  return { phase, ...(kind === 'replicate' && at >= started ? { startedAt: started } : {}) };
}

/** The duration sample a finished job gives, as the kind's adapter reports its times. */
function sampleOf(kind: Kind, job: Job) {
  const finished = job.created + job.total;
  const times: FinishedJobTimes =
    kind === 'fal'
      ? { runSeconds: job.total - job.queue }
      : kind === 'replicate'
        ? { createdAt: job.created, startedAt: job.created + job.queue, finishedAt: finished }
        : { createdAt: Math.floor(job.created), finishedAt: Math.floor(finished) };
  return jobDurationSample(times)!;
}

function estimateFor(kind: Kind, random: () => number): DurationEstimate {
  const samples = Array.from({ length: warmupCount }, () => sampleOf(kind, drawJob(random)));
  return estimateOf(
    samples.map((s) => s.seconds),
    samples[0].clock,
  )!;
}

/** Follows one job as the orchestrator does: its notice (the episode that saw the end − the end)
 * and its status calls. Without an estimate: the fixed loop (bounds min = max). */
function follow(kind: Kind, job: Job, bounds: PollBounds, estimate?: DurationEstimate) {
  const finished = job.created + job.total;
  // The create answered `latency` after the job was made; fal gives no creation time.
  let now = job.created + latency;
  const createdAt = kind === 'fal' ? now : kind === 'sora' ? Math.floor(job.created) : job.created;
  let window: StartWindow = { from: createdAt };
  let readAt = createdAt;
  let seen: { phase: string; startedAt?: number } = { phase: 'queued' };
  for (let calls = 0; ;) {
    window = seeStart(window, seen, readAt, now);
    const age = estimate && learnedAge(estimate, window, seen, createdAt, now);
    const delay = nextPollDelaySeconds(
      {
        kind: 'status',
        stage: seen.phase === 'queued' ? 'waiting' : 'working',
        elapsedSeconds: now - createdAt,
        expectedSeconds: 90,
        ...(estimate && age
          ? {
              learned: {
                estimate,
                ...age,
                ...(estimate.clock === 'started' && window.to === undefined && seen.startedAt === undefined
                  ? { queuedSeconds: now - createdAt }
                  : {}),
              },
            }
          : {}),
      },
      bounds,
    );
    readAt = now + delay;
    seen = answer(kind, job, readAt + latency / 2);
    now = readAt + latency;
    calls++;
    if (seen.phase === 'succeeded') return { notice: now - finished, calls };
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const fixedBounds: PollBounds = { minSeconds: 5, maxSeconds: 5 };
const adaptiveBounds: PollBounds = { minSeconds: 2, maxSeconds: 30 };

function arms(kind: Kind, estimate: DurationEstimate, jobs: Job[]) {
  const fixed = jobs.map((job) => follow(kind, job, fixedBounds));
  const learned = jobs.map((job) => follow(kind, job, adaptiveBounds, estimate));
  const figures = (xs: { notice: number; calls: number }[]) => ({
    notice: mean(xs.map((x) => x.notice)),
    calls: mean(xs.map((x) => x.calls)),
  });
  return { fixed: figures(fixed), learned: figures(learned) };
}

console.log(
  `${runs} runs per kind, each a warm-up of ${warmupCount} and ${jobCount} jobs; ${18 * timeScale} s ±${jitter * 100} %; ` +
    `${latency} s per status call; seed ${values.seed}`,
);
console.log(
  '| kind | fixed notice | fixed calls | learned notice | learned calls | notice margin ± its SD over the runs | calls margin (½ fixed − learned) ± SD | runs meeting both |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const [k, kind] of KINDS.entries()) {
  const random = seeded(Number(values.seed) * 101 + k);
  const all = { fixed: { notice: 0, calls: 0 }, learned: { notice: 0, calls: 0 } };
  let met = 0;
  const perRun: { notice: number; calls: number }[] = [];
  for (let r = 0; r < runs; r++) {
    const estimate = estimateFor(kind, random);
    const run = arms(
      kind,
      estimate,
      Array.from({ length: jobCount }, () => drawJob(random)),
    );
    if (run.learned.notice <= run.fixed.notice && run.learned.calls <= run.fixed.calls / 2) met++;
    perRun.push({
      notice: run.fixed.notice - run.learned.notice,
      calls: run.fixed.calls / 2 - run.learned.calls,
    });
    for (const arm of ['fixed', 'learned'] as const) {
      all[arm].notice += run[arm].notice / runs;
      all[arm].calls += run[arm].calls / runs;
    }
  }
  const { fixed, learned } = all;
  console.log(
    `| ${kind} | ${fixed.notice.toFixed(2)} s | ${fixed.calls.toFixed(2)} | ${learned.notice.toFixed(2)} s | ${learned.calls.toFixed(2)} | ` +
      `${(fixed.notice - learned.notice).toFixed(2)} ± ${sd(perRun.map((m) => m.notice)).toFixed(2)} s | ` +
      `${(fixed.calls / 2 - learned.calls).toFixed(2)} ± ${sd(perRun.map((m) => m.calls)).toFixed(2)} | ${met}/${runs} |`,
  );
}
