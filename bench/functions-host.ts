// Durable throughput of the Node Functions host, on the in-memory store and on Azurite:
//  (a) one orchestration fanning out 1,000 no-op activities (Task.all),
//  (b) 500 concurrent orchestrations of 5 chained no-op activities,
//  (c) one durable entity receiving 1,000 signals (entity management API, 50 at a time),
//  (d) 100 entities × 10 signals each, all at once (same API).
// (c) and (d) run the entities fixture app (test/fixtures/durable-apps/entities) on a second
// host on the same store; an entity scenario ends when every counter shows its total.
// Prints a markdown table: wall time, orchestrations/s, activities/s, p50/p99 start-to-complete
// (client-side: POST answered → first poll that sees Completed), failures, and the host's peak
// RSS during the scenario (VmHWM from /proc, reset before each scenario) and the CPU time the
// host and Azurite spent on it (where the time goes).
//   npx tsx bench/functions-host.ts [--store memory|azure|both] [--poll-ms 50]
// --poll-ms is how often each of the 500 instances is polled: the client shares the machine's cores.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startAzurite } from '../emulators/azurite/index.js';
import { startHost, type RunningHost } from '../emulators/functions-host/index.js';
import { cpuSeconds, peakRssMb, percentile } from './process-stats.js';

type Store = 'memory' | 'azure';

const appDir = path.join(__dirname, 'fixtures', 'durable-bench');
const entitiesAppDir = path.join(__dirname, '..', 'test', 'fixtures', 'durable-apps', 'entities');
const SIGNALS = 1000;
const ENTITIES = 100;
const OPERATIONS_PER_ENTITY = 10;
const ENTITY_POLL_MS = 20;
const FAN_OUT = 1000;
const CHAINS = 500;
const CHAIN_LENGTH = 5; // fixed by the fixture's chain5 orchestrator
const START_CONCURRENCY = 50;
const FAN_OUT_POLL_MS = 20;
const SCENARIO_TIMEOUT_MS = 10 * 60_000;
/** The throughput each store must reach, in activities/s on 2 cores. */
const GOAL: Record<Store, number> = { memory: 500, azure: 150 };

interface Result {
  store: Store;
  scenario: string;
  orchestrations: number;
  /** Activities, or entity operations for the entity scenarios. */
  activities: number;
  wallMs: number;
  /** Start-to-complete per instance, ms (only for the many-orchestrations scenario). */
  latenciesMs: number[];
  failures: number;
  peakRssMb: number;
  hostCpuS: number;
  /** Only on the azure store. */
  azuriteCpuS?: number;
}
type Measured = Omit<Result, 'store' | 'peakRssMb' | 'hostCpuS' | 'azuriteCpuS'>;

/** An error's message with its cause (fetch says only "fetch failed"). */
const describe = (error: unknown) =>
  [error, (error as Error).cause]
    .filter(Boolean)
    .map((e) => (e as Error).message ?? String(e))
    .join(': ');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resets the process's VmHWM to its current RSS (Linux: clear_refs "5"). */
const resetPeakRss = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, '5');

/** POSTs to the management API; answers the instance's status URL. */
async function startOrchestration(host: RunningHost, name: string, input: unknown): Promise<string> {
  const response = await fetch(`${host.url}/runtime/webhooks/durabletask/orchestrators/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  if (response.status !== 202)
    throw new Error(`start ${name} answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { statusQueryGetUri: string }).statusQueryGetUri;
}

/** Polls a status URL until the instance is no longer running; answers its status and output. */
async function waitForEnd(
  statusUri: string,
  pollMs: number,
  deadline: number,
): Promise<{ runtimeStatus: string; output?: unknown }> {
  for (;;) {
    const response = await fetch(statusUri);
    const body = (await response.json()) as { runtimeStatus?: string; output?: unknown };
    if (response.status !== 202)
      return { runtimeStatus: body.runtimeStatus ?? `HTTP ${response.status}`, output: body.output };
    if (performance.now() > deadline) return { runtimeStatus: 'timed out' };
    await sleep(pollMs);
  }
}

/** (a) One orchestration, FAN_OUT activities at once: POST to Completed. */
async function fanOutScenario(host: RunningHost): Promise<Measured> {
  const started = performance.now();
  const statusUri = await startOrchestration(host, 'fanOut', FAN_OUT);
  const end = await waitForEnd(statusUri, FAN_OUT_POLL_MS, started + SCENARIO_TIMEOUT_MS);
  const wallMs = performance.now() - started;
  const failures = end.runtimeStatus === 'Completed' && end.output === FAN_OUT ? 0 : 1;
  if (failures) console.error(`fanOut ended ${end.runtimeStatus} with output ${JSON.stringify(end.output)}`);
  return {
    scenario: `fan-out of ${FAN_OUT.toLocaleString('en')}`,
    orchestrations: 1,
    activities: FAN_OUT,
    wallMs,
    latenciesMs: [],
    failures,
  };
}

