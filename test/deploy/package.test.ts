// The deploy package (azure.yaml `dist`: what `npm run package` builds and azd uploads) holds
// only what the app runs, its code cache works and is optional, and the Node Functions host
// serves a video request from exactly that folder: Azurite, the provider emulator and the host,
// wired with local.settings.sample.json.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { isBuiltin } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startAzurite, type RunningAzurite } from '../../emulators/azurite/index.js';
import { startHost, type RunningHost } from '../../emulators/functions-host/index.js';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { call } from '../support/http.js';
import { loadGalleryPage } from '../../src/gallery/page.js';
import { buildOpenApiDocument } from '../../src/functions/openapi.js';
import { eventually } from '../support/eventually.js';

const root = path.resolve(__dirname, '..', '..');
const scratch = mkdtempSync(path.join(tmpdir(), 'deploy-package-'));
const packageDir = path.join(scratch, 'package');
const metafilePath = path.join(scratch, 'meta.json');
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Metafile {
  inputs: Record<string, unknown>;
}
type PackageJson = {
  name: string;
  main?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
};
const repoPackage = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as PackageJson;

// Never part of the app: the Functions CLI (its install downloads the runtime), the local
// stand-ins' dependencies, and every devDependency (tools, test clients, emulator libraries).
const forbiddenPackages = new Set([
  'azure-functions-core-tools',
  'azurite',
  '@azure/data-tables',
  'h264-mp4-encoder',
  ...Object.keys(repoPackage.devDependencies ?? {}),
  ...Object.keys(repoPackage.optionalDependencies ?? {}),
]);

/** npm package of a bundled input path, or undefined for the project's own files. */
function npmPackageOf(input: string): string | undefined {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match?.[1];
}

