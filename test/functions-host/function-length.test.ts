// Keeps the emulators readable: no function (declaration, method, arrow or expression,
// nested ones counted on their own and inside their parent) longer than MAX_LINES lines,
// measured with the TypeScript compiler's own parser; and the durable engine, which the
// client operations, sub-orchestrations and failure handling were split out of, no longer
// than MAX_ENGINE_LINES lines (as formatted by prettier).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import ts from 'typescript';

const root = path.resolve(__dirname, '..', '..');
const MAX_LINES = 120;
const ENGINE = 'emulators/functions-host/durable/engine.ts';
const MAX_ENGINE_LINES = 400;

interface FunctionLength {
  name: string;
  file: string;
  line: number;
  lines: number;
}

function nameOf(node: ts.Node, source: ts.SourceFile): string {
  const named = (n: ts.Node | undefined) =>
    n && (ts.isIdentifier(n) || ts.isPrivateIdentifier(n) || ts.isStringLiteral(n)) ? n.text : undefined;
  const own =
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isAccessor(node)
      ? named(node.name)
      : undefined;
  const fromParent =
    ts.isVariableDeclaration(node.parent) ||
    ts.isPropertyAssignment(node.parent) ||
    ts.isPropertyDeclaration(node.parent)
      ? named(node.parent.name)
      : undefined;
  const name =
    own ??
    fromParent ??
    (ts.isConstructorDeclaration(node)
      ? 'constructor'
      : `<anonymous at line ${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}>`);
  const owner = ts.isClassLike(node.parent) ? node.parent.name?.text : undefined;
  return owner ? `${owner}.${name}` : name;
}

/** Every function-like node of one source text, with its length in lines (first to last, inclusive). */
export function functionLengths(file: string, text: string): FunctionLength[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: FunctionLength[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({ name: nameOf(node, source), file, line: first + 1, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Lines of a text as an editor numbers them (a final newline ends the last line, it opens none). */
export function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

function sourceFiles(folder: string): string[] {
  return readdirSync(path.join(root, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts|cts)$/.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

describe('function length in emulators/', () => {
  test('the checker measures what it should: a long method, a nested arrow, a short function', () => {
    const body = Array.from({ length: 125 }, (_, i) => `    const v${i} = ${i};`).join('\n');
    const text = `class Engine {\n  run(): void {\n${body}\n    const inner = () => {\n      return 1;\n    };\n  }\n}\nfunction small() {\n  return 2;\n}\n`;
    const lengths = functionLengths('example.ts', text);
    assert.deepEqual(
      lengths.map((f) => [f.name, f.line, f.lines]),
      [
        ['Engine.run', 2, 130],
        ['inner', 128, 3],
        ['small', 133, 3],
      ],
    );
  });

  test(`no function in emulators/ is longer than ${MAX_LINES} lines`, () => {
    const files = sourceFiles('emulators');
    assert.ok(
      files.some((file) => file.startsWith('emulators/functions-host/durable/')),
      'the functions host is among the files checked',
    );
    assert.ok(
      files.some((file) => file.startsWith('emulators/providers/fal/')),
      'the provider emulator is among the files checked',
    );
    const tooLong = files
      .flatMap((file) => functionLengths(file, readFileSync(path.join(root, file), 'utf8')))
      .filter((f) => f.lines > MAX_LINES)
      .map((f) => `${f.file}:${f.line} ${f.name} (${f.lines} lines)`);
    assert.deepEqual(tooLong, []);
  });

  test('the line counter counts what an editor shows', () => {
    assert.deepEqual(['', 'a', 'a\n', 'a\nb', 'a\nb\n', '\n\n'].map(lineCount), [0, 1, 1, 2, 2, 2]);
  });

  test(`${ENGINE} is at most ${MAX_ENGINE_LINES} lines`, () => {
    const lines = lineCount(readFileSync(path.join(root, ENGINE), 'utf8'));
    assert.ok(lines <= MAX_ENGINE_LINES, `${ENGINE} has ${lines} lines`);
  });
});