/** Polls one started chain; answers its start-to-complete time, or undefined if it failed. */
async function completeChain(
  statusUri: string,
  answered: number,
  deadline: number,
  pollMs: number,
): Promise<number | undefined> {
  try {
    const end = await waitForEnd(statusUri, pollMs, deadline);
    if (end.runtimeStatus === 'Completed' && end.output === CHAIN_LENGTH) return performance.now() - answered;
    console.error(`chain5 ended ${end.runtimeStatus} with output ${JSON.stringify(end.output)}`);
  } catch (error) {
    console.error(`chain5 status: ${describe(error)}`);
  }
  return undefined;
}

/** (b) CHAINS orchestrations, started START_CONCURRENCY POSTs at a time, each polled from its POST's answer until it ends. */
async function chainsScenario(host: RunningHost, pollMs: number): Promise<Measured> {
  const started = performance.now();
  const deadline = started + SCENARIO_TIMEOUT_MS;
  const completions: Promise<number | undefined>[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: START_CONCURRENCY }, async () => {
      while (next < CHAINS) {
        next++; // claimed before the await, so exactly CHAINS are started
        try {
          const statusUri = await startOrchestration(host, 'chain5', null);
          completions.push(completeChain(statusUri, performance.now(), deadline, pollMs));
        } catch (error) {
          console.error(`chain5 start: ${describe(error)}`);
        }
      }
    }),
  );
  const latenciesMs = (await Promise.all(completions))
    .filter((ms): ms is number => ms !== undefined)
    .sort((a, b) => a - b);
  const wallMs = performance.now() - started;
  return {
    scenario: `${CHAINS} × chain of ${CHAIN_LENGTH}`,
    orchestrations: CHAINS,
    activities: CHAINS * CHAIN_LENGTH,
    wallMs,
    latenciesMs,
    failures: CHAINS - latenciesMs.length, // failed starts and instances that did not complete
  };
}

/** Sends one 'add 1' signal per listed entity key, START_CONCURRENCY POSTs at a time; answers the failed POSTs. */
async function sendSignals(host: RunningHost, signals: string[]): Promise<number> {
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: START_CONCURRENCY }, async () => {
      while (next < signals.length) {
        const key = signals[next++];
        try {
          const response = await fetch(
            `${host.url}/runtime/webhooks/durabletask/entities/counter/${encodeURIComponent(key)}?op=add`,
            { method: 'POST', body: '1', headers: { 'content-type': 'application/json' } },
          );
          await response.arrayBuffer();
          if (response.status !== 202) failed++;
        } catch (error) {
          console.error(`signal: ${describe(error)}`);
          failed++;
        }
      }
    }),
  );
  return failed;
}

/** Polls the entity listing until every key shows its expected count; answers the keys that did not. */
async function waitForCounts(
  host: RunningHost,
  expected: Map<string, number>,
  deadline: number,
): Promise<number> {
  for (;;) {
    const response = await fetch(`${host.url}/runtime/webhooks/durabletask/entities/counter?fetchState=true`);
    const listed = (await response.json()) as { entityId: { key: string }; state: number }[];
    const seen = new Map(listed.map((e) => [e.entityId.key, e.state]));
    const missing = [...expected].filter(([key, count]) => seen.get(key) !== count).length;
    if (missing === 0 || performance.now() > deadline) return missing;
    await sleep(ENTITY_POLL_MS);
  }
}

/** (c) One entity, SIGNALS signals: first POST to the poll that sees the full count. */
async function oneEntityScenario(host: RunningHost, run: string): Promise<Measured> {
  const started = performance.now();
  const key = `${run}-single`;
  const failedPosts = await sendSignals(
    host,
    Array.from({ length: SIGNALS }, () => key),
  );
  const missing = await waitForCounts(host, new Map([[key, SIGNALS]]), started + SCENARIO_TIMEOUT_MS);
  return {
    scenario: `1 entity × ${SIGNALS.toLocaleString('en')} signals`,
    orchestrations: 0,
    activities: SIGNALS,
    wallMs: performance.now() - started,
    latenciesMs: [],
    failures: failedPosts + missing,
  };
}

/** (d) ENTITIES entities × OPERATIONS_PER_ENTITY signals, interleaved. */
async function manyEntitiesScenario(host: RunningHost, run: string): Promise<Measured> {
  const started = performance.now();
  const keys = Array.from({ length: ENTITIES }, (_, i) => `${run}-many-${i}`);
  const signals = Array.from({ length: OPERATIONS_PER_ENTITY }, () => keys).flat();
  const failedPosts = await sendSignals(host, signals);
  const missing = await waitForCounts(
    host,
    new Map(keys.map((k) => [k, OPERATIONS_PER_ENTITY])),
    started + SCENARIO_TIMEOUT_MS,
  );
  return {
    scenario: `${ENTITIES} entities × ${OPERATIONS_PER_ENTITY} signals`,
    orchestrations: 0,
    activities: ENTITIES * OPERATIONS_PER_ENTITY,
    wallMs: performance.now() - started,
    latenciesMs: [],
    failures: failedPosts + missing,
  };
}

