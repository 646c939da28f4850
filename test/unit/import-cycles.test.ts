// src/ has no import cycle, type-only imports included: modules that import each other cannot
// be read, tested or moved one at a time, and a cycle is how a layer starts to lean on the one
// above it. The imports are read with TypeScript's own parser (static, `import type`,
// `export … from`, dynamic import()), so nothing here is a guess from regular expressions.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import ts from 'typescript';

const root = path.resolve(__dirname, '..', '..');
const srcDir = path.join(root, 'src');

/** Every .ts file below `dir`. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The relative module specifiers a file imports or re-exports, type-only ones included. */
function importedSpecifiers(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((imported) => imported.fileName).filter((name) => name.startsWith('.'));
}

/** `./x.js` → the x.ts beside the importer (NodeNext spells .ts modules with .js). */
function resolve(from: string, specifier: string): string {
  return path.resolve(path.dirname(from), specifier.replace(/\.js$/, '.ts'));
}

/** Module → the modules it imports, for every file below src/. */
function importGraph(files: string[]): Map<string, string[]> {
  const known = new Set(files);
  return new Map(
    files.map((file) => [
      file,
      importedSpecifiers(file)
        .map((specifier) => resolve(file, specifier))
        .filter((target) => known.has(target)),
    ]),
  );
}

/** Each cycle as the strongly connected components of more than one module, or a module
 * importing itself (Tarjan's algorithm). */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

describe('import cycles', () => {
  test('the detector finds a cycle through a type-only import, and none in a chain', () => {
    assert.deepEqual(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
      [['a', 'b', 'c']],
    );
    assert.deepEqual(findCycles(new Map([['a', ['a']]])), [['a']]);
    assert.deepEqual(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
      [],
    );
    // The parser sees `import type` and `export … from` as imports too.
    const specifiers = ts
      .preProcessFile(
        "import type { A } from './a.js';\nexport { B } from './b.js';\nconst c = await import('./c.js');",
        true,
        true,
      )
      .importedFiles.map((f) => f.fileName);
    assert.deepEqual(specifiers, ['./a.js', './b.js', './c.js']);
  });

  test('src/ imports form no cycle', () => {
    const files = sourceFiles(srcDir);
    const graph = importGraph(files);
    assert.ok(
      files.length > 20 && [...graph.values()].some((targets) => targets.length > 0),
      'the walk found src/ and its imports',
    );
    const cycles = findCycles(graph).map((cycle) =>
      cycle.map((file) => path.relative(root, file)).join(' ↔ '),
    );
    assert.deepEqual(cycles, [], `import cycles in src/:\n${cycles.join('\n')}`);
  });
});
