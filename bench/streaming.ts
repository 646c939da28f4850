// Streaming download benchmark: one video of N bytes (default 1 GiB) goes
// through the whole pipeline into Azurite; the Functions host's peak RSS must stay under its
// idle RSS + 100 MB, and the pipeline's download throughput must be at least 80% of a plain
// stream copy of the same bytes from the emulator to Azurite, measured in the same run.
//   npx tsx bench/streaming.ts [--bytes 1073741824]
//
// Parts: Azurite on a temp folder (not in memory, so the blobs do not sit in its heap), the
// provider emulator in this process with padToBytes = N, and the Node Functions host (a child
// process) running the built app with the settings of test/integration/pipeline-stack.ts.
//
// Memory: the host's VmRSS is read from /proc every 50 ms; idle = median of 10 samples after
// start-up and a warm-up request; VmHWM is reset (clear_refs 5) right after, so the VmHWM
// read at the end is the peak over the video's whole run (create, polls, download).
//
// Time: the pipeline's download is timed from the host's own log lines for the downloadVideo
// activity (`[ts] Executing …` → `[ts] Executed … (Succeeded …)`), not from client polling.
// The emulator encodes the MP4 and writes its padding (N bytes) on the first content
// request, so this script sends a 1-byte Range request as soon as the Sora job succeeds and
// the download is timed from max(activity start, moment the content was ready): encoding is
// the emulator's cost, not the pipeline's. ('downloading' → 'completed' as seen by polling
// GET /api/videos/{id} every 50 ms is printed too.)
//
// Baseline: a plain copy (fetch → Readable.fromWeb → uploadStream, the app's block size and
// concurrency) of the same content into another blob, timed from fetch() to uploadStream()
// resolving, run twice after the pipeline: in this process (which also runs the emulator, so
// serving and copying share one thread) and in a child process (the pipeline's topology:
// emulator here, copier in another process). The ratio is taken against the faster copy.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { parseArgs } from 'node:util';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../emulators/azurite/index.js';
import { startHost, type RunningHost } from '../emulators/functions-host/index.js';
import { startProviderEmulator, type RunningProviderEmulator } from '../emulators/providers/index.js';
import { CONTAINER, pipelineSettings } from '../test/integration/pipeline-stack.js';
import { cpuSeconds } from './process-stats.js';

const repoRoot = path.resolve(__dirname, '..');
const MB = 1e6;
const MiB = 1024 * 1024;
/** As in src/storage/video-blobs.ts, so the baseline moves blocks exactly like the app. */
const BLOCK_BYTES = 4 * MiB;
const PARALLEL_BLOCKS = 4;
const EMULATOR_KEY = 'bench-key';
const BASELINE_BLOBS = {
  here: 'bench-baseline/plain-copy.mp4',
  child: 'bench-baseline/plain-copy-child.mp4',
};
const SAMPLE_MS = 50;
const POLL_MS = 50;
const TIME_SCALE = 0.2; // a 480x480 5 s job takes ~1.2 s
const RSS_BUDGET_MB = 100;
const THROUGHPUT_GOAL = 0.8;
const VIDEO_TIMEOUT_MS = 15 * 60_000;
const videoRequest = {
  prompt: 'A cat playing piano in a jazz bar.',
  width: 480,
  height: 480,
  n_seconds: 5,
  model: 'sora',
};

const ownCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]);
}
const rssMb = (pid: number) => (procStatusKb(pid, 'VmRSS') * 1024) / MB;
const hwmMb = (pid: number) => (procStatusKb(pid, 'VmHWM') * 1024) / MB;
/** Resets VmHWM to the current RSS (Linux: clear_refs "5"). */
const resetPeakRss = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, '5');

/** Samples a process's VmRSS every SAMPLE_MS until stopped, with the time of each sample. */
function startSampler(pid: number) {
  const samples: { at: number; mb: number }[] = [];
  const timer = setInterval(() => {
    try {
      samples.push({ at: Date.now(), mb: rssMb(pid) });
    } catch {
      // the process is gone; the caller notices
    }
  }, SAMPLE_MS);
  return {
    samples,
    stop: () => clearInterval(timer),
    /** Highest sample in [from, to] (all of them by default). */
    peakMb: (from = -Infinity, to = Infinity) =>
      Math.max(0, ...samples.filter((s) => s.at >= from && s.at <= to).map((s) => s.mb)),
    /** The last sample at or before `at`. */
    at: (at: number) => samples.filter((s) => s.at <= at).at(-1)?.mb,
  };
}

