// An esbuild plugin that defers chosen `require()` calls of bundled CommonJS libraries to first
// use, for libraries that load packages at their top level which app start-up never calls.
//
// durable-functions loads axios (which builds a fetch Request at load, so Node loads undici, and
// pulls form-data, mime-db, proxy agents and http2), validator (every locale's tables),
// lodash/cloneDeep, moment and @opentelemetry/api (44 modules, for the trace header a client
// sends) as soon as the app imports it, though only a durable client
// (per invocation) and orchestrations use them. Each line `const X = require("M");` named below
// becomes a proxy that requires M when X is first read or called; esbuild still bundles M
// (CommonJS modules in a bundle run on their first require). A listed line that is no longer
// there fails the build, so an upgrade of the library is noticed rather than silently slower.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** File (below node_modules) → the modules its top level requires but start-up does not use. */
export const deferredRequires = {
  'durable-functions/lib/src/durableClient/DurableClient.js': ['@opentelemetry/api', 'axios', 'validator'],
  'durable-functions/lib/src/durableClient/getClient.js': ['lodash/cloneDeep', 'validator'],
  'durable-functions/lib/src/orchestrations/DurableOrchestrationContext.js': ['moment'],
  'durable-functions/lib/src/task/CallHttpWithPollingTask.js': ['moment'],
  'durable-functions/lib/src/task/LongTimerTask.js': ['moment'],
  // Signing a callback or checking a Replicate webhook needs them, loading the app does not.
  'standardwebhooks/dist/index.js': ['@stablelib/base64', 'fast-sha256'],
};

// A function target, so a module that is itself a function (moment, cloneDeep) can be called.
const lazyModule = (id) =>
  `(() => { let m; const load = () => (m ??= require(${JSON.stringify(id)})); ` +
  `return new Proxy(function () {}, { get: (_, key) => load()[key], has: (_, key) => key in load(), ` +
  `apply: (_, self, args) => Reflect.apply(load(), self, args) }); })()`;

/** `source` with each `const X = require("id");` of `ids` deferred; throws if one is missing. */
export function deferRequires(source, ids, file) {
  let out = source;
  for (const id of ids) {
    const line = new RegExp(
      `^const (\\w+) = require\\(${JSON.stringify(id).replace(/[/.]/g, '\\$&')}\\);$`,
      'm',
    );
    const match = line.exec(out);
    if (!match)
      throw new Error(
        `${file}: no top-level \`const … = require("${id}");\` to defer (scripts/lazy-requires.mjs)`,
      );
    out = out.replace(line, `const ${match[1]} = ${lazyModule(id)};`);
  }
  return out;
}

export const lazyRequires = {
  name: 'lazy-requires',
  setup(builder) {
    const seen = new Set();
    builder.onLoad(
      { filter: /[\\/]node_modules[\\/](durable-functions|standardwebhooks)[\\/].*\.js$/ },
      async (args) => {
        const relative = args.path
          .split(`${path.sep}node_modules${path.sep}`)
          .pop()
          .split(path.sep)
          .join('/');
        const ids = deferredRequires[relative];
        if (!ids) return undefined;
        seen.add(relative);
        return { contents: deferRequires(await readFile(args.path, 'utf8'), ids, relative), loader: 'js' };
      },
    );
    builder.onEnd((result) => {
      if (result.errors.length > 0) return;
      const missing = Object.keys(deferredRequires).filter((file) => !seen.has(file));
      if (missing.length > 0)
        return { errors: missing.map((file) => ({ text: `lazy-requires: ${file} was not bundled` })) };
      return undefined;
    });
  },
};
