// The deploy docs (README.md's deploy section, infra/README.md) and the Bicep parameters agree:
// every parameter is documented with the azd environment value that feeds it, and every
// `azd env set NAME` the docs tell a user to run reaches a parameter.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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