/** Measures one scenario: wall, peak RSS and CPU of the host (and Azurite). */
async function measure(
  store: Store,
  host: RunningHost,
  azuritePid: number | undefined,
  scenario: () => Promise<Measured>,
): Promise<Result> {
  const pid = host.process.pid!;
  resetPeakRss(pid);
  const [hostCpu, azuriteCpu] = [cpuSeconds(pid), azuritePid ? cpuSeconds(azuritePid) : 0];
  const measured = await scenario();
  return {
    store,
    ...measured,
    peakRssMb: peakRssMb(pid),
    hostCpuS: cpuSeconds(pid) - hostCpu,
    azuriteCpuS: azuritePid ? cpuSeconds(azuritePid) - azuriteCpu : undefined,
  };
}

/** Runs both scenarios on a fresh host (and a fresh Azurite for the azure store); always stops them. */
async function runStore(store: Store, chainPollMs: number): Promise<Result[]> {
  const azurite = store === 'azure' ? await startAzurite() : undefined;
  try {
    const env: Record<string, string> = azurite ? { AzureWebJobsStorage: azurite.connectionString } : {};
    const azuritePid = azurite?.process.pid;
    const results: Result[] = [];
    const host = await startHost({ appDir, port: 0, store, env, quiet: true });
    try {
      for (const scenario of [() => fanOutScenario(host), () => chainsScenario(host, chainPollMs)])
        results.push(await measure(store, host, azuritePid, scenario));
    } finally {
      await host.stop();
    }
    const entitiesHost = await startHost({ appDir: entitiesAppDir, port: 0, store, env, quiet: true });
    try {
      const run = Date.now().toString(36);
      for (const scenario of [
        () => oneEntityScenario(entitiesHost, run),
        () => manyEntitiesScenario(entitiesHost, run),
      ])
        results.push(await measure(store, entitiesHost, azuritePid, scenario));
    } finally {
      await entitiesHost.stop();
    }
    return results;
  } finally {
    await azurite?.stop();
  }
}

function printTable(results: Result[], loadBefore: number): void {
  // Other processes on the machine skew the figures: the load average tells whether it was quiet.
  console.log(
    `cores: ${os.availableParallelism()}, node ${process.version}, load average (1 min) before the run: ${loadBefore.toFixed(2)}\n`,
  );
  console.log(
    '| store | scenario | wall | orchestrations/s | activities (entity operations)/s | p50 | p99 | failures | host peak RSS | CPU s host / Azurite | goal |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const seconds = r.wallMs / 1000;
    const activitiesPerSecond = r.activities / seconds;
    const latency = (p: number) =>
      r.latenciesMs.length ? `${percentile(r.latenciesMs, p).toFixed(0)} ms` : '–';
    const cpu = `${r.hostCpuS.toFixed(1)} / ${r.azuriteCpuS?.toFixed(1) ?? '–'}`;
    const goal =
      r.orchestrations === 0
        ? '–'
        : `≥ ${GOAL[r.store]} activities/s: ${activitiesPerSecond >= GOAL[r.store] ? 'met' : 'not met'}`;
    const orchestrationsPerSecond = r.orchestrations === 0 ? '–' : (r.orchestrations / seconds).toFixed(1);
    console.log(
      `| ${r.store === 'azure' ? 'Azurite' : 'memory'} | ${r.scenario} | ${seconds.toFixed(2)} s | ${orchestrationsPerSecond} | ${activitiesPerSecond.toFixed(0)} | ${latency(50)} | ${latency(99)} | ${r.failures} | ${r.peakRssMb.toFixed(0)} MB | ${cpu} | ${goal} |`,
    );
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { store: { type: 'string', default: 'both' }, 'poll-ms': { type: 'string', default: '50' } },
  });
  if (!['memory', 'azure', 'both'].includes(values.store))
    throw new Error(`--store is memory, azure or both, not ${values.store}`);
  const pollMs = Number(values['poll-ms']);
  if (!(pollMs > 0)) throw new Error(`--poll-ms is a number of milliseconds, not ${values['poll-ms']}`);
  const stores: Store[] = values.store === 'both' ? ['memory', 'azure'] : [values.store as Store];
  const loadBefore = os.loadavg()[0];
  const results: Result[] = [];
  for (const store of stores) results.push(...(await runStore(store, pollMs)));
  printTable(results, loadBefore);
  const failures = results.reduce((sum, r) => sum + r.failures, 0);
  if (failures > 0) {
    console.error(`${failures} orchestration(s) or entity counts failed`);
    process.exitCode = 1;
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