async function getJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: response.status, body };
}

const contentUrl = (emulator: RunningProviderEmulator, generationId: string) =>
  `${emulator.url}/openai/v1/video/generations/${generationId}/content/video?api-version=preview`;

async function sha256(stream: AsyncIterable<Buffer | Uint8Array>): Promise<{ hex: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { hex: hash.digest('hex'), bytes };
}

async function blobSha256(
  container: ContainerClient,
  name: string,
): Promise<{ hex: string; bytes: number; size: number }> {
  const blob = container.getBlockBlobClient(name);
  const size = (await blob.getProperties()).contentLength ?? -1;
  const body = (await blob.download()).readableStreamBody;
  if (!body) throw new Error(`blob ${name} has no body`);
  return { ...(await sha256(body as AsyncIterable<Buffer>)), size };
}

async function emulatorSha256(
  emulator: RunningProviderEmulator,
  generationId: string,
): Promise<{ hex: string; bytes: number }> {
  const response = await fetch(contentUrl(emulator, generationId), { headers: { 'api-key': EMULATOR_KEY } });
  if (!response.ok || !response.body) throw new Error(`emulator content answered ${response.status}`);
  return sha256(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>));
}

/** The baseline: fetch → Readable.fromWeb → uploadStream, same block size and concurrency as the app. */
async function plainCopy(url: string, container: ContainerClient, blobName: string): Promise<CopyResult> {
  const cpuBefore = ownCpuSeconds();
  const started = performance.now();
  const response = await fetch(url, { headers: { 'api-key': EMULATOR_KEY } });
  if (!response.ok || !response.body) throw new Error(`emulator content answered ${response.status}`);
  await container
    .getBlockBlobClient(blobName)
    .uploadStream(
      Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>),
      BLOCK_BYTES,
      PARALLEL_BLOCKS,
      {
        blobHTTPHeaders: { blobContentType: 'video/mp4' },
      },
    );
  return {
    ms: performance.now() - started,
    bytes: Number(response.headers.get('content-length')),
    cpu: ownCpuSeconds() - cpuBefore,
  };
}

interface CopyResult {
  ms: number;
  bytes: number;
  /** CPU seconds of the copying process during the copy. */
  cpu: number;
}

interface CopyJob {
  url: string;
  connectionString: string;
  blobName: string;
}

/** The same plain copy in a child process (this script with --copy-child); answers what it printed. */
async function plainCopyInChild(job: CopyJob): Promise<CopyResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--copy-child'], {
    cwd: repoRoot,
    env: { ...process.env, BENCH_STREAMING_COPY: JSON.stringify(job) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the child copy exited with ${code}: ${out}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as CopyResult;
}

async function copyChildMain(): Promise<void> {
  const job = JSON.parse(process.env.BENCH_STREAMING_COPY ?? '') as CopyJob;
  const container = BlobServiceClient.fromConnectionString(job.connectionString).getContainerClient(
    CONTAINER,
  );
  console.log(JSON.stringify(await plainCopy(job.url, container, job.blobName)));
}

interface Warm {
  generationId: string;
  sentAt: number;
  readyAt: number;
}

/** Once the host reports the Sora job, polls it on the emulator and asks for 1 byte of the
 * content the moment it succeeds, so the emulator encodes (and pads) before the pipeline asks. */
async function warmContent(
  emulator: RunningProviderEmulator,
  jobId: () => string | undefined,
  done: () => boolean,
): Promise<Warm | undefined> {
  while (!done()) {
    const id = jobId();
    if (id) {
      const job = await getJson(
        `${emulator.url}/openai/v1/video/generations/jobs/${id}?api-version=preview`,
        { headers: { 'api-key': EMULATOR_KEY } },
      );
      if (job.status === 200 && job.body.status === 'succeeded') {
        const generationId = job.body.generations[0].id as string;
        const sentAt = Date.now();
        const response = await fetch(contentUrl(emulator, generationId), {
          headers: { 'api-key': EMULATOR_KEY, range: 'bytes=0-0' },
        });
        const readyAt = Date.now();
        await response.arrayBuffer();
        return { generationId, sentAt, readyAt };
      }
      if (job.status !== 200 || ['failed', 'cancelled'].includes(job.body.status)) return undefined;
    }
    await sleep(POLL_MS);
  }
  return undefined;
}

