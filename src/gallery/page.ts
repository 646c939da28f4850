// The gallery page as one self-contained response: gallery.html with gallery.css and gallery.js
// put inline in place of the two tags that name them, and the hashes by which the page's
// Content-Security-Policy lets exactly that style and that script run (no 'unsafe-inline').
//
// The three files are read once, when the app loads: from beside this module (`npm run build`
// copies them there, scripts/gallery-files.mjs; tsx runs this file where they are), or, in the
// deploy package, from the bundle itself, where esbuild defines GALLERY_FILES_JSON as their text
// (scripts/build-deploy-package.mjs) so that the worker reads no file.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The page's files by name, as JSON; defined (esbuild `define`) only in the deploy package's bundle. */
declare const GALLERY_FILES_JSON: string | undefined;

export interface GalleryFiles {
  html: string;
  css: string;
  script: string;
}

export interface GalleryPage {
  html: string;
  /** CSP source expressions ('sha256-…') of the inline style and script. */
  styleHash: string;
  scriptHash: string;
}

/** The tags of gallery.html that inlinePage replaces (the file also opens on its own that way). */
export const STYLE_TAG = '<link rel="stylesheet" href="gallery.css" />';
export const SCRIPT_TAG = '<script src="gallery.js"></script>';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Replaces the one `tag` in `html` (by position: String.replace would read the script's `$'` and `$&` as patterns); anything else is a broken page, refused at load rather than served. */
function replaceOnce(html: string, tag: string, replacement: string): string {
  const at = html.indexOf(tag);
  if (at < 0 || html.indexOf(tag, at + 1) >= 0)
    throw new Error(`gallery.html must contain ${tag} exactly once`);
  return html.slice(0, at) + replacement + html.slice(at + tag.length);
}

/** The page with its style and script inline. Text that would end the element early is refused. */
export function inlinePage(files: GalleryFiles): GalleryPage {
  if (/<\/style/i.test(files.css)) throw new Error('gallery.css must not contain "</style"');
  if (/<\/script|<!--/i.test(files.script))
    throw new Error('gallery.js must not contain "</script" or "<!--"');
  const withStyle = replaceOnce(files.html, STYLE_TAG, `<style>${files.css}</style>`);
  const html = replaceOnce(withStyle, SCRIPT_TAG, `<script>${files.script}</script>`);
  return { html, styleHash: sha256(files.css), scriptHash: sha256(files.script) };
}

function readGalleryFile(name: string): string {
  if (typeof GALLERY_FILES_JSON === 'string') {
    const text = (JSON.parse(GALLERY_FILES_JSON) as Record<string, string | undefined>)[name];
    if (text === undefined) throw new Error(`The bundle has no ${name} of the gallery`);
    return text;
  }
  return readFileSync(path.join(__dirname, name), 'utf8');
}

/** Reads gallery.html, gallery.css and gallery.js and inlines them; call once per app load. */
export function loadGalleryPage(): GalleryPage {
  return inlinePage({
    html: readGalleryFile('gallery.html'),
    css: readGalleryFile('gallery.css'),
    script: readGalleryFile('gallery.js'),
  });
}
