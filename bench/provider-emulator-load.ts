// Load on the provider emulator, one scenario per family of dialects, each against a fresh
// emulator process on a slow clock (every job stays queued or running for the whole bench),
// its status polled open-loop at R requests/s in total:
//   azure-openai   N jobs, half on the Sora jobs API, half on the Sora videos API
//   fal-replicate  N fal requests (10 keys, so most wait in the queue with a queue_position)
//                  and N Replicate predictions
// Prints p50/p99 latency, the emulator's CPU share and its peak RSS (read from /proc).
//   npx tsx bench/provider-emulator-load.ts [--scenario azure-openai|fal-replicate|all] [--seconds 10] [--rate 500] [--jobs 200]
import { parseArgs } from 'node:util';
import { spawnProviderEmulatorCli } from '../emulators/providers/spawn-cli.js';
import { openLoopLoad, type PolledRequest } from './process-stats.js';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'all' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '500' },
    jobs: { type: 'string', default: '200' },
  },
});
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const jobCount = Number(values.jobs);

interface Scenario {
  /** Emulator flags beyond the port and the slow clock: no create limit gets in the way. */
  flags: string[];
  /** Creates the jobs on the emulator at `url` and returns their status requests. */
  create(url: string): Promise<PolledRequest[]>;
  label: string;
}

const scenarios: Record<string, Scenario> = {
  'azure-openai': {
    flags: ['--max-running-jobs', String(jobCount * 2), '--videos-creates-per-minute', String(jobCount * 2)],
    label: `jobs ${jobCount}`,
    async create(url) {
      const headers = { 'api-key': 'bench', 'content-type': 'application/json' };
      return Promise.all(
        Array.from({ length: jobCount }, async (_, i) => {
          const jobsApi = i % 2 === 0;
          const body = jobsApi
            ? { prompt: `job ${i}`, width: 480, height: 480, n_seconds: 5, model: 'sora' }
            : { prompt: `video ${i}`, model: 'sora-2' };
          const route = jobsApi ? '/openai/v1/video/generations/jobs' : '/openai/v1/videos';
          const response = await fetch(`${url}${route}`, {
            method: 'POST',
            headers,
            body: JSON.stringify(body),
          });
          if (response.status !== 200) throw new Error(`create answered ${response.status}`);
          const { id } = (await response.json()) as { id: string };
          return { url: `${url}${route}/${id}`, headers, ok: 200 };
        }),
      );
    },
  },
  'fal-replicate': {
    flags: ['--replicate-creates-per-minute', String(jobCount * 2)],
    label: `fal requests ${jobCount} + predictions ${jobCount}`,
    async create(url) {
      const polls: PolledRequest[] = [];
      await Promise.all(
        Array.from({ length: jobCount }, async (_, i) => {
          const fal = { authorization: `Key bench-${i % 10}` };
          const submitted = await fetch(`${url}/fal/fal-ai/kling-video/v2/master/text-to-video`, {
            method: 'POST',
            headers: fal,
            body: JSON.stringify({ prompt: `fal ${i}` }),
          });
          if (submitted.status !== 200) throw new Error(`fal submit answered ${submitted.status}`);
          polls.push({
            url: ((await submitted.json()) as { status_url: string }).status_url,
            headers: fal,
            ok: 202,
          });
          const replicate = { authorization: `Bearer bench-${i % 10}` };
          const created = await fetch(`${url}/replicate/v1/models/google/veo-3.1/predictions`, {
            method: 'POST',
            headers: replicate,
            body: JSON.stringify({ input: { prompt: `replicate ${i}` } }),
          });
          if (created.status !== 201) throw new Error(`replicate create answered ${created.status}`);
          polls.push({
            url: ((await created.json()) as { urls: { get: string } }).urls.get,
            headers: replicate,
            ok: 200,
          });
        }),
      );
      return polls;
    },
  },
};

async function run(name: string, scenario: Scenario) {
  const { url, child } = await spawnProviderEmulatorCli([
    '--port',
    '0',
    '--time-scale',
    '100',
    ...scenario.flags,
  ]);
  try {
    const requests = await scenario.create(url);
    console.log(`scenario ${name}`);
    await openLoopLoad({ label: scenario.label, pid: child.pid!, rate, seconds, requests });
  } finally {
    child.kill('SIGTERM');
  }
}

async function main() {
  const names = values.scenario === 'all' ? Object.keys(scenarios) : [values.scenario];
  const unknown = names.filter((name) => !(name in scenarios));
  if (unknown.length > 0)
    throw new Error(
      `--scenario must be one of ${Object.keys(scenarios).join(', ')} or all, got "${values.scenario}"`,
    );
  for (const name of names) await run(name, scenarios[name]);
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