interface ActivityRun {
  id: string;
  startedAt: number;
  endedAt?: number;
  outcome?: string;
}

/** The downloadVideo executions from the host's log, in order. */
function downloadRuns(output: string): ActivityRun[] {
  const runs = new Map<string, ActivityRun>();
  for (const m of output.matchAll(
    /^\[([^\]]+)\] Executing 'Functions\.downloadVideo' \(Reason='[^']*', Id=([\w-]+)\)/gm,
  )) {
    runs.set(m[2], { id: m[2], startedAt: Date.parse(m[1]) });
  }
  for (const m of output.matchAll(
    /^\[([^\]]+)\] Executed 'Functions\.downloadVideo' \((\w+), Id=([\w-]+), Duration=\d+ms\)/gm,
  )) {
    const run = runs.get(m[3]);
    if (run) Object.assign(run, { endedAt: Date.parse(m[1]), outcome: m[2] });
  }
  return [...runs.values()];
}

interface Figures {
  bytes: number;
  idleMb: number;
  peakMb: number;
  sampledPeakMb: number;
  samples: number;
  /** VmRSS when the download activity started, and the highest sample while it ran. */
  atDownloadStartMb?: number;
  downloadPeakMb: number;
  pipelineMs: number;
  timing: string;
  pollMs?: number;
  baseline: { here: CopyResult; child: CopyResult };
  attempts: number;
  verified: string;
  /** 1-minute load average before the video and after the baseline (other processes share the cores). */
  load: [string, string];
  /** CPU seconds used during the video run (POST → completed) and during the baseline copy. */
  cpu: {
    video: { host: number; azurite: number; bench: number; ms: number };
    baselineAzurite: { here: number; child: number };
  };
}

