// Load on the Sora emulator: 200 concurrent jobs polled at 500 requests/s in total.
// Prints p50/p99 latency, the emulator's CPU share and its peak RSS (read from /proc).
//   npx tsx bench/sora-emulator-load.ts [--seconds 10] [--rate 500] [--jobs 200]
import { parseArgs } from 'node:util';
import { spawnProviderEmulatorCli } from '../emulators/providers/spawn-cli.js';
import { openLoopLoad } from './process-stats.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, rate: { type: 'string', default: '500' }, jobs: { type: 'string', default: '200' } } });
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const jobCount = Number(values.jobs);


async function main() {
  // Jobs stay running for the whole bench (slow clock, no running-jobs limit).
  const { url, child } = await spawnProviderEmulatorCli(['--port', '0', '--time-scale', '100', '--max-running-jobs', String(jobCount * 2), '--videos-creates-per-minute', String(jobCount * 2)]);
  const headers = { 'api-key': 'bench', 'content-type': 'application/json' };
  try {
    const ids: string[] = [];
    await Promise.all(Array.from({ length: jobCount }, async (_, i) => {
      const body = i % 2 === 0 ? { prompt: `job ${i}`, width: 480, height: 480, n_seconds: 5, model: 'sora' } : { prompt: `video ${i}`, model: 'sora-2' };
      const route = i % 2 === 0 ? '/openai/v1/video/generations/jobs' : '/openai/v1/videos';
      const response = await fetch(`${url}${route}`, { method: 'POST', headers, body: JSON.stringify(body) });
      if (response.status !== 200) throw new Error(`create answered ${response.status}`);
      ids.push(((await response.json()) as { id: string }).id);
    }));
    const statusRoute = (id: string) => (id.startsWith('task_') ? `/openai/v1/video/generations/jobs/${id}` : `/openai/v1/videos/${id}`);

    await openLoopLoad({ label: `jobs ${jobCount}`, pid: child.pid!, rate, seconds, requests: ids.map((id) => ({ url: `${url}${statusRoute(id)}`, headers, ok: 200 })) });
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
