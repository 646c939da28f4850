#!/usr/bin/env node
// Builds the folder `azd deploy` ships to the Function App (azure.yaml `dist`): only what the
// app runs, so Azure installs nothing and the worker loads one file at cold start.
//
//   node scripts/build-deploy-package.mjs [--out dist/package] [--no-minify] [--quiet] [--metafile FILE]
//   npm run package
//
// The folder holds:
//   app.js        src/index.ts and every module it imports, bundled by esbuild (CommonJS,
//                 platform node, target node22, minified: the worker parses it at every cold
//                 start; names kept for stack traces). `@azure/functions-core` stays
//                 external: the Functions Node worker injects it (a require hook), not on npm.
//                 zod's message translations other than English are left out (below).
//                 The gallery page's files (src/gallery/*.html, *.css, *.js) are inlined as
//                 text (GALLERY_FILES_JSON, read by src/gallery/page.ts): nothing to read at start.
//                 ASCII only (non-ASCII in regular expressions escaped, scripts/ascii-only.mjs), so
//                 V8 holds it as a one-byte string.
//   app.cache     V8's code cache of app.js, made by loading the app once here (Node 22, as on
//                 Azure): V8 then neither parses nor compiles what app start-up runs.
//   index.js      `main`: runs app.js as a CommonJS module with that cache. V8 rejects a cache
//                 from another V8 version or flags; the app then compiles as without it.
//   node_modules/@ai-sdk/<name>/  each AI SDK provider package the `ai-sdk` kind loads on first
//                 use (src/providers/ai-sdk/packages.ts), bundled on its own (ESM, minified):
//                 kept out of app.js, so the worker neither parses nor runs it at cold start
//                 unless an instance uses it.
//   node_modules/@azure/storage-blob/, node_modules/@azure/identity/  the same for the video
//                 container's client and the managed identity's credential, imported on the
//                 first request that needs them (src/storage/blob-container.ts,
//                 src/azure-credential.ts): with the HTTP pipeline and MSAL under them they were
//                 half of app.js.
//   package.json  name, version, `main: index.js`; no dependencies (nothing left to install)
//   host.json     the repository's, unchanged
// and nothing else: no node_modules, no sources, no tests, no emulators, no settings files.
// Prints the folder, its size and its files (one per line) unless --quiet.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { asciiOnly } from './ascii-only.mjs';
import { galleryFiles } from './gallery-files.mjs';
import { lazyRequires } from './lazy-requires.mjs';

const root = path.resolve(import.meta.dirname, '..');

/** Packages the app imports only on first use (a dynamic import), each bundled on its own. */
export const lazyPackages = [
  '@ai-sdk/google',
  '@ai-sdk/xai',
  '@ai-sdk/gateway',
  '@ai-sdk/fal',
  '@ai-sdk/replicate',
  // The video container's client (src/storage/blob-container.ts) and the managed identity's
  // credential (src/azure-credential.ts): made on the first request, not at app load.
  '@azure/storage-blob',
  '@azure/identity',
];

/** Modules the bundle must not contain: the worker provides them at run time, or they are
 * bundled beside it (lazyPackages). */
export const external = ['@azure/functions-core', ...lazyPackages];

