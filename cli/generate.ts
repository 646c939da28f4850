// `npm run generate -- "prompt" [options]`: one command from a prompt to a saved video.
// Without --api it runs the embedded local stack on free ports with throw-away data.
import { randomUUID } from 'node:crypto';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, redactUrl, VideosApi, type StartedJob } from './api-client.js';
import {
  parseGenerateArgs,
  requestBody,
  USAGE,
  UsageError,
  variantFileName,
  type GenerateOptions,
} from './generate-args.js';
import { readJobStatus, type JobView } from './job-status.js';
import { emulatorTimeScale, repoRoot, startLocalStack, type RunningStack } from './local-stack.js';
import { sampleValues } from './local-settings.js';
import { ProgressDisplay } from './progress-display.js';

const POLL_INTERVAL_MS = Number(process.env.GENERATE_POLL_MS ?? 1000);
/** Give up when the app stops answering for this long (it may be restarting). */
const MAX_CONSECUTIVE_STATUS_ERRORS = 10;

class JobEndedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobEndedError';
  }
}

async function startEmbeddedStack(): Promise<RunningStack> {
  const external = process.env.AZURE_OPENAI_ENDPOINT;
  return startLocalStack({
    appPort: 0,
    emulatorPort: 0,
    azurite: { blobPort: 0, queuePort: 0, tablePort: 0 },
    azureOpenAiEndpoint: external,
    // A fresh key per run: the emulator demands it, the app sends it, nobody else knows it.
    apiKey: external ? (process.env.AZURE_OPENAI_API_KEY ?? '') : randomUUID(),
    emulatorTimeScale: emulatorTimeScale(process.env, (line) => process.stderr.write(`${line}\n`)),
    settings: sampleValues(repoRoot),
    preferFunc: false,
    quiet: true,
  });
}

/** Ctrl-C while a job runs: ask on a terminal, cancel right away otherwise (CI, pipes).
 * Installed before the start request is sent, not once the job is announced: until
 * process.on runs, SIGINT's default action kills the process, so a signal sent on seeing
 * "Job … started." could land in between (1 run in 20 with a core kept busy), exiting by the
 * signal with the job left running. A signal while the start is in flight is remembered and
 * acted on once the job is known (`attach`); a second one while the first is handled exits. */
function onInterrupt(): { attach(handler: () => Promise<void>): void; remove(): void } {
  let handler: (() => Promise<void>) | undefined;
  let pending = false;
  let busy = false;
  const handle = () => {
    busy = true;
    void handler!().finally(() => {
      busy = false;
    });
  };
  const listener = () => {
    if (busy || pending) process.exit(130);
    if (handler) handle();
    else {
      pending = true;
      process.stderr.write('Interrupted: the job is cancelled once the start has been answered.\n');
    }
  };
  process.on('SIGINT', listener);
  return {
    attach(next) {
      handler = next;
      if (pending) {
        pending = false;
        handle();
      }
    },
    remove: () => process.off('SIGINT', listener),
  };
}

async function askYesNo(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

async function follow(api: VideosApi, job: StartedJob, display: ProgressDisplay): Promise<JobView> {
  const began = Date.now();
  let errors = 0;
  for (;;) {
    let view: JobView;
    try {
      view = readJobStatus(await api.status(job));
      errors = 0;
    } catch (error) {
      // A refusal (401, 404...) will not change by asking again; an outage might.
      if (!(error instanceof ApiError && error.transient) || ++errors >= MAX_CONSECUTIVE_STATUS_ERRORS)
        throw error;
      await sleep(POLL_INTERVAL_MS);
      continue;
    }
    display.update(view, Date.now() - began);
    if (view.outcome !== 'running') return view;
    await sleep(POLL_INTERVAL_MS);
  }
}

async function run(options: GenerateOptions): Promise<void> {
  let stack: RunningStack | undefined;
  try {
    if (!options.api) {
      process.stderr.write('Starting the local stack (Azurite, provider emulator, Functions host)...\n');
      stack = await startEmbeddedStack();
    }
    const api = new VideosApi(options.api ?? stack!.appUrl, options.key);
    const interrupt = onInterrupt();
    const display = new ProgressDisplay();
    let cancelRequested = false;
    let job: StartedJob;
    let view: JobView;
    try {
      let uploadId: string | undefined;
      if (options.image?.kind === 'file') {
        const uploaded = await api.upload(options.image.bytes, options.image.contentType);
        uploadId = uploaded.uploadId;
        process.stderr.write(
          `Uploaded ${options.image.file} (${uploaded.contentType}, ${uploaded.width}x${uploaded.height}).\n`,
        );
      }
      job = await api.start(requestBody(options, uploadId));
      process.stderr.write(`Job ${job.id} started.\n`);
      const started = job;
      interrupt.attach(async () => {
        display.finish();
        const cancel = !process.stdin.isTTY || (await askYesNo(`Cancel job ${started.id}? [y/N] `));
        if (!cancel) return;
        cancelRequested = true;
        await api.cancel(started).then(
          (cancelled) => {
            if (!cancelled) process.stderr.write(`Job ${started.id} has already ended: nothing to cancel.\n`);
          },
          (error: Error) => process.stderr.write(`${error.message}\n`),
        );
      });
      view = await follow(api, job, display);
    } finally {
      interrupt.remove();
      display.finish();
    }

    if (view.outcome === 'cancelled' || (cancelRequested && view.outcome !== 'succeeded')) {
      throw new JobEndedError(
        `job ${job.id} was cancelled${view.failureReason ? `: ${view.failureReason}` : ''}`,
      );
    }
    if (view.outcome === 'failed')
      throw new JobEndedError(`job ${job.id} failed: ${view.failureReason ?? 'no reason given'}`);
    if (view.videos.length === 0) throw new JobEndedError(`job ${job.id} completed without any video`);

    for (const [index, video] of view.videos.entries()) {
      const file = variantFileName(options.out, index);
      const bytes = await VideosApi.download(video.url, file);
      process.stdout.write(`Generated video saved as "${file}" (${bytes} bytes)\n`);
      // The embedded stack stops when this command ends, and its blobs with it: a link to
      // them would lead nowhere. A deployment's blob stays, so its (query-free) URL is shown.
      if (options.api) process.stdout.write(`Blob URL: ${redactUrl(video.url)}\n`);
    }
  } finally {
    await stack?.stop();
  }
}

async function main(): Promise<number> {
  try {
    await run(parseGenerateArgs(process.argv.slice(2)));
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`Error: ${message}\n`);
    if (error instanceof UsageError) process.stderr.write(`${USAGE}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}

void main().then((code) => {
  process.exitCode = code;
});
