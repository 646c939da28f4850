#!/usr/bin/env node
// Builds the folder `azd deploy` ships to the Function App (azure.yaml `dist`): only what the
// app runs, so Azure installs nothing and the worker loads one file at cold start.
//
//   node scripts/build-deploy-package.mjs [--out dist/package] [--minify] [--quiet] [--metafile FILE]
//   npm run package
//
// The folder holds:
//   index.js      src/index.ts and every module it imports, bundled by esbuild (CommonJS,
//                 platform node, target node22). `@azure/functions-core` stays external: the
//                 Functions Node worker injects it (a require hook), it is not on npm.
//   package.json  name, version, `main: index.js`; no dependencies (nothing left to install)
//   host.json     the repository's, unchanged
// and nothing else: no node_modules, no sources, no tests, no emulators, no settings files.
// Prints the folder, its size and its files (one per line) unless --quiet.
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');

/** Modules the bundle must not contain: the worker provides them at run time. */
export const external = ['@azure/functions-core'];

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: path.join('dist', 'package') },
    minify: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    // esbuild's metafile (every bundled module), written outside the package for inspection.
    metafile: { type: 'string' },
  },
});

const outDir = path.resolve(root, values.out);
// Never delete something that is not a build output of ours.
if (outDir === root || !outDir.startsWith(root + path.sep) && !outDir.startsWith(path.resolve(process.env.TMPDIR ?? '/tmp') + path.sep)) {
  console.error(`Refusing to write the package to ${outDir}: choose a folder inside the repository or the temp folder.`);
  process.exit(2);
}
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: [path.join(root, 'src', 'index.ts')],
  outfile: path.join(outDir, 'index.js'),
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
  define: { 'import.meta.url': '__bundleFileUrl' },
  legalComments: 'eof',
  logLevel: 'warning',
  metafile: true,
});

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
writeFileSync(path.join(outDir, 'package.json'), `${JSON.stringify({
  name: pkg.name,
  version: pkg.version,
  private: true,
  description: `${pkg.name}: the deployable bundle (built by scripts/build-deploy-package.mjs)`,
  license: pkg.license,
  main: 'index.js',
  engines: pkg.engines,
}, null, 2)}\n`);
cpSync(path.join(root, 'host.json'), path.join(outDir, 'host.json'));

/** Every file below dir, relative, sorted. */
function listFiles(dir, prefix = '') {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(prefix, entry.name);
    return entry.isDirectory() ? listFiles(path.join(dir, entry.name), relative) : [relative];
  }).sort();
}

if (values.metafile) writeFileSync(path.resolve(values.metafile), JSON.stringify(result.metafile));

if (!values.quiet) {
  const files = listFiles(outDir);
  const bytes = files.reduce((sum, file) => sum + statSync(path.join(outDir, file)).size, 0);
  const inputs = Object.keys(result.metafile.inputs);
  const packages = new Set(inputs.flatMap((input) => {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    return match ? [match[1]] : [];
  }));
  console.log(`Deploy package: ${path.relative(root, outDir) || outDir} (${(bytes / 1024).toFixed(0)} KiB, ${files.length} files; ${inputs.length} modules from ${packages.size} npm packages bundled)`);
  for (const file of files) console.log(`  ${file}`);
}
