// The deploy docs (README.md's deploy section, infra/README.md) and the Bicep parameters agree:
// every parameter is documented with the azd environment value that feeds it, and every
// `azd env set NAME` the docs tell a user to run reaches a parameter. And the repository's
// documents point only inside it: every relative link in a Markdown file, and every `*.md` path a
// source file names (repo-relative, e.g. docs/providers/fal.md#webhooks), resolves to a file and
// heading here; nothing points at notes kept outside the repository (../shared/…).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { providerNames } from '../../src/config.js';

const root = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

const mainBicep = read('infra/main.bicep');
const bicepParams = [...mainBicep.matchAll(/^param (\w+) /gm)].map((m) => m[1]);
const mapping = (
  JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, { value: string }> }
).parameters;
/** azd environment value → the parameter it feeds. */
const envToParam = new Map(
  Object.entries(mapping).flatMap(([param, { value }]) => {
    const env = /^\$\{(\w+)(=.*)?\}$/.exec(value)?.[1];
    return env ? [[env, param] as const] : [];
  }),
);

const readme = read('README.md');
const deploySection = readme.slice(
  readme.indexOf('<!-- deploy:start -->'),
  readme.indexOf('<!-- deploy:end -->'),
);
const infraReadme = read('infra/README.md');

/** NAME in each `azd env set NAME` of a text. */
const envSets = (text: string) =>
  new Set([...text.matchAll(/azd env set(?:-secret)? ([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]));

/** The infra/README.md parameters table: parameter names (column 1) → azd values (column 2). */
function parameterTable(): Map<string, string[]> {
  const section = infraReadme.slice(
    infraReadme.indexOf('## Parameters'),
    infraReadme.indexOf('\n## ', infraReadme.indexOf('## Parameters') + 1),
  );
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells.length < 4 || cells[0] === 'parameter' || /^-+$/.test(cells[0])) continue;
    const envs = [...cells[1].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]);
    for (const [i, name] of [...cells[0].matchAll(/`(\w+)`/g)].map((m) => m[1]).entries())
      rows.set(name, envs.length > 1 ? [envs[i]] : envs);
  }
  return rows;
}

describe('deploy docs and parameters', () => {
  test('the deploy section exists and infra/README.md has a parameters table', () => {
    assert.ok(deploySection.length > 200, 'README.md has <!-- deploy:start --> … <!-- deploy:end -->');
    assert.ok(parameterTable().size > 5);
  });

  test('infra/README.md documents every main.bicep parameter, and only those', () => {
    assert.deepEqual([...parameterTable().keys()].sort(), [...bicepParams].sort());
  });

  test('each documented azd value is the one main.parameters.json maps to that parameter', () => {
    for (const [param, envs] of parameterTable()) {
      const mapped = /^\$\{(\w+)/.exec(mapping[param]?.value ?? '')?.[1];
      assert.deepEqual(
        envs,
        mapped ? [mapped] : [],
        `${param}: documented ${envs.join(', ') || 'no value'}, mapped ${mapped ?? 'none'}`,
      );
    }
  });

  for (const [name, text] of [
    ['README.md deploy section', deploySection],
    ['infra/README.md', infraReadme],
  ] as const) {
    test(`every \`azd env set\` in ${name} feeds a parameter`, () => {
      const sets = envSets(text);
      assert.ok(sets.size > 0, `${name} tells how to set values`);
      for (const env of sets)
        assert.ok(
          envToParam.has(env),
          `${name}: azd env set ${env} reaches no parameter (main.parameters.json maps ${[...envToParam.keys()].join(', ')})`,
        );
    });

    test(`${name} says how to pick each provider and set each provider credential`, () => {
      for (const provider of providerNames)
        assert.match(text, new RegExp(`\\| \`${provider}\` \\|`), `${name}: a row for ${provider}`);
      const sets = envSets(text);
      for (const env of [
        'VIDEO_PROVIDER',
        'FAL_KEY',
        'REPLICATE_API_TOKEN',
        'OPENAI_API_KEY',
        'EXISTING_OPENAI_ENDPOINT',
      ])
        assert.ok(sets.has(env), `${name}: azd env set ${env}`);
    });
  }

  test('the check above would catch a value that reaches no parameter', () => {
    assert.equal(envToParam.has('FAL_API_KEY'), false);
    assert.deepEqual([...envSets('azd env set FAL_API_KEY x')], ['FAL_API_KEY']);
  });
});

/** Folders that hold no document of ours: dependencies, build output, local data. */
const notOurs = new Set(['node_modules', 'dist']);

/** Repo-relative paths (with `/`) of the files under `dir` whose name `keep` accepts. */
function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    if (entry.name.startsWith('.') || notOurs.has(entry.name)) return [];
    const file = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(file, keep);
    return keep(entry.name) ? [file] : [];
  });
}

const markdownFiles = filesUnder('.', (name) => name.endsWith('.md'));
/** Every source file but this one, whose examples of bad paths are meant to fail. */
const sourceFiles = filesUnder('.', (name) => /\.(ts|mts|cts|js|mjs|cjs|bicep|html|css)$/.test(name)).filter(
  (file) => file !== 'test/infra/docs.test.ts',
);

/** Markdown text without fenced code blocks and inline code, where nothing is a link. */
const proseOf = (markdown: string) => markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');