/**
 * zod re-exports every translation of its error messages (`z.locales`, ~370 KB of the bundle,
 * a twelfth of it) although only English is ever used: the app never calls
 * `z.config(z.locales.xx())` and zod registers English by itself (classic/schemas.js imports
 * locales/en.js directly). Resolve zod's locales index to English alone, so the worker parses
 * and runs none of the others at cold start.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(builder) {
    builder.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)) return undefined;
      return {
        path: path.join(path.dirname(args.importer), '..', 'locales', 'index.js'),
        namespace: 'zod-english-only',
      };
    });
    builder.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: 'export { default as en } from "./en.js";\n',
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

const { values } = parseArgs({
  allowNegative: true,
  options: {
    out: { type: 'string', default: path.join('dist', 'package') },
    // --no-minify for a readable bundle (e.g. to see which package a line comes from).
    minify: { type: 'boolean', default: true },
    quiet: { type: 'boolean', default: false },
    // esbuild's metafile (every bundled module), written outside the package for inspection.
    metafile: { type: 'string' },
  },
});

const outDir = path.resolve(root, values.out);
// The folder is emptied first: only ever one below dist/ (git-ignored build output) or the temp folder.
// (Inside the repository only below dist/, even when the repository itself is in the temp folder.)
const inRepository = outDir === root || outDir.startsWith(root + path.sep);
const allowed = inRepository ? [path.join(root, 'dist')] : [path.resolve(tmpdir()), realpathSync(tmpdir())];
if (!allowed.some((dir) => outDir.startsWith(dir + path.sep))) {
  console.error(
    `Refusing to write the package to ${outDir}: choose a folder below dist/ or the temp folder (it is emptied first).`,
  );
  process.exit(2);
}
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: [path.join(root, 'src', 'index.ts')],
  outfile: path.join(outDir, 'app.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  external,
  tsconfig: path.join(root, 'tsconfig.build.json'),
  minify: values.minify,
  // Keep function and class names: they appear in stack traces and error names (`ConfigError`).
  keepNames: true,
  // Packages whose ESM build esbuild picks (their `import` export condition) read
  // `import.meta.url` (@azure/storage-common's CRC64 module, @azure/identity's `open`); in a
  // CommonJS bundle that is the bundle's own file URL.
  banner: { js: 'const __bundleFileUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: {
    'import.meta.url': '__bundleFileUrl',
    GALLERY_FILES_JSON: JSON.stringify(JSON.stringify(galleryFiles())),
  },
  legalComments: 'eof',
  logLevel: 'warning',
  metafile: true,
  plugins: [zodEnglishOnly, lazyRequires],
});

// app.js as ASCII (scripts/ascii-only.mjs): a one-byte string for V8, read by Node's fast path.
{
  const file = path.join(outDir, 'app.js');
  const ascii = asciiOnly(readFileSync(file, 'utf8'));
  writeFileSync(file, ascii.code);
  if (ascii.left > 0) {
    console.warn(
      `app.js keeps ${ascii.left} non-ASCII characters (template literals?): it loads as a two-byte string, slower (scripts/ascii-only.mjs)`,
    );
  }
}

// Each lazily loaded package as its own ES module bundle, where import('<name>') from app.js
// finds it (node_modules beside it), with a package.json that names it.
for (const name of lazyPackages) {
  const dir = path.join(outDir, 'node_modules', ...name.split('/'));
  await build({
    absWorkingDir: root,
    stdin: { contents: `export * from '${name}';\n`, resolveDir: root, loader: 'js' },
    outfile: path.join(dir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: values.minify,
    keepNames: true,
    // For a CommonJS dependency's require() of a built-in, inside an ES module.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
    },
    legalComments: 'eof',
    logLevel: 'warning',
  });
  writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name, private: true, type: 'module', main: 'index.mjs', exports: './index.mjs' }, null, 2)}\n`,
  );
}

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
writeFileSync(
  path.join(outDir, 'package.json'),
  `${JSON.stringify(
    {
      name: pkg.name,
      version: pkg.version,
      private: true,
      description: `${pkg.name}: the deployable bundle (built by scripts/build-deploy-package.mjs)`,
      license: pkg.license,
      main: 'index.js',
      engines: pkg.engines,
    },
    null,
    2,
  )}\n`,
);
cpSync(path.join(root, 'host.json'), path.join(outDir, 'host.json'));

// `main`. Kept small and dependency-free: it is compiled without a cache at every cold start.
writeFileSync(
  path.join(outDir, 'index.js'),
  `// Generated by scripts/build-deploy-package.mjs: runs app.js (the app, bundled) as a CommonJS
// module with V8's code cache app.cache, so V8 skips parsing and compiling what start-up runs.
// Without a usable cache (another V8 version or flags) V8 compiles app.js as require() would.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const file = path.join(__dirname, 'app.js');
let cachedData;
try {
  cachedData = fs.readFileSync(path.join(__dirname, 'app.cache'));
} catch {
  cachedData = undefined;
}
const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), {
  filename: file,
  cachedData,
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
const app = new Module(file, module);
app.filename = file;
app.paths = Module._nodeModulePaths(__dirname);
// require() from app.js goes through Module.prototype.require, where the worker provides @azure/functions-core.
script.runInThisContext({ displayErrors: true }).call(app.exports, app.exports, Module.createRequire(file), app, file, __dirname);
app.loaded = true;
module.exports = { codeCache: cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'accepted' };
`,
);

// The code cache: load the app once, in a child process, as the worker would (the index.js
// above, @azure/functions-core provided by a require hook, the sample settings, which the app
// validates while loading), and keep V8's cache of app.js including every function start-up ran.
// The cache names no folder of the build machine (the script is compiled under the name app.js).
const sample = JSON.parse(readFileSync(path.join(root, 'local.settings.sample.json'), 'utf8'));
const cacheMaker = `
const fs = require('node:fs'), path = require('node:path'), vm = require('node:vm'), Module = require('node:module');
class Disposable { constructor(f) { this.f = f; } dispose() { const f = this.f; this.f = undefined; return f && f(); } static from(...d) { return new Disposable(() => d.forEach((x) => x.dispose())); } }
let model;
const core = { version: '3.10.1', hostVersion: '4', Disposable, registerFunction: () => new Disposable(() => {}), registerHook: () => new Disposable(() => {}), setProgrammingModel: (m) => { model = m; }, getProgrammingModel: () => model, log() {} };
const original = Module.prototype.require;
Module.prototype.require = function (id) { return id === '@azure/functions-core' ? core : original.call(this, id); };
const file = path.resolve(process.argv[1]);
// The script's name goes into the cache: a neutral one, not the folder this build ran in (V8
// checks the source, its version and flags, not the name, so the cache serves any folder).
const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: 'app.js', importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
const app = new Module(file, module);
app.filename = file;
app.paths = Module._nodeModulePaths(path.dirname(file));
script.runInThisContext().call(app.exports, app.exports, Module.createRequire(file), app, file, path.dirname(file));
fs.writeFileSync(path.join(path.dirname(file), 'app.cache'), script.createCachedData());
process.exit(0); // the app may hold timers or sockets open; only its load matters here
`;
const made = spawnSync(process.execPath, ['-e', cacheMaker, path.join(outDir, 'app.js')], {
  cwd: outDir,
  env: { PATH: process.env.PATH, ...sample.Values },
  encoding: 'utf8',
  timeout: 60_000,
});
if (made.status !== 0 || !existsSync(path.join(outDir, 'app.cache'))) {
  // The app failed to load with the sample settings: it would fail on Azure too, so stop here.
  console.error(
    `Loading the app to build its code cache failed; not deploying an app that does not load:\n${made.stderr}`,
  );
  process.exitCode = 1;
}

/** Every file below dir, relative, sorted. */
function listFiles(dir, prefix = '') {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const relative = path.join(prefix, entry.name);
      return entry.isDirectory() ? listFiles(path.join(dir, entry.name), relative) : [relative];
    })
    .sort();
}

if (values.metafile) writeFileSync(path.resolve(values.metafile), JSON.stringify(result.metafile));

if (!values.quiet) {
  const files = listFiles(outDir);
  const bytes = files.reduce((sum, file) => sum + statSync(path.join(outDir, file)).size, 0);
  const inputs = Object.keys(result.metafile.inputs);
  const packages = new Set(
    inputs.flatMap((input) => {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
      return match ? [match[1]] : [];
    }),
  );
  console.log(
    `Deploy package: ${path.relative(root, outDir) || outDir} (${(bytes / 1024).toFixed(0)} KiB, ${files.length} files; ${inputs.length} modules from ${packages.size} npm packages bundled; Node ${process.versions.node} made the code cache)`,
  );
  for (const file of files) console.log(`  ${file}`);
}
