// How long the Functions worker takes to load the app (its cold-start share that the app
// owns): in a fresh Node process per run, with `@azure/functions-core` provided by a require
// hook as the Node worker does (emulators/functions-host/core-api.ts does the same), time
// `require(<entry point>)` until every function is registered.
//
//   npx tsx bench/app-load.ts [--runs 15] [--entry FILE ...]
//
// Default entries: the unbundled tsc output (dist/src/index.js, what remote build deployed;
// run `npm run build` first), the deploy bundle required directly (dist/package/app.js: no code
// cache) and the deploy package's entry point (dist/package/index.js: the bundle with its V8
// code cache; `npm run package`).
// Settings come from local.settings.sample.json (the app validates them while loading).
// Prints a markdown table: entry, files and bytes it loads, median / min / max load time (wall
// clock), the median CPU time the load took (user + system: what the load costs, and what varies
// least when other work shares the cores), and the functions registered (the same for every
// entry, or the bundle is broken). Also the load average, since wall times depend on it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(__dirname, '..');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    entry: { type: 'string', multiple: true },
  },
});
const runs = Number(values.runs);
const entries =
  values.entry?.map((e) => path.resolve(e)) ??
  ['dist/src/index.js', 'dist/package/app.js', 'dist/package/index.js'].map((e) => path.join(root, e));

// Runs in the child (plain CommonJS, no loader, so nothing but the app is timed).
const probe = String.raw`
const Module = require('node:module');
const registered = [];
class Disposable { constructor(f) { this.f = f; } dispose() { const f = this.f; this.f = undefined; return f && f(); } static from(...d) { return new Disposable(() => d.forEach((x) => x.dispose())); } }
let model;
const core = {
  version: '3.10.1', hostVersion: '4.1040.0', Disposable,
  registerFunction(metadata) { registered.push(metadata.name); return new Disposable(() => {}); },
  registerHook() { return new Disposable(() => {}); },
  setProgrammingModel(m) { model = m; }, getProgrammingModel() { return model; },
  log() {},
};
const original = Module.prototype.require;
Module.prototype.require = function (id) { return id === '@azure/functions-core' ? core : original.call(this, id); };
const entry = process.argv[process.argv.length - 1];
const cpuBefore = process.cpuUsage();
const started = process.hrtime.bigint();
const exported = require(entry);
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const cpu = process.cpuUsage(cpuBefore);
const cpuMs = (cpu.user + cpu.system) / 1000;
// The deploy package's index.js runs app.js with app.cache outside require.cache: count them too.
const codeCache = exported && exported.codeCache;
const dir = require('node:path').dirname(entry);
const files = [...Object.keys(require.cache).filter((f) => f !== __filename), ...(codeCache ? ['app.js', 'app.cache'].map((f) => require('node:path').join(dir, f)) : [])];
const bytes = files.reduce((sum, f) => { try { return sum + require('node:fs').statSync(f).size; } catch { return sum; } }, 0);
process.stdout.write(JSON.stringify({ ms, cpuMs, files: files.length, bytes, codeCache: codeCache || 'none', functions: registered.sort() }));
`;

const sample = JSON.parse(readFileSync(path.join(root, 'local.settings.sample.json'), 'utf8')) as {
  Values: Record<string, string>;
};
const scratch = mkdtempSync(path.join(tmpdir(), 'app-load-'));
const probeFile = path.join(scratch, 'probe.cjs');
writeFileSync(probeFile, probe);

interface Sample {
  ms: number;
  cpuMs: number;
  files: number;
  bytes: number;
  codeCache: string;
  functions: string[];
}

function once(entry: string): Sample {
  const child = spawnSync(process.execPath, [probeFile, entry], {
    cwd: path.dirname(entry),
    env: { PATH: process.env.PATH, ...sample.Values },
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`loading ${entry} failed (${child.status}):\n${child.stderr}`);
  return JSON.parse(child.stdout) as Sample;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  console.log(
    `Node ${process.versions.node}, ${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(1)} before the run; ${runs} fresh processes per entry (one warm-up run not counted)\n`,
  );
  console.log(
    '| entry | code cache | files loaded | bytes loaded | median | min | max | CPU (median) | functions |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const entry of entries) {
    if (!existsSync(entry)) {
      console.log(`| ${path.relative(root, entry)} | missing (build it first) | | | | | | | |`);
      continue;
    }
    once(entry); // warm the file-system cache
    const samples = Array.from({ length: runs }, () => once(entry));
    const ms = samples.map((s) => s.ms);
    const first = samples[0];
    console.log(
      `| ${path.relative(root, entry)} | ${first.codeCache} | ${first.files} | ${(first.bytes / 1024).toFixed(0)} KiB | ${median(ms).toFixed(0)} ms | ${Math.min(...ms).toFixed(0)} ms | ${Math.max(...ms).toFixed(0)} ms | ${median(samples.map((s) => s.cpuMs)).toFixed(0)} ms | ${first.functions.length} (${first.functions.join(', ')}) |`,
    );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