async function run(bytes: number, work: string): Promise<Figures> {
  let azurite: RunningAzurite | undefined;
  let emulator: RunningProviderEmulator | undefined;
  let host: RunningHost | undefined;
  try {
    azurite = await startAzurite({ location: path.join(work, 'azurite') });
    emulator = await startProviderEmulator({
      port: 0,
      apiKey: EMULATOR_KEY,
      timeScale: TIME_SCALE,
      padToBytes: bytes,
      dataDir: path.join(work, 'emulator'),
    });
    const settings = pipelineSettings(azurite.connectionString, emulator.url, EMULATOR_KEY);
    // Not quiet: the Executing/Executed lines time the download activity.
    host = await startHost({ appDir: repoRoot, port: 0, store: 'azure', env: settings });
    const pid = host.process.pid!;
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      CONTAINER,
    );

    // Idle: after start-up and a warm-up request.
    for (let i = 0; i < 3; i++) await getJson(`${host.url}/api/videos/nonexistent`);
    await sleep(1000);
    const idleSamples: number[] = [];
    for (let i = 0; i < 10; i++) {
      idleSamples.push(rssMb(pid));
      await sleep(SAMPLE_MS);
    }
    const idleMb = idleSamples.sort((a, b) => a - b)[5];
    resetPeakRss(pid);
    const loadBefore = loadAverage();

    const azuritePid = azurite.process.pid!;
    const cpuBefore = {
      host: cpuSeconds(pid),
      azurite: cpuSeconds(azuritePid),
      bench: ownCpuSeconds(),
      at: Date.now(),
    };
    const sampler = startSampler(pid);
    let jobId: string | undefined;
    let finished = false;
    let downloadingSeen: number | undefined;
    let completedSeen: number | undefined;
    let final: any;
    const warm = warmContent(
      emulator,
      () => jobId,
      () => finished,
    );
    try {
      const created = await getJson(`${host.url}/api/videos`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(videoRequest),
      });
      if (created.status !== 202)
        throw new Error(`POST /api/videos answered ${created.status}: ${JSON.stringify(created.body)}`);
      const id = created.body.id as string;
      const deadline = Date.now() + VIDEO_TIMEOUT_MS;
      for (;;) {
        const status = await getJson(`${host.url}/api/videos/${id}`);
        const now = Date.now();
        if (status.status === 200) {
          jobId ??= status.body.upstream?.jobId;
          if (status.body.phase === 'downloading') downloadingSeen ??= now;
          if (['completed', 'failed', 'cancelled'].includes(status.body.phase)) {
            if (status.body.phase === 'completed') completedSeen = now;
            final = status.body;
            break;
          }
        }
        if (now > deadline)
          throw new Error(
            `video ${id} did not finish in ${VIDEO_TIMEOUT_MS / 60_000} min: ${JSON.stringify(status.body)}`,
          );
        await sleep(POLL_MS);
      }
    } finally {
      finished = true;
      sampler.stop();
    }
    const peakMb = Math.max(hwmMb(pid), sampler.peakMb());
    const videoCpu = {
      host: cpuSeconds(pid) - cpuBefore.host,
      azurite: cpuSeconds(azuritePid) - cpuBefore.azurite,
      bench: ownCpuSeconds() - cpuBefore.bench,
      ms: Date.now() - cpuBefore.at,
    };
    const warmed = await warm;
    if (final.phase !== 'completed')
      throw new Error(`the video ${final.phase}: ${final.error ?? JSON.stringify(final)}`);

    const runs = downloadRuns(host.output());
    const last = runs.at(-1);
    if (!last?.endedAt || last.outcome !== 'Succeeded')
      throw new Error(`no successful downloadVideo in the host log:\n${host.output()}`);
    let startedAt = last.startedAt;
    let timing = 'host log: downloadVideo Executing → Executed';
    if (warmed && runs.length === 1 && warmed.sentAt <= last.startedAt) {
      if (warmed.readyAt > startedAt)
        timing += `, from content ready (+${warmed.readyAt - startedAt} ms after the activity started)`;
      startedAt = Math.max(startedAt, warmed.readyAt);
    } else {
      timing += ', includes the emulator encoding the MP4 (warm-up request was late)';
    }
    const pipelineMs = last.endedAt - startedAt;

    // Baselines in the same run, after the pipeline (the emulator's file is in the page cache for all).
    const generationId = final.videos[0].outputId as string;
    const url = contentUrl(emulator, generationId);
    let azuriteCpu = cpuSeconds(azuritePid);
    const here = await plainCopy(url, container, BASELINE_BLOBS.here);
    const baselineAzurite = { here: cpuSeconds(azuritePid) - azuriteCpu, child: 0 };
    azuriteCpu = cpuSeconds(azuritePid);
    const child = await plainCopyInChild({
      url,
      connectionString: azurite.connectionString,
      blobName: BASELINE_BLOBS.child,
    });
    baselineAzurite.child = cpuSeconds(azuritePid) - azuriteCpu;
    const loadAfter = loadAverage();

    // Verification: sizes and sha256, all streamed.
    const source = await emulatorSha256(emulator, generationId);
    const problems: string[] = [];
    if (source.bytes !== bytes) problems.push(`emulator served ${source.bytes} bytes, not ${bytes}`);
    if (final.videos[0].bytes !== bytes) problems.push(`status reports ${final.videos[0].bytes} bytes`);
    for (const [what, name] of [
      ['pipeline', final.videos[0].blobName as string],
      ['plain copy', BASELINE_BLOBS.here],
      ['child plain copy', BASELINE_BLOBS.child],
    ]) {
      const blob = await blobSha256(container, name);
      if (blob.size !== bytes || blob.bytes !== bytes)
        problems.push(`${what} blob is ${blob.size} bytes (read ${blob.bytes})`);
      if (blob.hex !== source.hex) problems.push(`${what} blob sha256 ${blob.hex} ≠ emulator ${source.hex}`);
    }
    if (here.bytes !== bytes || child.bytes !== bytes)
      problems.push(`plain copies announced ${here.bytes} / ${child.bytes} bytes`);
    if (problems.length) throw new Error(`verification failed: ${problems.join('; ')}`);

    return {
      bytes,
      idleMb,
      peakMb,
      sampledPeakMb: sampler.peakMb(),
      samples: sampler.samples.length,
      pipelineMs,
      timing,
      atDownloadStartMb: sampler.at(last.startedAt),
      downloadPeakMb: sampler.peakMb(last.startedAt, last.endedAt),
      pollMs:
        downloadingSeen !== undefined && completedSeen !== undefined
          ? completedSeen - downloadingSeen
          : undefined,
      baseline: { here, child },
      attempts: runs.length,
      load: [loadBefore, loadAfter],
      cpu: { video: videoCpu, baselineAzurite },
      verified: `size ${bytes} and sha256 ${source.hex.slice(0, 16)}… equal for the emulator's content, the pipeline's blob and both copies`,
    };
  } finally {
    await host?.stop().catch(() => undefined);
    await emulator?.stop().catch(() => undefined);
    await azurite?.stop().catch(() => undefined);
  }
}

