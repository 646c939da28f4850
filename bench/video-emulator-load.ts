// Load on the emulator's queue dialects: N fal requests (10 keys, so most wait in the queue
// with a queue_position) and N Replicate predictions, all on a slow clock, their status polled
// open-loop at R requests/s in total. Prints p50/p99 latency, the emulator's CPU share and
// peak RSS (from /proc), like bench/sora-emulator-load.ts does for the Sora dialect.
//   npx tsx bench/video-emulator-load.ts [--seconds 10] [--rate 500] [--jobs 200]
import { parseArgs } from 'node:util';
import { spawnProviderEmulatorCli } from '../emulators/providers/spawn-cli.js';
import { openLoopLoad, type PolledRequest } from './process-stats.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, rate: { type: 'string', default: '500' }, jobs: { type: 'string', default: '200' } } });
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const jobCount = Number(values.jobs);


async function main() {
  // Everything stays queued or running for the whole bench (slow clock, creates not limited).
  const { url, child } = await spawnProviderEmulatorCli(['--port', '0', '--time-scale', '100', '--replicate-creates-per-minute', String(jobCount * 2)]);
  try {
    const polls: PolledRequest[] = [];
    await Promise.all(Array.from({ length: jobCount }, async (_, i) => {
      const fal = { authorization: `Key bench-${i % 10}` };
      const submitted = await fetch(`${url}/fal/fal-ai/kling-video/v2/master/text-to-video`, { method: 'POST', headers: fal, body: JSON.stringify({ prompt: `fal ${i}` }) });
      if (submitted.status !== 200) throw new Error(`fal submit answered ${submitted.status}`);
      polls.push({ url: ((await submitted.json()) as { status_url: string }).status_url, headers: fal, ok: 202 });
      const replicate = { authorization: `Bearer bench-${i % 10}` };
      const created = await fetch(`${url}/replicate/v1/models/google/veo-3.1/predictions`, { method: 'POST', headers: replicate, body: JSON.stringify({ input: { prompt: `replicate ${i}` } }) });
      if (created.status !== 201) throw new Error(`replicate create answered ${created.status}`);
      polls.push({ url: ((await created.json()) as { urls: { get: string } }).urls.get, headers: replicate, ok: 200 });
    }));

    await openLoopLoad({ label: `fal requests ${jobCount} + predictions ${jobCount}`, pid: child.pid!, rate, seconds, requests: polls });
  } finally {
    child.kill('SIGTERM');
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
