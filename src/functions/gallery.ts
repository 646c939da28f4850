// GET /api/gallery: one page to type a prompt, pick a provider's model and its choices, and
// watch the requests (phase, progress, thumbnails, playable videos, cancel, failure reasons).
// The page holds no data: it calls the API from the browser, sending the function key the user
// gives it (Azure), or none (locally). Everything it needs is in this one response, so it
// works offline; the CSP allows only this page's own script and style (by hash), calls to this
// app, and media from the read links (the storage account, another origin). The page's files
// (HTML, CSS, type-checked JS) are in src/gallery/.
import type { HttpResponseInit } from '@azure/functions';
import { loadGalleryPage, type GalleryPage } from '../gallery/page.js';

/** Only this page's own script and style run; API calls go to this app; media may come from the
 * storage account's read links; blob: only for the preview of a start image the user chose (an
 * object URL of their own file). A pasted image link is shown as text, never loaded by the page. */
const contentSecurityPolicy = (page: GalleryPage) =>
  [
    "default-src 'none'",
    `script-src ${page.scriptHash}`,
    `style-src ${page.styleHash}`,
    "connect-src 'self'",
    'img-src https: http: data: blob:',
    'media-src https: http:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

export function createGallery() {
  // Read, inlined and hashed once per app load (src/gallery/page.ts), not per request.
  const page = loadGalleryPage();
  const csp = contentSecurityPolicy(page);
  return {
    async page(): Promise<HttpResponseInit> {
      return {
        status: 200,
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': csp,
          'x-content-type-options': 'nosniff',
          // Read links carry a SAS token; no page the gallery links to learns its address either.
          'referrer-policy': 'no-referrer',
          'cache-control': 'no-cache',
        },
        body: page.html,
      };
    },
  };
}
