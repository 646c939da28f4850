// What the load benches read about a process from /proc, the percentile they report, and
// the open-loop request driver the emulator load benches share.
import { readFileSync } from 'node:fs';

/** utime + stime of a process, in seconds (from /proc/PID/stat). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ = 100)
}

/** The process's peak resident set, in MB (VmHWM). */
export const peakRssMb = (pid: number) =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** The p-th percentile of ascending values (nearest rank). */
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** One status request the open-loop driver repeats, and the status it should answer. */
export interface PolledRequest {
  url: string;
  headers: Record<string, string>;
  ok: number;
}

/** Sends `rate` requests a second for `seconds`, cycling through `requests`, on an open-loop
 * schedule (request i is due at i / rate s, whatever the answers do), and prints the figures:
 * throughput and errors, p50/p99 latency, the server's CPU share and peak RSS. */
export async function openLoopLoad(options: {
  label: string;
  pid: number;
  rate: number;
  seconds: number;
  requests: PolledRequest[];
}): Promise<void> {
  const { pid, rate, seconds, requests } = options;
  const latencies: number[] = [];
  let errors = 0;
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  const total = Math.round(rate * seconds);
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const request = requests[i % requests.length];
    const sent = performance.now();
    inFlight.push(
      fetch(request.url, { headers: request.headers }).then(
        async (response) => {
          await response.arrayBuffer();
          if (response.status !== request.ok) errors++;
          latencies.push(performance.now() - sent);
        },
        () => void errors++,
      ),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(pid) - cpuBefore;
  latencies.sort((a, b) => a - b);
  console.log(
    `${options.label}, status requests ${total} in ${elapsed.toFixed(1)} s (${(total / elapsed).toFixed(0)}/s), errors ${errors}`,
  );
  console.log(
    `latency p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms`,
  );
  console.log(
    `emulator CPU ${((cpu / elapsed) * 100).toFixed(0)}% of one core, peak RSS ${peakRssMb(pid).toFixed(0)} MB`,
  );
}
