// Parses Bicep offline with tree-sitter (no Bicep compiler can be installed here) and
// lists every syntax error the grammar finds.
import path from 'node:path';
import { Language, Parser, type Node } from 'web-tree-sitter';

let parser: Parser | undefined;

async function bicepParser(): Promise<Parser> {
  if (parser) return parser;
  await Parser.init();
  const wasm = path.join(
    path.dirname(require.resolve('tree-sitter-bicep/package.json')),
    'tree-sitter-bicep.wasm',
  );
  const language = await Language.load(wasm);
  parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/** Every ERROR or MISSING node, as "line:column kind text". Empty = the file parses. */
export async function bicepSyntaxErrors(source: string): Promise<string[]> {
  const tree = (await bicepParser()).parse(source);
  if (!tree) return ['parser returned no tree'];
  const problems: string[] = [];
  const visit = (node: Node) => {
    if (node.isError || node.isMissing) {
      problems.push(
        `${node.startPosition.row + 1}:${node.startPosition.column + 1} ${node.isMissing ? 'missing' : 'unexpected'} ${JSON.stringify(node.text.slice(0, 60))}`,
      );
    }
    if (node.hasError) for (const child of node.children) if (child) visit(child);
  };
  visit(tree.rootNode);
  return problems;
}
