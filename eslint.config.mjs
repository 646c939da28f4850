// Lint rules that guard the project's architecture, not its formatting:
// 1. Orchestrator code must be deterministic (it is replayed by Durable Functions).
// 2. The app and its local stand-ins never import each other (a shared bug would pass both).
// 3. The pipeline (orchestrations, activities, HTTP functions) names no provider: it sees the
//    adapter interface and the registry, never a provider's own folder.
// 4. Only the HTTP layer imports src/functions/: activities, orchestrations and the domain below
//    HTTP (requests/, status/, storage/, callbacks/) never do, not even for a type.
// 5. A provider folder imports only the adapter interface, capabilities, providers/http/,
//    errors.ts and src/images/ (and its settings' types from config.ts); azure-openai may reuse
//    openai-videos, never the reverse, and no other folder another's.
// 6. The CLI is a client of the API: it imports only types from src/.
import globals from 'globals';
import tseslint from 'typescript-eslint';

const sourceFiles = ['**/*.ts', '**/*.mts', '**/*.cts'];

/** Orchestrators replay from history: anything that reads the clock, randomness, the
 * environment or does I/O gives a different answer on replay and corrupts the instance.
 * docs/durable-orchestrator-constraints.md lists the constraints and the rule for each. */
const nonDeterministic = [
  {
    selector: "NewExpression[callee.name='Date'][arguments.length=0]",
    message: 'Orchestrators read time from context.df.currentUtcDateTime, never new Date().',
  },
  {
    selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
    message: 'Orchestrators read time from context.df.currentUtcDateTime, never Date.now().',
  },
  {
    selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
    message:
      'Orchestrators must be deterministic: no Math.random(); use context.df.newGuid() or pass values in.',
  },
  {
    selector: "CallExpression[callee.property.name='randomUUID']",
    message: 'Orchestrators must be deterministic: use context.df.newGuid().',
  },
  {
    selector: "MemberExpression[object.name='process']",
    message: 'Orchestrators must not read process.*: settings reach them through the orchestration input.',
  },
  {
    selector: 'CallExpression[callee.name=/^(setTimeout|setInterval|setImmediate|queueMicrotask|fetch)$/]',
    message: 'Orchestrators wait with context.df.createTimer and do I/O only through activities.',
  },
  {
    selector: 'AwaitExpression',
    message: 'Orchestrators yield durable tasks; awaiting a promise breaks replay.',
  },
];

/** Provider folders (src/providers/<kind>/…); the interface, registry and capability files beside them are fine. */
const providerFolders = {
  group: ['**/providers/*/**', '**/providers/*/'],
  message:
    'The pipeline names no provider: use the VideoProvider interface and the registry (src/providers/provider.ts, registry.ts).',
};
/** The gallery page's script (src/gallery/gallery.js) is plain browser JavaScript, sent inline: it
 * may use the browser's globals only, and sets caller text (prompts, provider messages) as
 * text, never as HTML. Its types are checked by src/gallery/tsconfig.json. */
const galleryScript = {
  files: ['src/gallery/**/*.js'],
  languageOptions: { ecmaVersion: 2022, sourceType: 'script', globals: { ...globals.browser } },
  linterOptions: { reportUnusedDisableDirectives: 'error' },
  rules: {
    'no-undef': 'error',
    'no-unused-vars': 'error',
    'no-implicit-globals': 'error',
    'no-shadow': 'error',
    'no-var': 'error',
    'prefer-const': 'error',
    eqeqeq: 'error',
    strict: ['error', 'global'],
    'no-restricted-properties': [
      'error',
      ...['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'write', 'writeln'].map((property) => ({
        property,
        message:
          'The gallery sets text as text (textContent, el()): caller data must never be parsed as HTML.',
      })),
    ],
    'no-restricted-syntax': [
      'error',
      {
        selector: "CallExpression[callee.name='eval'], NewExpression[callee.name='Function']",
        message: "The page's CSP allows no eval.",
      },
    ],
  },
};
const noEmulators = {
  group: ['**/emulators/**', '**/emulators'],
  message: 'The app must not depend on its local stand-ins.',
};
/** A relative import of src/functions/ (never '@azure/functions', the package). */
const noHttpLayer = {
  regex: '^(\\.\\./)+functions(/|$)',
  message:
    'Only the HTTP layer imports src/functions/: activities, orchestrations, requests/, status/, storage/ and callbacks/ sit below it.',
};

