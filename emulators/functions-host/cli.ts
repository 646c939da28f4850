// npm run functions-host -- [--app DIR] [--port N] [--store azure|memory] [--require-keys] [--max-request-body-bytes N] [--quiet] [--verbose]
// Runs a v4 Node Functions app (with Durable Functions) the way `func start` does.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AppLoadError } from './app-files.js';
import { runHost } from './host.js';

const usage =
  'usage: npm run functions-host -- [--app DIR] [--port N] [--store azure|memory] [--require-keys] [--max-request-body-bytes N] [--quiet] [--verbose]';

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      app: { type: 'string', default: path.resolve(__dirname, '..', '..') },
      port: { type: 'string', default: '7071' },
      store: { type: 'string', default: 'azure' },
      'require-keys': { type: 'boolean', default: false },
      'max-request-body-bytes': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
} catch (error) {
  fail(`${(error as Error).message}\n${usage}`);
}
const { values } = parsed;
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535)
  fail(`--port must be 0-65535, got "${values.port}"\n${usage}`);
if (values.store !== 'azure' && values.store !== 'memory')
  fail(`--store must be azure or memory, got "${values.store}"\n${usage}`);

const maxBody =
  values['max-request-body-bytes'] === undefined ? undefined : Number(values['max-request-body-bytes']);
if (maxBody !== undefined && (!Number.isInteger(maxBody) || maxBody < 1))
  fail(`--max-request-body-bytes must be a positive integer\n${usage}`);

runHost({
  appDir: path.resolve(values.app),
  port,
  store: values.store,
  requireKeys: values['require-keys'],
  maxRequestBodyBytes: maxBody,
  quiet: values.quiet,
  verbose: values.verbose,
}).then(
  (host) => {
    const shutdown = () => {
      host.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  },
  (error: unknown) => {
    if (error instanceof AppLoadError) console.error(`Error: ${error.message}`);
    else console.error(`Error: the host failed to start: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);