/** What a bundle's inputs must not contain: forbidden packages, and project files outside src/. */
function packageProblems(metafile: Metafile): string[] {
  const problems: string[] = [];
  for (const input of Object.keys(metafile.inputs)) {
    const pkg = npmPackageOf(input);
    if (pkg) {
      if (forbiddenPackages.has(pkg)) problems.push(`bundles ${pkg} (${input})`);
    } else if (!path.resolve(root, input).startsWith(path.join(root, 'src') + path.sep)) {
      problems.push(`bundles ${input}, which is not app code (src/)`);
    }
  }
  return problems;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Loads a package's main in a fresh Node with the worker's core API stubbed, as the worker does; what registered. */
function loadPackage(dir: string): { codeCache: string; functions: string[] } {
  const probe = `
const Module = require('node:module');
const names = [];
class Disposable { constructor(f) { this.f = f; } dispose() {} static from() { return new Disposable(); } }
let model;
const core = { version: '3.10.1', hostVersion: '4', Disposable, registerFunction: (m) => { names.push(m.name); return new Disposable(); }, registerHook: () => new Disposable(), setProgrammingModel: (m) => { model = m; }, getProgrammingModel: () => model, log() {} };
const original = Module.prototype.require;
Module.prototype.require = function (id) { return id === '@azure/functions-core' ? core : original.call(this, id); };
const pkg = require(require('node:path').join(process.argv[1], 'package.json'));
const exported = require(require('node:path').join(process.argv[1], pkg.main));
process.stdout.write(JSON.stringify({ codeCache: exported.codeCache, functions: names.sort() }));
process.exit(0);
`;
  const sample = JSON.parse(readFileSync(path.join(root, 'local.settings.sample.json'), 'utf8')) as {
    Values: Record<string, string>;
  };
  const child = spawnSync(process.execPath, ['-e', probe, dir], {
    cwd: dir,
    env: { PATH: process.env.PATH, ...sample.Values },
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as { codeCache: string; functions: string[] };
}

describe('the deploy package', () => {
  before(() => {
    const build = spawnSync(
      process.execPath,
      [
        path.join(root, 'scripts', 'build-deploy-package.mjs'),
        '--out',
        packageDir,
        '--metafile',
        metafilePath,
        '--quiet',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    assert.equal(build.status, 0, `npm run package failed:\n${build.stdout}\n${build.stderr}`);
  });

  test('holds exactly the bundle, its code cache, the loader, package.json, host.json and the lazily loaded packages (AI SDK, storage, identity)', () => {
    const lazy = [
      ...['fal', 'gateway', 'google', 'replicate', 'xai'].map((name) => `@ai-sdk/${name}`),
      '@azure/storage-blob',
      '@azure/identity',
    ].flatMap((name) => [
      'node_modules',
      `node_modules/${name.split('/')[0]}`,
      `node_modules/${name}`,
      `node_modules/${name}/index.mjs`,
      `node_modules/${name}/package.json`,
    ]);
    assert.deepEqual(
      readdirSync(packageDir, { recursive: true }).map(String).sort(),
      [...new Set(['app.cache', 'app.js', 'host.json', 'index.js', 'package.json', ...lazy])].sort(),
    );
  });

  test('app.js leaves the AI SDK, storage and identity packages out (imported on first use from their own bundles)', () => {
    const metafile = JSON.parse(readFileSync(metafilePath, 'utf8')) as Metafile;
    const bundled = new Set(Object.keys(metafile.inputs).map(npmPackageOf));
    for (const name of [
      '@ai-sdk/google',
      '@ai-sdk/xai',
      '@ai-sdk/gateway',
      '@ai-sdk/fal',
      '@ai-sdk/replicate',
      '@azure/storage-blob',
      '@azure/identity',
    ]) {
      assert.equal(bundled.has(name), false, `${name} is not in app.js`);
      assert.match(
        readFileSync(path.join(packageDir, 'app.js'), 'utf8'),
        new RegExp(`import\\("${name}"\\)`),
      );
    }
  });

  test('its package.json points at the bundle and has nothing to install or run', () => {
    const pkg = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as PackageJson;
    assert.equal(pkg.main, 'index.js');
    assert.equal(pkg.name, repoPackage.name);
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'scripts'] as const)
      assert.equal(pkg[field], undefined, field);
  });

  test("its host.json is the repository's", () => {
    assert.deepEqual(
      JSON.parse(readFileSync(path.join(packageDir, 'host.json'), 'utf8')),
      JSON.parse(readFileSync(path.join(root, 'host.json'), 'utf8')),
    );
  });

  test('the bundle contains app code and its runtime dependencies only: no Functions CLI, emulator or test code, no devDependency', () => {
    const metafile = JSON.parse(readFileSync(metafilePath, 'utf8')) as Metafile;
    const inputs = Object.keys(metafile.inputs);
    assert.ok(
      inputs.some((input) => input.endsWith('src/index.ts')),
      'the entry point is bundled',
    );
    assert.ok(
      inputs.some((input) => npmPackageOf(input) === 'durable-functions'),
      'its dependencies are bundled',
    );
    assert.deepEqual(packageProblems(metafile), []);
  });

  test('the build refuses to empty a folder outside dist/ and the temp folder', () => {
    // Folders that do not exist: a broken check must not be able to empty anything real.
    const outs = [
      path.join(root, 'refused-deploy-package'),
      path.join(root, 'src', 'refused-deploy-package'),
      path.join(path.parse(root).root, 'refused-deploy-package'),
    ];
    try {
      for (const out of outs) {
        const refused = spawnSync(
          process.execPath,
          [path.join(root, 'scripts', 'build-deploy-package.mjs'), '--out', out, '--quiet'],
          { cwd: root, encoding: 'utf8' },
        );
        assert.equal(refused.status, 2, `${out}: ${refused.stderr}`);
        assert.match(refused.stderr, /Refusing to write the package/);
        assert.equal(existsSync(out), false, `${out} was created`);
      }
    } finally {
      for (const out of outs) rmSync(out, { recursive: true, force: true });
    }
  });

  test('the check above catches a forbidden package and non-app code (so its pass means something)', () => {
    const bad = {
      inputs: {
        'node_modules/azurite/dist/src/blob/main.js': {},
        'node_modules/@azure/data-tables/dist/index.js': {},
        'emulators/providers/server.ts': {},
        'test/support/http.ts': {},
        'src/index.ts': {},
      },
    };
    assert.equal(packageProblems(bad).length, 4, packageProblems(bad).join('\n'));
  });

  test("the bundle and the loader need nothing at run time but Node built-ins and the worker's @azure/functions-core", () => {
    const bundle = readFileSync(path.join(packageDir, 'app.js'), 'utf8');
    const required = new Set([...bundle.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]));
    assert.ok(required.has('@azure/functions-core'), 'the worker API stays external');
    for (const id of required)
      assert.ok(
        isBuiltin(id) || id === '@azure/functions-core',
        `the bundle requires ${id}, which is not in the package`,
      );
    const loader = readFileSync(path.join(packageDir, 'index.js'), 'utf8');
    for (const [, id] of loader.matchAll(/\brequire\('([^']+)'\)/g))
      assert.ok(isBuiltin(id), `the loader requires ${id}`);
  });

  test('V8 accepts the code cache; without a usable one the app loads the same, compiled as usual', () => {
    const withCache = loadPackage(packageDir);
    assert.equal(withCache.codeCache, 'accepted');
    assert.ok(withCache.functions.includes('videosStart'), withCache.functions.join(', '));
    const copy = path.join(scratch, 'package-bad-cache');
    cpSync(packageDir, copy, { recursive: true });
    const cache = readFileSync(path.join(copy, 'app.cache'));
    cache.fill(7, 16, 64); // a cache from another V8 (or damaged) fails V8's checks
    writeFileSync(path.join(copy, 'app.cache'), cache);
    const rejected = loadPackage(copy);
    assert.equal(rejected.codeCache, 'rejected');
    assert.deepEqual(rejected.functions, withCache.functions);
    rmSync(path.join(copy, 'app.cache'));
    const missing = loadPackage(copy);
    assert.equal(missing.codeCache, 'missing');
    assert.deepEqual(missing.functions, withCache.functions);
  });

  // Issue item: the code cache held the absolute path of the folder the build ran in.
  test('no file names the build machine: its folders appear nowhere, and the cache serves any folder', () => {
    const machinePaths = [packageDir, scratch, root, realpathSync(scratch)];
    // Every file, the lazily loaded packages' bundles below node_modules/ too.
    const files = readdirSync(packageDir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(packageDir, path.join(entry.parentPath, entry.name)));
    for (const file of files) {
      const bytes = readFileSync(path.join(packageDir, file));
      for (const machinePath of machinePaths)
        assert.equal(bytes.includes(machinePath), false, `${file} contains ${machinePath}`);
    }
    const moved = path.join(scratch, 'elsewhere', 'wwwroot');
    mkdirSync(path.dirname(moved), { recursive: true });
    cpSync(packageDir, moved, { recursive: true });
    assert.equal(loadPackage(moved).codeCache, 'accepted', 'the cache still applies in another folder');
  });
});

describe('the Node host serves a video from the deploy package', () => {
  let azurite: RunningAzurite;
  let emulator: RunningProviderEmulator;
  let host: RunningHost | undefined;

  before(async () => {
    // The package is built by the suite above (same file, run first); build again if run alone.
    if (!readdirSync(scratch).includes('package')) {
      const build = spawnSync(
        process.execPath,
        [path.join(root, 'scripts', 'build-deploy-package.mjs'), '--out', packageDir, '--quiet'],
        { cwd: root, encoding: 'utf8' },
      );
      assert.equal(build.status, 0, build.stderr);
    }
    const sample = JSON.parse(readFileSync(path.join(root, 'local.settings.sample.json'), 'utf8')) as {
      Values: Record<string, string>;
    };
    azurite = await startAzurite();
    emulator = await startProviderEmulator({
      port: 0,
      apiKey: sample.Values.AZURE_OPENAI_API_KEY,
      timeScale: 0.05,
    });
    // The sample's settings as `npm start` hands them over: local storage → this Azurite, the
    // emulator's fixed address → this emulator (every provider it serves shares that origin).
    const emulatorOrigin = new URL(sample.Values.AZURE_OPENAI_ENDPOINT).origin;
    const env = Object.fromEntries(
      Object.entries(sample.Values).map(([name, value]) => [
        name,
        /UseDevelopmentStorage=true/i.test(value)
          ? azurite.connectionString
          : value.startsWith(emulatorOrigin)
            ? emulator.url + value.slice(emulatorOrigin.length)
            : value,
      ]),
    );
    // The app hands out status and callback URLs under PUBLIC_BASE_URL: make it this host's.
    const port = await freePort();
    env.PUBLIC_BASE_URL = `http://127.0.0.1:${port}`;
    host = await startHost({ appDir: packageDir, port, store: 'azure', env, quiet: true });
  });

  after(async () => {
    await host?.stop().catch(() => undefined);
    await emulator?.stop();
    await azurite?.stop();
  });

  /** POSTs a body and follows GET /api/videos/{id} until the request finishes; checks the MP4. */
  async function generate(body: Record<string, unknown>): Promise<void> {
    assert.ok(host);
    const started = await call(`${host.url}/api/videos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(started.status, 202, started.text);
    const id = started.body.id as string;
    const status = await eventually(
      `${id} ended`,
      () => call(`${host!.url}/api/videos/${id}`),
      (answer) => ['completed', 'failed', 'cancelled'].includes(answer.body?.phase),
      { timeoutMs: 120_000, everyMs: 250 },
    );
    assert.equal(status.body?.phase, 'completed', `${JSON.stringify(body)}: ${status.text}`);
    const video = (status.body.videos as Array<{ url: string; bytes: number }>)[0];
    const download = await fetch(video.url);
    assert.equal(download.status, 200);
    const bytes = Buffer.from(await download.arrayBuffer());
    assert.equal(bytes.length, video.bytes);
    assert.equal(bytes.subarray(4, 8).toString('latin1'), 'ftyp', 'an MP4');
  }

  test('POST /api/videos {"prompt"} completes, and the video can be downloaded', async () => {
    await generate({ prompt: 'A cat playing piano in a jazz bar.' });
  });

  test('every provider the sample settings configure works from the bundle', async () => {
    assert.ok(host);
    const listed = await call(`${host.url}/api/providers`);
    assert.equal(listed.status, 200, listed.text);
    const providers = ((listed.body?.providers ?? listed.body) as Array<{ name: string }>).map((p) => p.name);
    assert.ok(providers.length >= 2, `providers: ${listed.text}`);
    for (const provider of providers)
      await generate({ prompt: `A lighthouse at dusk, by ${provider}.`, provider });
  });

  test('GET /api/gallery from the bundle is the page of src/gallery/ (inlined at build), under the same CSP hashes', async () => {
    assert.ok(host);
    const answer = await call(`${host.url}/api/gallery`);
    assert.equal(answer.status, 200);
    const page = loadGalleryPage();
    assert.equal(answer.text, page.html);
    const csp = answer.headers.get('content-security-policy') ?? '';
    assert.ok(
      csp.includes(`script-src ${page.scriptHash}`) && csp.includes(`style-src ${page.styleHash}`),
      csp,
    );
  });

  test('GET /api/openapi.json from the bundle is the document of src/functions/openapi.ts (its module imported on this first request)', async () => {
    assert.ok(host);
    const answer = await call(`${host.url}/api/openapi.json`);
    assert.equal(answer.status, 200, answer.text);
    const listed = await call(`${host.url}/api/providers`);
    const providerNames = ((listed.body?.providers ?? listed.body) as Array<{ name: string }>).map(
      (p) => p.name,
    );
    const expected = buildOpenApiDocument({ publicBaseUrl: undefined, providerNames }) as Record<
      string,
      unknown
    >;
    const { servers: _servers, ...served } = answer.body as Record<string, unknown>;
    const { servers: _expectedServers, ...rest } = expected;
    assert.deepEqual(served, JSON.parse(JSON.stringify(rest)));
  });

  test('the host ran the app from the package folder (its working directory is the app directory, as on Azure)', () => {
    assert.ok(host?.process.pid);
    assert.equal(realpathSync(`/proc/${host.process.pid}/cwd`), realpathSync(packageDir));
    assert.match(host.output(), /videosStart/);
  });
});
