#!/usr/bin/env node
// The gallery page's own files: src/gallery/*.html, *.css and *.js (the page, its style, its
// browser script), which src/gallery/page.ts reads once when the app loads. tsc copies none of
// them, so `npm run build` runs this script to put them beside the compiled page.js
// (dist/src/gallery/); the deploy package has them inlined instead (build-deploy-package.mjs
// imports galleryFiles()).
//
//   node scripts/gallery-files.mjs     copies them into dist/src/gallery/
import { copyFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const source = path.join(root, 'src', 'gallery');

/** The names of the page's files in src/gallery/ (its TypeScript and tsconfig.json are not among them). */
export function galleryFileNames() {
  return readdirSync(source)
    .filter((name) => /\.(html|css|js)$/.test(name))
    .sort();
}

/** Each of the page's files by name, with its text. */
export function galleryFiles() {
  return Object.fromEntries(
    galleryFileNames().map((name) => [name, readFileSync(path.join(source, name), 'utf8')]),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const target = path.join(root, 'dist', 'src', 'gallery');
  mkdirSync(target, { recursive: true });
  for (const name of galleryFileNames()) copyFileSync(path.join(source, name), path.join(target, name));
}
