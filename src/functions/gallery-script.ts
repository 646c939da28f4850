// The gallery page's script, sent inline (and allowed by its hash in the page's CSP). Plain
// browser JavaScript, no framework and nothing fetched from elsewhere: it must work offline.
// Everything it shows comes from the API through the same calls any client makes
// (GET /api/providers, GET/POST /api/videos, DELETE /api/videos/{id}), with the function key
// the user gave, kept in sessionStorage for this tab only. Text is only ever set as text
// (textContent), never parsed as HTML: prompts and provider messages are caller data.
export const GALLERY_SCRIPT = String.raw`
'use strict';
(() => {
  const KEY_ITEM = 'functionsKey';
  // Every 2 s while something runs; every 15 s otherwise, only to pick up requests made elsewhere.
  const POLL_MS = 2000;
  const IDLE_POLL_MS = 15000;
  const FINISHED = new Set(['completed', 'failed', 'cancelled']);
  const base = new URL('./', location.href);
  const $ = (id) => document.getElementById(id);
  const form = $('create'), keyForm = $('key-form'), list = $('videos');
  const controls = { prompt: $('prompt'), provider: $('provider'), model: $('model'), seconds: $('seconds'), size: $('size') };
  let providers = [];
  let pollTimer;
  let running = true;
  let continuationToken;
  const cards = new Map();

  class NeedsKey extends Error {}

  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of children || []) if (child) node.append(child);
    return node;
  }

  async function api(path, init) {
    const key = sessionStorage.getItem(KEY_ITEM);
    const headers = Object.assign({}, (init && init.headers) || {}, key ? { 'x-functions-key': key } : {});
    const response = await fetch(new URL(path, base), Object.assign({}, init, { headers }));
    if (response.status === 401 || response.status === 403) throw new NeedsKey();
    const text = await response.text();
    let body;
    try { body = text ? JSON.parse(text) : undefined; } catch { body = undefined; }
    return { status: response.status, body, text };
  }

  function askForKey(message) {
    keyForm.hidden = false;
    $('key-message').textContent = message;
    $('key').focus();
  }

  function problemText(answer) {
    const body = answer.body;
    return body && body.detail ? body.detail : 'HTTP ' + answer.status + (answer.text ? ': ' + answer.text.slice(0, 200) : '');
  }

  function option(value, label, selected) {
    return el('option', { value: String(value), textContent: label, selected });
  }

  function fill(select, values, selected, label) {
    select.replaceChildren(...values.map((value) => option(value, label ? label(value) : String(value), value === selected)));
  }

  function selectedProvider() {
    return providers.find((p) => p.name === controls.provider.value) || providers[0];
  }

  function showModel() {
    const provider = selectedProvider();
    const model = provider.models.find((m) => m.id === controls.model.value) || provider.models[0];
    fill(controls.seconds, model.seconds, model.defaultSeconds, (s) => s + ' s');
    fill(controls.size, model.sizes, model.defaultSize);
  }

  function showProvider() {
    const provider = selectedProvider();
    fill(controls.model, provider.models.map((m) => m.id), provider.models[0].id);
    showModel();
  }

  async function loadProviders() {
    const answer = await api('providers');
    if (answer.status !== 200 || !Array.isArray(answer.body)) throw new Error('Could not load the providers: ' + problemText(answer));
    providers = answer.body;
    const preferred = (providers.find((p) => p.default) || providers[0]).name;
    fill(controls.provider, providers.map((p) => p.name), preferred);
    showProvider();
    form.querySelector('button[type=submit]').disabled = false;
  }

  function describeUpstream(video) {
    const up = video.upstream || {};
    const parts = [];
    if (up.status) parts.push((up.provider || 'provider') + ': ' + up.status);
    if (up.queuePosition !== undefined) parts.push('queue position ' + up.queuePosition);
    if (up.progress !== undefined) parts.push(Math.round(up.progress) + '%');
    return parts.join(' · ');
  }

  function renderMedia(card, video) {
    if (card.media || video.phase !== 'completed' || !video.videos) return;
    // Created once: re-rendering would restart playback on every poll.
    card.media = el('div', { className: 'media' }, video.videos.map((stored, index) => {
      const player = el('video', { controls: true, preload: 'metadata', src: stored.url || '', playsInline: true });
      if (stored.thumbnail && stored.thumbnail.url) player.poster = stored.thumbnail.url;
      player.setAttribute('aria-label', 'Video ' + (index + 1) + ': ' + (video.request ? video.request.prompt : video.id));
      return player;
    }));
    card.node.insertBefore(card.media, card.node.firstChild);
  }

  function render(video) {
    let card = cards.get(video.id);
    if (!card) {
      card = { node: el('li', { className: 'card' }) };
      card.prompt = el('p', { className: 'prompt' });
      card.meta = el('p', { className: 'meta' });
      card.phase = el('p', { className: 'phase' });
      card.progress = el('progress', { max: 100 });
      card.upstream = el('p', { className: 'upstream' });
      card.error = el('p', { className: 'error' });
      card.cancel = el('button', { type: 'button', className: 'cancel', textContent: 'Cancel' });
      card.cancel.addEventListener('click', () => cancel(video.id, card));
      card.node.append(card.prompt, card.meta, card.phase, card.progress, card.upstream, card.error, card.cancel);
      cards.set(video.id, card);
    }
    const asked = video.request;
    card.node.dataset.id = video.id;
    card.node.dataset.phase = video.phase;
    card.prompt.textContent = asked ? asked.prompt : video.id;
    card.meta.textContent = asked ? asked.provider + ' · ' + asked.model + ' · ' + asked.seconds + ' s · ' + asked.size : '';
    card.phase.textContent = video.phase;
    card.phase.className = 'phase phase-' + video.phase;
    const progress = video.upstream && video.upstream.progress;
    card.progress.hidden = progress === undefined || FINISHED.has(video.phase);
    if (progress !== undefined) {
      card.progress.value = progress;
      card.progress.textContent = Math.round(progress) + '%';
      card.progress.setAttribute('aria-label', 'Progress ' + Math.round(progress) + '%');
    }
    card.upstream.textContent = FINISHED.has(video.phase) ? '' : describeUpstream(video);
    card.error.textContent = video.phase === 'failed' ? 'Failed: ' + (video.error || 'unknown reason') : '';
    const running = !FINISHED.has(video.phase);
    if (!running && card.cancel.isConnected) {
      // Keep keyboard users on the card they were on rather than losing focus with the button.
      const hadFocus = document.activeElement === card.cancel;
      card.cancel.remove();
      if (hadFocus) { card.node.tabIndex = -1; card.node.focus(); }
    }
    if (asked) card.cancel.setAttribute('aria-label', 'Cancel: ' + asked.prompt);
    renderMedia(card, video);
    return card;
  }

  /** Older pages go below what is shown. */
  function append(items) {
    for (const video of items) {
      const card = render(video);
      if (!card.node.isConnected) list.append(card.node);
    }
  }

  async function refresh() {
    const answer = await api('videos?limit=' + Math.max(20, Math.min(100, cards.size)));
    if (answer.status !== 200) throw new Error('Could not load the requests: ' + problemText(answer));
    const items = answer.body.items;
    // Newest first: new requests go on top, in the order the API gives.
    for (let i = items.length - 1; i >= 0; i--) {
      const card = render(items[i]);
      if (!card.node.isConnected) list.insertBefore(card.node, list.firstChild);
    }
    if (continuationToken === undefined && cards.size === items.length) continuationToken = answer.body.continuationToken;
    $('more').hidden = !continuationToken;
    $('list-status').textContent = cards.size === 0 ? 'No requests yet.' : '';
    return items.some((video) => !FINISHED.has(video.phase));
  }

  async function loadMore() {
    if (!continuationToken) return;
    const answer = await api('videos?limit=20&continuationToken=' + encodeURIComponent(continuationToken));
    if (answer.status !== 200) throw new Error(problemText(answer));
    append(answer.body.items);
    continuationToken = answer.body.continuationToken;
    $('more').hidden = !continuationToken;
  }

  function schedule() {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(() => { void poll(); }, running ? POLL_MS : IDLE_POLL_MS);
  }

  async function poll() {
    try {
      if (document.visibilityState !== 'hidden') running = await refresh();
    } catch (error) {
      report(error, $('list-status'));
      // Without a valid key every poll would be refused: wait for the user to give one.
      if (error instanceof NeedsKey) return;
    }
    schedule();
  }

  async function cancel(id, card) {
    // Not disabled (a disabled button drops keyboard focus): marked busy, and a second press waits.
    if (card.cancel.getAttribute('aria-disabled') === 'true') return;
    card.cancel.setAttribute('aria-disabled', 'true');
    try {
      const answer = await api('videos/' + encodeURIComponent(id), { method: 'DELETE' });
      if (answer.status !== 202 && answer.status !== 409) $('list-status').textContent = 'Could not cancel: ' + problemText(answer);
      await refresh();
    } catch (error) {
      report(error, $('list-status'));
    } finally {
      card.cancel.removeAttribute('aria-disabled');
    }
  }

  function clearInvalid() {
    for (const control of Object.values(controls)) control.removeAttribute('aria-invalid');
  }

  async function submit(event) {
    event.preventDefault();
    clearInvalid();
    const status = $('form-status');
    const body = {
      prompt: controls.prompt.value,
      provider: controls.provider.value,
      model: controls.model.value,
      seconds: Number(controls.seconds.value),
      size: controls.size.value,
    };
    status.textContent = 'Starting…';
    try {
      const answer = await api('videos', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (answer.status === 202) {
        status.textContent = 'Started: ' + answer.body.id;
        running = await refresh();
        schedule();
        return;
      }
      status.textContent = 'Not started: ' + problemText(answer);
      const errors = (answer.body && answer.body.errors) || [];
      const named = errors.map((e) => controls[e.field]).filter(Boolean);
      for (const control of named) control.setAttribute('aria-invalid', 'true');
      if (named[0]) named[0].focus();
    } catch (error) {
      report(error, status);
    }
  }

  function report(error, where) {
    if (error instanceof NeedsKey) {
      askForKey(sessionStorage.getItem(KEY_ITEM) ? 'That key was refused. Enter a function key of this app.' : 'This app needs a function key.');
      return;
    }
    where.textContent = String(error && error.message ? error.message : error);
  }

  async function start(afterKey) {
    $('forget-key').hidden = !sessionStorage.getItem(KEY_ITEM);
    try {
      await loadProviders();
      keyForm.hidden = true;
      // The key form is gone: take the user on to where they were going.
      if (afterKey) controls.prompt.focus();
      running = await refresh();
    } catch (error) {
      report(error, $('list-status'));
      return;
    }
    schedule();
  }

  keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('key').value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_ITEM, key);
    $('key').value = '';
    void start(true);
  });
  $('forget-key').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_ITEM);
    $('forget-key').hidden = true;
    askForKey('Key forgotten. Enter a function key to continue.');
  });
  // Back to a hidden tab: show the news at once rather than at the next tick.
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible' && providers.length > 0) void poll(); });
  controls.provider.addEventListener('change', showProvider);
  controls.model.addEventListener('change', showModel);
  form.addEventListener('submit', (event) => { void submit(event); });
  $('more').addEventListener('click', () => { loadMore().catch((error) => report(error, $('list-status'))); });
  void start();
})();
`;
