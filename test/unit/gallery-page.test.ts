// The gallery page's files (src/gallery/): inlined into one page whose CSP hashes are those of
// exactly the inlined text, a broken page refused at load; its browser script is type-checked
// against the API's own types and linted as a browser script, and both checks fire.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { inlinePage, loadGalleryPage, SCRIPT_TAG, STYLE_TAG } from '../../src/gallery/page.js';

const root = path.resolve(__dirname, '..', '..');
const galleryDir = path.join(root, 'src', 'gallery');
const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
const html = `<!doctype html><head>${STYLE_TAG}</head><body><p>x</p>${SCRIPT_TAG}</body>`;

describe('inlining the gallery page', () => {
  test('puts the style and the script in place of their tags, hashed as inlined', () => {
    // `$&` and `$'` are replacement patterns to String.replace: they must arrive as written.
    const files = { html, css: 'p { color: red; }\n', script: "const $ = (s) => s; $('$&'); $(\"$'\");\n" };
    const page = inlinePage(files);
    assert.equal(
      page.html,
      `<!doctype html><head><style>${files.css}</style></head><body><p>x</p><script>${files.script}</script></body>`,
    );
    assert.equal(page.styleHash, hash(files.css));
    assert.equal(page.scriptHash, hash(files.script));
  });

  test('refuses a page whose tags are missing or twice there, or whose text would end its element early', () => {
    const ok = { html, css: 'p {}', script: 'void 0;' };
    assert.throws(() => inlinePage({ ...ok, html: html.replace(SCRIPT_TAG, '') }), /exactly once/);
    assert.throws(
      () => inlinePage({ ...ok, html: html.replace(STYLE_TAG, STYLE_TAG + STYLE_TAG) }),
      /exactly once/,
    );
    assert.throws(() => inlinePage({ ...ok, script: 'const s = "</SCRIPT>";' }), /gallery\.js/);
    assert.throws(() => inlinePage({ ...ok, script: 'const s = "<!--";' }), /gallery\.js/);
    assert.throws(() => inlinePage({ ...ok, css: 'p {} </style><script>' }), /gallery\.css/);
  });

  test('the real page: gallery.html with gallery.css and gallery.js inline, no tag left that loads them', () => {
    const page = loadGalleryPage();
    const css = readFileSync(path.join(galleryDir, 'gallery.css'), 'utf8');
    const script = readFileSync(path.join(galleryDir, 'gallery.js'), 'utf8');
    assert.ok(page.html.includes(`<style>${css}</style>`));
    assert.ok(page.html.includes(`<script>${script}</script>`));
    assert.ok(!page.html.includes(STYLE_TAG) && !page.html.includes(SCRIPT_TAG));
    assert.deepEqual([page.styleHash, page.scriptHash], [hash(css), hash(script)]);
  });
});

describe('checking the gallery script', () => {
  const scriptPath = path.join(galleryDir, 'gallery.js');
  const script = readFileSync(scriptPath, 'utf8');

  /** Type errors of src/gallery/tsconfig.json's program, with gallery.js's text replaced by `text`. */
  function typeErrors(text: string): string[] {
    const configPath = path.join(galleryDir, 'tsconfig.json');
    const config = ts.getParsedCommandLineOfConfigFile(
      configPath,
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(String(d.messageText)) },
    );
    assert.ok(config);
    const host = ts.createCompilerHost(config.options);
    const readFile = host.readFile.bind(host);
    host.readFile = (file) => (path.resolve(file) === scriptPath ? text : readFile(file));
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (file, language, ...rest) =>
      path.resolve(file) === scriptPath
        ? ts.createSourceFile(file, text, language)
        : getSourceFile(file, language, ...rest);
    const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, host });
    assert.ok(
      config.fileNames.map((f) => path.resolve(f)).includes(scriptPath),
      'the tsconfig covers gallery.js',
    );
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }

  test("is type-checked against the API's types and the DOM: a misspelt field or a Node global fails", () => {
    assert.deepEqual(typeErrors(script), []);
    const misspelt = script.replace(
      'video.upstream && video.upstream.progress',
      'video.upstream && video.upstream.percent',
    );
    assert.notEqual(misspelt, script);
    assert.ok(
      typeErrors(misspelt).some((m) => m.includes("Property 'percent' does not exist")),
      'the API type is checked',
    );
    assert.ok(
      typeErrors(`${script}\nprocess.exit(1);\n`).some((m) => m.includes("Cannot find name 'process'")),
      'no Node types in a browser script',
    );
  });

  test('is linted as a browser script: no Node globals, no HTML parsing of text, no implicit globals', async () => {
    const eslint = new ESLint({ cwd: root });
    const lint = async (text: string) =>
      (await eslint.lintText(text, { filePath: scriptPath }))[0].messages.map(
        (m) => `${m.ruleId}: ${m.message}`,
      );
    assert.deepEqual(await lint(script), []);
    const rejected: Array<[string, string]> = [
      ['process.exit(1);', 'no-undef'],
      ['document.body.innerHTML = location.hash;', 'parsed as HTML'],
      ["document.body.insertAdjacentHTML('beforeend', location.hash);", 'parsed as HTML'],
      ['function leaked() {}', 'no-implicit-globals'],
      ['eval(location.hash);', 'no eval'],
    ];
    for (const [code, expected] of rejected) {
      const messages = await lint(`'use strict';\n${code}\n`);
      assert.ok(
        messages.some((m) => m.includes(expected)),
        `${code}: ${JSON.stringify(messages)}`,
      );
    }
    assert.deepEqual(
      await lint("'use strict';\ndocument.body.textContent = location.hash;\n"),
      [],
      'browser globals are known',
    );
  });
});
