#!/usr/bin/env node
// Runs every test suite with Node's own test runner and refuses a run that proves nothing.
//
//   node scripts/run-tests.mjs                  all of test/**/*.test.ts
//   node scripts/run-tests.mjs test/unit x.ts   only those folders / files
//
// Why a wrapper instead of a bare `node --test`: Node 20 does not expand globs, an empty
// file list silently passes with 0 tests, and CI must see the TAP summary (`# pass N`,
// `# fail N`) even though humans read the friendlier spec reporter. This script lists the
// files itself, shows the spec output live, keeps a TAP copy, reprints its summary and
// exits non-zero when anything failed, was cancelled, skipped, left as todo, or when no
// test ran at all.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const requested = process.argv.slice(2);
const targets = requested.length > 0 ? requested : ['test'];

/** Every *.test.ts below a folder (fixtures excluded), or the file itself. */
function collect(target) {
  const full = path.resolve(root, target);
  const info = statSync(full, { throwIfNoEntry: false });
  if (!info) throw new Error(`No such test file or folder: ${target}`);
  if (info.isFile()) return [full];
  const found = [];
  for (const entry of readdirSync(full, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'fixtures') continue;
    const child = path.join(full, entry.name);
    if (entry.isDirectory()) found.push(...collect(child));
    else if (entry.name.endsWith('.test.ts')) found.push(child);
  }
  return found;
}

const files = [...new Set(targets.flatMap(collect))].sort();
if (files.length === 0) {
  console.error(`No test files found under: ${targets.join(', ')}`);
  process.exit(1);
}

const scratch = mkdtempSync(path.join(tmpdir(), 'run-tests-'));
const tapFile = path.join(scratch, 'report.tap');
// Integration suites mostly wait on child processes, so a little parallelism pays even on 2 cores.
const concurrency = process.env.TEST_CONCURRENCY ?? '3';
const args = [
  '--import',
  'tsx',
  '--test',
  `--test-concurrency=${concurrency}`,
  `--test-timeout=${process.env.TEST_TIMEOUT_MS ?? '300000'}`,
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=tap',
  `--test-reporter-destination=${tapFile}`,
  ...files.map((f) => path.relative(root, f)),
];

console.log(`Running ${files.length} test file(s) with ${process.execPath} (Node ${process.versions.node})`);
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
const exitCode = await new Promise((resolve) =>
  child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))),
);

const tap = readFileSync(tapFile, 'utf8');
rmSync(scratch, { recursive: true, force: true });
/** The top-level summary lines are the last `# key N` lines of the TAP stream. */
const summary = {};
for (const line of tap.split('\n')) {
  const match = /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/.exec(line);
  if (match) summary[match[1]] = Number(match[2]);
}
console.log('');
for (const key of ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo', 'duration_ms']) {
  if (key in summary) console.log(`# ${key} ${summary[key]}`);
}

const problems = [];
if (!('pass' in summary)) problems.push('the test runner printed no summary');
if ((summary.pass ?? 0) === 0)
  problems.push('no test passed (a run that executes zero tests proves nothing)');
if ((summary.fail ?? 0) > 0) problems.push(`${summary.fail} test(s) failed`);
if ((summary.cancelled ?? 0) > 0) problems.push(`${summary.cancelled} test(s) were cancelled`);
if ((summary.skipped ?? 0) > 0)
  problems.push(`${summary.skipped} test(s) were skipped; skipped tests are not passes`);
if ((summary.todo ?? 0) > 0) problems.push(`${summary.todo} test(s) are todo`);
if (exitCode !== 0 && problems.length === 0) problems.push(`the test runner exited with code ${exitCode}`);

if (problems.length > 0) {
  console.error(`\nTest run failed: ${problems.join('; ')}.`);
  process.exit(1);
}
console.log(`\n${summary.pass} passed, 0 failed`);
