// GET /api/gallery: one page to type a prompt, pick a provider's model and its choices, and
// watch the requests (phase, progress, thumbnails, playable videos, cancel, failure reasons).
// The page holds no data: it calls the API from the browser, sending the function key the user
// gives it (Azure), or none (locally). Everything it needs is in this one response, so it
// works offline; the CSP allows only this page's own script and style (by hash), calls to this
// app, and media from the read links (the storage account, another origin).
import { createHash } from 'node:crypto';
import type { HttpResponseInit } from '@azure/functions';
import { GALLERY_SCRIPT } from './gallery-script.js';

const STYLE = `
:root { color-scheme: light dark; --accent: #0b63c5; --muted: #5b6470; --bad: #b3261e; font-family: system-ui, sans-serif; line-height: 1.4; }
@media (prefers-color-scheme: dark) { :root { --accent: #7cb7ff; --muted: #a9b1bb; --bad: #ff8a80; } }
[hidden] { display: none !important; }
body { margin: 0 auto; max-width: 72rem; padding: 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
h2 { font-size: 1.15rem; margin: 1.25rem 0 .5rem; }
form { display: grid; gap: .5rem; }
label { font-weight: 600; }
textarea, select, input, button { font: inherit; padding: .45rem .6rem; border-radius: .4rem; border: 1px solid var(--muted); }
textarea { width: 100%; box-sizing: border-box; resize: vertical; }
.choices { display: grid; gap: .5rem; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); }
.choices div { display: grid; gap: .2rem; }
button { cursor: pointer; background: var(--accent); color: Canvas; border-color: var(--accent); font-weight: 600; justify-self: start; }
button:disabled, button[aria-disabled=true] { opacity: .6; cursor: default; }
button.secondary, .cancel { background: transparent; color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
[aria-invalid=true] { border-color: var(--bad); }
#videos { list-style: none; padding: 0; display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(16rem, 1fr)); }
.card { border: 1px solid color-mix(in srgb, var(--muted) 40%, transparent); border-radius: .6rem; padding: .75rem; display: grid; gap: .35rem; align-content: start; }
.card p { margin: 0; overflow-wrap: anywhere; }
.media { display: grid; gap: .4rem; }
video { width: 100%; border-radius: .4rem; background: #000; }
.meta, .upstream { color: var(--muted); font-size: .9rem; }
.phase { font-weight: 600; }
.phase-completed { color: green; } .phase-failed, .error { color: var(--bad); } .phase-cancelled { color: var(--muted); }
progress { width: 100%; }
.note { color: var(--muted); font-size: .9rem; margin: 0; }
`;

const BODY = `
<header>
  <h1>Video gallery</h1>
  <p class="note">Type a prompt, pick a model and what it offers, and watch it being made.
  <button type="button" id="forget-key" class="secondary" hidden>Forget key</button></p>
</header>
<main>
  <form id="key-form" hidden aria-labelledby="key-heading">
    <h2 id="key-heading">Function key</h2>
    <p id="key-message" class="note" role="alert"></p>
    <label for="key">Function key of this app</label>
    <input id="key" name="key" type="password" autocomplete="off" spellcheck="false">
    <p class="note">Kept for this browser tab only, and sent to this app only.</p>
    <button type="submit">Use key</button>
  </form>
  <section aria-labelledby="new-heading">
    <h2 id="new-heading">New video</h2>
    <form id="create">
      <label for="prompt">Prompt</label>
      <textarea id="prompt" name="prompt" rows="3" maxlength="4000" required placeholder="A cat playing piano in a jazz bar."></textarea>
      <div class="choices">
        <div><label for="provider">Provider</label><select id="provider" name="provider"></select></div>
        <div><label for="model">Model</label><select id="model" name="model"></select></div>
        <div><label for="seconds">Duration</label><select id="seconds" name="seconds"></select></div>
        <div><label for="size">Size</label><select id="size" name="size"></select></div>
      </div>
      <button type="submit" disabled>Generate</button>
      <p id="form-status" role="status" aria-live="polite"></p>
    </form>
  </section>
  <section aria-labelledby="list-heading">
    <h2 id="list-heading">Requests</h2>
    <p id="list-status" role="status" aria-live="polite"></p>
    <ul id="videos" aria-labelledby="list-heading"></ul>
    <button type="button" id="more" class="secondary" hidden>Load older requests</button>
  </section>
</main>
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export const GALLERY_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Video gallery</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>${BODY}<script>${GALLERY_SCRIPT}</script>
</body>
</html>
`;

/** Only this page's own script and style run; API calls go to this app; media may come from the storage account's read links. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${sha256(GALLERY_SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  'img-src https: http: data:',
  'media-src https: http:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function createGallery() {
  return {
    async page(): Promise<HttpResponseInit> {
      return {
        status: 200,
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': CONTENT_SECURITY_POLICY,
          'x-content-type-options': 'nosniff',
          // Read links carry a SAS token; no page the gallery links to learns its address either.
          'referrer-policy': 'no-referrer',
          'cache-control': 'no-cache',
        },
        body: GALLERY_HTML,
      };
    },
  };
}