/** GitHub's anchor for a heading: lower case, punctuation dropped, each space a hyphen. */
const anchorOf = (heading: string) =>
  heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** The anchors of a Markdown file's headings (a repeated heading gets -1, -2, … as on GitHub). */
function anchorsIn(file: string): Set<string> {
  const text = readFileSync(path.join(root, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of text.matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$/gm)) {
    const anchor = anchorOf(heading);
    const count = seen.get(anchor) ?? 0;
    seen.set(anchor, count + 1);
    anchors.add(count === 0 ? anchor : `${anchor}-${count}`);
  }
  return anchors;
}

/** Why `target` (a link written in `fromDir`, a repo-relative folder) does not resolve, if it does not. */
function linkProblem(fromDir: string, target: string, fromFile?: string): string | undefined {
  const [pathPart, anchor] = target.split('#', 2);
  const file = pathPart ? path.posix.normalize(path.posix.join(fromDir, decodeURI(pathPart))) : fromFile;
  if (file === undefined) return 'no file to look the heading up in';
  if (file === '..' || file.startsWith('../') || path.posix.isAbsolute(file))
    return 'points outside the repository';
  if (!existsSync(path.join(root, file))) return `${file} does not exist`;
  if (
    anchor &&
    file.endsWith('.md') &&
    statSync(path.join(root, file)).isFile() &&
    !anchorsIn(file).has(anchor)
  )
    return `${file} has no heading #${anchor}`;
  return undefined;
}

/** The link targets of a Markdown text (inline links and reference definitions), web addresses left out. */
function linksIn(markdown: string): string[] {
  const prose = proseOf(markdown);
  const targets = [
    ...[...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]),
    ...[...prose.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1]),
  ];
  return targets.filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** The `*.md` paths (with any #anchor) a source file names. */
const markdownPathsIn = (source: string) =>
  [...source.matchAll(/(?<![\w/.-])((?:[\w.-]+\/)*[\w-]+\.md(?:#[\w-]+)?)(?![\w/])/g)].map((m) => m[1]);

/** A path into notes kept beside the repository rather than in it. */
const outsideNotes = /(?:^|[^\w.])(?:\.\.)?\/shared\/(?:docs|specs)\b/;

describe('links and pointers stay inside the repository', () => {
  test('the scan finds the documents and sources it checks', () => {
    for (const file of ['README.md', 'docs/README.md', 'infra/README.md', 'emulators/providers/README.md'])
      assert.ok(markdownFiles.includes(file), `${file} is scanned`);
    assert.ok(sourceFiles.includes('src/providers/fal/webhook.ts'));
    assert.ok(!markdownFiles.some((file) => file.includes('node_modules/')));
  });

  for (const file of markdownFiles)
    test(`every relative link in ${file} resolves to a file and heading`, () => {
      const dir = path.posix.dirname(file);
      const problems = linksIn(read(file)).flatMap((target) => {
        const problem = linkProblem(dir, target, file);
        return problem ? [`${target}: ${problem}`] : [];
      });
      assert.deepEqual(problems, []);
    });

  test('every *.md path a source file names resolves from the repository root', () => {
    const problems = sourceFiles.flatMap((file) =>
      markdownPathsIn(read(file)).flatMap((target) => {
        const problem = linkProblem('.', target);
        return problem ? [`${file}: ${target}: ${problem}`] : [];
      }),
    );
    assert.deepEqual(problems, []);
  });

  test('no source file or document points at notes outside the repository', () => {
    const offenders = [...sourceFiles, ...markdownFiles].filter((file) => outsideNotes.test(read(file)));
    assert.deepEqual(offenders, []);
  });

  test('the checks above would catch a missing file, a missing heading and a path outside', () => {
    assert.equal(anchorOf('Run the local stack: `npm start`'), 'run-the-local-stack-npm-start');
    assert.equal(
      anchorOf("Polling policy against the quickstart's fixed 5 s loop"),
      'polling-policy-against-the-quickstarts-fixed-5-s-loop',
    );
    assert.equal(linkProblem('.', 'docs/providers/fal.md#webhooks'), undefined);
    assert.match(linkProblem('.', 'docs/providers/nowhere.md') ?? '', /does not exist/);
    assert.match(linkProblem('.', 'docs/providers/fal.md#no-such-section') ?? '', /no heading/);
    assert.match(linkProblem('emulators/providers', '../../../shared/docs/fal.md') ?? '', /outside/);
    assert.match(linkProblem('.', '#nowhere', 'README.md') ?? '', /no heading/);
    assert.deepEqual(linksIn('[a](x.md#y) `[b](not-a-link.md)` [c](https://example.com)\n[d]: z.md'), [
      'x.md#y',
      'z.md',
    ]);
    assert.deepEqual(
      markdownPathsIn('// see docs/providers/fal.md#cancel and README.md, not https://example.com/docs/x.md'),
      ['docs/providers/fal.md#cancel', 'README.md'],
    );
    assert.ok(outsideNotes.test('// written from ../shared/docs/sora-api.md'));
    assert.ok(outsideNotes.test('see /shared/specs/x.json'));
    assert.ok(!outsideNotes.test('shared-key access is off; providers/http/ is shared'));
  });
});