/** What a file in src/providers/<folder>/ may import from outside its folder (imports are
 * relative: `../x` is beside the folders, `../../x` is in src/). `siblings` names the other
 * provider folders it may reuse. */
function providerFolderImports(siblings = []) {
  const message =
    'A provider folder imports only the adapter interface (../provider.js), ../capabilities.js, ../http/, ../../errors.js, ../../azure-credential.js and ../../images/; azure-openai may reuse openai-videos, never the reverse.';
  const allowedBeside = [
    'provider\\.js$',
    'capabilities\\.js$',
    'http/',
    ...siblings.map((folder) => `${folder}/`),
    '\\.\\./',
  ].join('|');
  return [
    noEmulators,
    { regex: `^\\.\\./(?!${allowedBeside})`, message },
    { regex: '^\\.\\./\\.\\./(?!errors\\.js$|config\\.js$|azure-credential\\.js$|images/)', message },
    {
      regex: '^\\.\\./\\.\\./config\\.js$',
      allowTypeImports: true,
      message: 'An adapter is handed its settings: import only their types from config.ts.',
    },
  ];
}

const fixedSleep =
  'A fixed sleep in a test: wait for a positive signal with eventually() from test/support/eventually.ts.';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'test/fixtures/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  // The one plain-JS file we write, linted as what it is: a browser script.
  { ignores: ['!src/gallery/**/*.js'] },
  galleryScript,
  {
    files: sourceFiles,
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/emulators/**', '**/emulators'],
              message: 'The app must not depend on its local stand-ins.',
            },
          ],
        },
      ],
    },
  },
  {
    // The CLI is a client of the API (it starts the app in a host, or calls a deployed one):
    // from src/ it takes types only, so nothing of the app runs inside the CLI's process.
    files: ['cli/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+src(/|$)',
              allowTypeImports: true,
              message: 'The CLI imports only types from src/: it is a client of the API.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/functions/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [noEmulators, providerFolders] }],
    },
  },
  {
    files: [
      'src/activities/**/*.ts',
      'src/requests/**/*.ts',
      'src/status/**/*.ts',
      'src/storage/**/*.ts',
      'src/callbacks/**/*.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [noEmulators, providerFolders, noHttpLayer] },
      ],
    },
  },
  {
    files: ['src/providers/*/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: providerFolderImports() }],
    },
  },
  {
    files: ['src/providers/azure-openai/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: providerFolderImports(['openai-videos']) },
      ],
    },
  },
  {
    files: ['emulators/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../src/**', '../../src/**', '../../../src/**', '../../../../src/**'],
              message:
                'Emulators implement the contracts on their own; importing the app would let one bug pass both sides.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests wait for a positive signal (a status, a counter, a log line, a stats field) through
    // test/support/eventually.ts, never for a fixed time: a sleep is too short on a loaded machine
    // and proves nothing when it asserts that nothing happened. A wait that is the point of a test
    // (keeping storage away for longer than the SDK retries) says so in an eslint-disable comment.
    files: ['test/**/*.ts'],
    ignores: ['test/support/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "NewExpression[callee.name='Promise'] > ArrowFunctionExpression > CallExpression[callee.name='setTimeout']",
          message: fixedSleep,
        },
      ],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'node:timers/promises', importNames: ['setTimeout'], message: fixedSleep },
            { name: 'timers/promises', importNames: ['setTimeout'], message: fixedSleep },
          ],
        },
      ],
    },
  },
  {
    files: ['src/orchestrations/**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...nonDeterministic],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'http', 'https', 'crypto', 'os', 'child_process', 'net'],
              message: 'Orchestrators do no I/O: call an activity.',
            },
            {
              group: ['@azure/storage-blob', '@azure/identity', '@azure/data-tables', 'openai'],
              message: 'Orchestrators do no I/O: call an activity.',
            },
            noEmulators,
            providerFolders,
            noHttpLayer,
            {
              group: ['../activities/**', '../providers/*.js', '../storage/**', '../config', '../config.js'],
              allowTypeImports: true,
              message: 'Orchestrators may import only the types of activities, clients and settings.',
            },
          ],
        },
      ],
    },
  },
);