function printTable(f: Figures): void {
  const growth = f.peakMb - f.idleMb;
  const rate = (ms: number) => f.bytes / MB / (ms / 1000);
  const fmt = (ms: number) => `${rate(ms).toFixed(0)} MB/s (${(ms / 1000).toFixed(2)} s)`;
  // The child-process copy has the pipeline's topology (emulator → another process → Azurite);
  // the copy inside the emulator's process saves a hop. Both are reported, judged separately.
  const ratioChild = rate(f.pipelineMs) / rate(f.baseline.child.ms);
  const ratioHere = rate(f.pipelineMs) / rate(f.baseline.here.ms);
  const memoryGoal = growth < RSS_BUDGET_MB;
  const verdict = (ratio: number) =>
    `${(ratio * 100).toFixed(0)}% (${ratio >= THROUGHPUT_GOAL ? 'met' : 'not met'})`;
  const { video, baselineAzurite } = f.cpu;
  console.log(
    `cores: ${os.availableParallelism()}, node ${process.version}, block ${BLOCK_BYTES / MiB} MiB × ${PARALLEL_BLOCKS}, load average ${f.load[0]} → ${f.load[1]}`,
  );
  console.log(`download timing: ${f.timing}; attempts: ${f.attempts}`);
  if (f.pollMs !== undefined)
    console.log(
      `'downloading' → 'completed' seen by polling every ${POLL_MS} ms: ${(f.pollMs / 1000).toFixed(2)} s (includes encoding and orchestration)`,
    );
  console.log(
    `RSS: ${f.samples} samples every ${SAMPLE_MS} ms; sampled peak ${f.sampledPeakMb.toFixed(0)} MB, peak incl. VmHWM ${f.peakMb.toFixed(0)} MB; ` +
      `${f.atDownloadStartMb?.toFixed(0) ?? '?'} MB when the download started (after create + polls), sampled peak while downloading ${f.downloadPeakMb.toFixed(0)} MB`,
  );
  console.log(
    `CPU s: video run (POST → completed, ${(video.ms / 1000).toFixed(1)} s): host ${video.host.toFixed(1)}, Azurite ${video.azurite.toFixed(1)}, this process (emulator) ${video.bench.toFixed(1)}; ` +
      `copy here: Azurite ${baselineAzurite.here.toFixed(1)}, this process (emulator + copy) ${f.baseline.here.cpu.toFixed(1)}; ` +
      `copy in child: Azurite ${baselineAzurite.child.toFixed(1)}, child ${f.baseline.child.cpu.toFixed(1)}`,
  );
  console.log(`verified: ${f.verified}\n`);
  console.log(
    '| bytes | idle RSS | peak RSS | peak − idle | pipeline download | plain copy (this process) | plain copy (child process) | memory goal (< idle + 100 MB) | throughput ≥ 80% of the child copy (same topology) | … of the copy in this process |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  console.log(
    `| ${f.bytes.toLocaleString('en')} | ${f.idleMb.toFixed(0)} MB | ${f.peakMb.toFixed(0)} MB | ${growth.toFixed(1)} MB | ${fmt(f.pipelineMs)} | ${fmt(f.baseline.here.ms)} | ${fmt(f.baseline.child.ms)} | ${memoryGoal ? 'met' : 'not met'} | ${verdict(ratioChild)} | ${verdict(ratioHere)} |`,
  );
  console.log('\n(MB = 10^6 bytes)');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bytes: { type: 'string', default: String(1024 * MiB) },
      'copy-child': { type: 'boolean', default: false },
    },
  });
  if (values['copy-child']) return copyChildMain();
  const bytes = Number(values.bytes);
  if (!Number.isSafeInteger(bytes) || bytes < 1 * MiB || bytes > 0xffffffff)
    throw new Error(`--bytes must be an integer from 1 MiB to 4 GiB, not ${values.bytes}`);
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, stdio: 'inherit' });
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-streaming-'));
  try {
    printTable(await run(bytes, work));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exitCode = 1;
});
