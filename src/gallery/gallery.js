// @ts-check
// The gallery page's script (gallery.html), sent inline and allowed by its hash in the page's
// CSP (page.ts). Plain browser JavaScript, no framework and nothing fetched from elsewhere: it
// must work offline. Type-checked against the API's own response types (tsconfig.json here)
// and linted with browser globals only (eslint.config.mjs). Everything it shows comes from the
// API through the same calls any client makes (GET /api/providers, GET/POST /api/videos,
// DELETE /api/videos/{id} to cancel a running request or delete an ended one, after asking,
// POST /api/uploads for a start image file),
// with the function key the user gave, kept in sessionStorage for
// this tab only. Text is only ever set as text (textContent), never parsed as HTML: prompts
// and provider messages are caller data.

/** @typedef {import('../functions/api-schemas.js').ProviderView} ProviderView */
/** @typedef {import('../functions/api-schemas.js').VideoStatus} VideoStatus */
/** @typedef {import('../functions/api-schemas.js').VideoList} VideoList */
/** @typedef {import('../functions/api-schemas.js').VideoPhase} VideoPhase */
/** @typedef {import('../functions/api-schemas.js').Accepted} Accepted */
/** @typedef {import('../functions/api-schemas.js').Problem} Problem */
/** @typedef {import('../functions/api-schemas.js').UploadView} UploadView */
/** @typedef {ProviderView['models'][number]} ModelView */
/** @typedef {{ status: number, body: unknown, text: string }} Answer */
/**
 * One request's card in the list; its parts are updated in place at every poll.
 * @typedef {object} Card
 * @property {HTMLLIElement} node
 * @property {HTMLParagraphElement} prompt
 * @property {HTMLParagraphElement} meta
 * @property {HTMLParagraphElement} image the request's start image: its upload id or link, as text
 * @property {HTMLParagraphElement} phase
 * @property {HTMLProgressElement} progress
 * @property {HTMLParagraphElement} upstream
 * @property {HTMLParagraphElement} error
 * @property {HTMLButtonElement} action "Cancel" while the request runs, "Delete" once it has ended: DELETE does the one or the other (see cancel, remove)
 * @property {boolean} ended whether the request has ended, as last shown
 * @property {HTMLDivElement} [media]
 */

'use strict';
(() => {
  const KEY_ITEM = 'functionsKey';
  // Every 2 s while something runs; every 15 s otherwise, only to pick up requests made elsewhere.
  const POLL_MS = 2000;
  const IDLE_POLL_MS = 15000;
  /** @type {ReadonlySet<VideoPhase>} */
  const FINISHED = new Set(['completed', 'failed', 'cancelled']);
  const base = new URL('./', location.href);

  /**
   * The element of gallery.html the selector names, as the kind it is there.
   * @template {Element} T
   * @param {string} selector
   * @param {new () => T} kind
   * @returns {T}
   */
  function one(selector, kind) {
    const node = document.querySelector(selector);
    if (!(node instanceof kind)) throw new Error(`gallery.html has no ${kind.name} ${selector}`);
    return node;
  }

  const form = one('#create', HTMLFormElement),
    keyForm = one('#key-form', HTMLFormElement),
    list = one('#videos', HTMLUListElement);
  const generate = one('#create button[type=submit]', HTMLButtonElement);
  const keyInput = one('#key', HTMLInputElement),
    keyMessage = one('#key-message', HTMLParagraphElement),
    forgetKey = one('#forget-key', HTMLButtonElement);
  const formStatus = one('#form-status', HTMLParagraphElement),
    listStatus = one('#list-status', HTMLParagraphElement),
    more = one('#more', HTMLButtonElement);
  const confirmDialog = one('#confirm-delete', HTMLDialogElement),
    confirmPrompt = one('#confirm-prompt', HTMLParagraphElement),
    listHeading = one('#list-heading', HTMLHeadingElement);
  const controls = {
    prompt: one('#prompt', HTMLTextAreaElement),
    provider: one('#provider', HTMLSelectElement),
    model: one('#model', HTMLSelectElement),
    seconds: one('#seconds', HTMLSelectElement),
    size: one('#size', HTMLSelectElement),
  };
  const image = {
    field: one('#image-field', HTMLFieldSetElement),
    use: one('#image-use', HTMLParagraphElement),
    file: one('#image-file', HTMLInputElement),
    url: one('#image-url', HTMLInputElement),
    preview: one('#image-preview', HTMLDivElement),
    error: one('#image-error', HTMLParagraphElement),
  };
  /** What POST /api/uploads takes (src/functions/uploads-api.ts); checked here first only to say so sooner. */
  const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'];
  const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
  /** The preview's object URL of the chosen file, revoked when it is replaced. */
  /** @type {string | undefined} */
  let previewUrl;
  /** The control of each request body field, for the API's field errors (`errors[].field`). */
  /** @type {Map<string, HTMLElement>} */
  const controlOfField = new Map(Object.entries(controls));
  for (const field of ['image', 'image.uploadId']) controlOfField.set(field, image.file);
  controlOfField.set('image.url', image.url);
  /** @type {ProviderView[]} */
  let providers = [];
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let pollTimer;
  let running = true;
  /** @type {string | undefined} */
  let continuationToken;
  /** @type {Map<string, Card>} */
  const cards = new Map();
  /** Requests deleted from this page: a list answered before the DELETE must not bring them back. */
  /** @type {Set<string>} */
  const deleted = new Set();

  class NeedsKey extends Error {}

  /**
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {Partial<HTMLElementTagNameMap[K]>} [props]
   * @param {(Node | undefined)[]} [children]
   * @returns {HTMLElementTagNameMap[K]}
   */
  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    for (const child of children || []) if (child) node.append(child);
    return node;
  }

  /**
   * @param {string} path relative to /api/
   * @param {RequestInit} [init]
   * @returns {Promise<Answer>}
   */
  async function api(path, init) {
    const key = sessionStorage.getItem(KEY_ITEM);
    const headers = Object.assign({}, (init && init.headers) || {}, key ? { 'x-functions-key': key } : {});
    const response = await fetch(new URL(path, base), Object.assign({}, init, { headers }));
    if (response.status === 401 || response.status === 403) throw new NeedsKey();
    const text = await response.text();
    /** @type {unknown} */
    let body;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, body, text };
  }

  /** @param {string} message */
  function askForKey(message) {
    keyForm.hidden = false;
    keyMessage.textContent = message;
    keyInput.focus();
  }

  /** @param {Answer} answer */
  function problemText(answer) {
    const body = /** @type {Partial<Problem> | undefined} */ (answer.body);
    return body && body.detail
      ? body.detail
      : 'HTTP ' + answer.status + (answer.text ? ': ' + answer.text.slice(0, 200) : '');
  }

  /**
   * @param {string | number} value
   * @param {string} label
   * @param {boolean} selected
   */
  function option(value, label, selected) {
    return el('option', { value: String(value), textContent: label, selected });
  }

  /**
   * @template {string | number} V
   * @param {HTMLSelectElement} select
   * @param {V[]} values
   * @param {V} selected
   * @param {(value: V) => string} [label]
   */
  function fill(select, values, selected, label) {
    select.replaceChildren(
      ...values.map((value) => option(value, label ? label(value) : String(value), value === selected)),
    );
  }

  function selectedProvider() {
    return providers.find((p) => p.name === controls.provider.value) || providers[0];
  }

  /** @returns {ModelView} */
  function selectedModel() {
    const provider = selectedProvider();
    return provider.models.find((m) => m.id === controls.model.value) || provider.models[0];
  }

  function showModel() {
    const model = selectedModel();
    fill(controls.seconds, model.seconds, model.defaultSeconds, (s) => s + ' s');
    fill(controls.size, model.sizes, model.defaultSize);
    showImageUse(model);
  }

  /**
   * The start image's controls, as the model's capability row says (GET /api/providers): hidden
   * and disabled for a text-only model, offered for an optional one, asked for by a required one.
   * @param {ModelView} model
   */
  function showImageUse(model) {
    const use = model.image ? model.image.use : undefined;
    image.field.hidden = !use;
    image.field.disabled = !use;
    image.field.dataset.use = use || 'none';
    image.use.textContent =
      use === 'required'
        ? 'This model needs a start image: choose a file or give a link.'
        : use === 'optional'
          ? 'Optional: the video can start from an image.'
          : '';
    if (model.image && model.image.sizeRule === 'match-size')
      image.use.textContent += " The image's width and height must be the chosen size.";
    image.error.textContent = '';
  }

  /** @param {string} message */
  function imageError(message) {
    image.error.textContent = message;
  }

  /** The chosen file, checked for type and size; the link is cleared (one or the other is sent). */
  function chooseFile() {
    imageError('');
    image.file.removeAttribute('aria-invalid');
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = undefined;
    image.preview.replaceChildren();
    const file = image.file.files && image.file.files[0];
    if (!file) return;
    image.url.value = '';
    const problem = fileProblem(file);
    if (problem) {
      imageError(problem);
      image.file.setAttribute('aria-invalid', 'true');
      return;
    }
    // The page's own copy of the file (blob:, allowed by img-src): nothing is fetched from elsewhere.
    previewUrl = URL.createObjectURL(file);
    image.preview.append(
      el('img', { src: previewUrl, alt: 'Preview of ' + file.name }),
      el('p', { className: 'note', textContent: file.name + ' · ' + Math.ceil(file.size / 1024) + ' KiB' }),
    );
  }

  /**
   * @param {File} file
   * @returns {string | undefined}
   */
  function fileProblem(file) {
    if (!IMAGE_TYPES.includes(file.type))
      return (
        'The image must be a PNG, JPEG or WebP file, not ' + (file.type || 'a file of unknown type') + '.'
      );
    if (file.size > MAX_IMAGE_BYTES)
      return 'The image is ' + (file.size / 1048576).toFixed(1) + ' MiB: at most 10 MiB is taken.';
    return undefined;
  }

  /** A pasted link is shown as text only: the page never loads a caller's link (the provider fetches it). */
  function typeLink() {
    imageError('');
    image.url.removeAttribute('aria-invalid');
    const link = image.url.value.trim();
    if (!link) {
      if (!previewUrl) image.preview.replaceChildren();
      return;
    }
    if (image.file.value) {
      image.file.value = '';
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = undefined;
    }
    image.preview.replaceChildren(el('p', { className: 'note', textContent: 'Link: ' + link }));
  }

  /**
   * The request's `image`: a chosen file is uploaded first (POST /api/uploads, with the same key
   * as every call) and sent by its id; a link is sent as it is.
   * @returns {Promise<{ uploadId: string } | { url: string } | undefined | null>} null: refused, and said so at the field
   */
  async function imageForRequest() {
    if (image.field.disabled) return undefined;
    const file = image.file.files && image.file.files[0];
    const link = image.url.value.trim();
    if (file) {
      const problem = fileProblem(file);
      if (problem) {
        imageError(problem);
        return null;
      }
      formStatus.textContent = 'Uploading the image…';
      const answer = await api('uploads', {
        method: 'POST',
        headers: { 'content-type': file.type },
        body: file,
      });
      if (answer.status === 201) return { uploadId: /** @type {UploadView} */ (answer.body).uploadId };
      imageError('Image refused: ' + problemText(answer));
      image.file.setAttribute('aria-invalid', 'true');
      return null;
    }
    if (link) return { url: link };
    if (image.field.dataset.use === 'required') {
      imageError('This model needs a start image: choose a file or give a link.');
      return null;
    }
    return undefined;
  }

  function showProvider() {
    const provider = selectedProvider();
    fill(
      controls.model,
      provider.models.map((m) => m.id),
      provider.models[0].id,
    );
    showModel();
  }

  async function loadProviders() {
    const answer = await api('providers');
    if (answer.status !== 200 || !Array.isArray(answer.body))
      throw new Error('Could not load the providers: ' + problemText(answer));
    providers = /** @type {ProviderView[]} */ (answer.body);
    const preferred = (providers.find((p) => p.default) || providers[0]).name;
    fill(
      controls.provider,
      providers.map((p) => p.name),
      preferred,
    );
    showProvider();
    generate.disabled = false;
  }

  /**
   * 1st, 2nd, 3rd, 4th … 11th, 12th, 13th, 21st.
   * @param {number} n
   */
  function ordinal(n) {
    const teen = n % 100 >= 11 && n % 100 <= 13;
    const suffix = teen ? 'th' : n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th';
    return n + suffix;
  }

  /** @param {VideoStatus} video */
  function describeUpstream(video) {
    const up = video.upstream || {};
    const parts = [];
    const turn = video.admission;
    if (turn && turn.state === 'waiting' && turn.position !== undefined)
      parts.push(
        'waiting for a slot at ' +
          (up.provider || 'the provider') +
          ': ' +
          ordinal(turn.position) +
          ' in line',
      );
    if (up.status) parts.push((up.provider || 'provider') + ': ' + up.status);
    if (up.queuePosition !== undefined) parts.push('queue position ' + up.queuePosition);
    if (up.progress !== undefined) parts.push(Math.round(up.progress) + '%');
    return parts.join(' · ');
  }

  /**
   * The request's image as it gave it: an upload's id, or the caller's link (as text, never loaded).
   * @param {{ uploadId: string } | { url: string }} given
   */
  function describeImage(given) {
    return 'uploadId' in given ? 'upload ' + given.uploadId : given.url;
  }

  /**
   * @param {Card} card
   * @param {VideoStatus} video
   */
  function renderMedia(card, video) {
    if (card.media || video.phase !== 'completed' || !video.videos) return;
    // Created once: re-rendering would restart playback on every poll.
    card.media = el(
      'div',
      { className: 'media' },
      video.videos.map((stored, index) => {
        const player = el('video', {
          controls: true,
          preload: 'metadata',
          src: stored.url || '',
          playsInline: true,
        });
        if (stored.thumbnail && stored.thumbnail.url) player.poster = stored.thumbnail.url;
        player.setAttribute(
          'aria-label',
          'Video ' + (index + 1) + ': ' + (video.request ? video.request.prompt : video.id),
        );
        return player;
      }),
    );
    card.node.insertBefore(card.media, card.node.firstChild);
  }

  /**
   * @param {VideoStatus} video
   * @returns {Card}
   */
  function render(video) {
    let card = cards.get(video.id);
    if (!card) {
      const created = {
        node: el('li', { className: 'card' }),
        prompt: el('p', { className: 'prompt' }),
        meta: el('p', { className: 'meta' }),
        image: el('p', { className: 'image note' }),
        phase: el('p', { className: 'phase' }),
        progress: el('progress', { max: 100 }),
        upstream: el('p', { className: 'upstream' }),
        error: el('p', { className: 'error' }),
        action: el('button', { type: 'button' }),
        ended: false,
      };
      created.action.addEventListener('click', () => {
        void (created.ended ? remove(video.id, created) : cancel(video.id, created));
      });
      created.node.append(
        created.prompt,
        created.meta,
        created.image,
        created.phase,
        created.progress,
        created.upstream,
        created.error,
        created.action,
      );
      cards.set(video.id, created);
      card = created;
    }
    const asked = video.request;
    card.node.dataset.id = video.id;
    card.node.dataset.phase = video.phase;
    card.prompt.textContent = asked ? asked.prompt : video.id;
    card.meta.textContent = asked
      ? asked.provider + ' · ' + asked.model + ' · ' + asked.seconds + ' s · ' + asked.size
      : '';
    card.image.textContent = asked && asked.image ? 'Start image: ' + describeImage(asked.image) : '';
    card.image.hidden = !card.image.textContent;
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
    // One button whose words say what it does: the same element either way, so a keyboard user
    // on Cancel stays there when the request ends and the button becomes Delete.
    card.ended = FINISHED.has(video.phase);
    const verb = card.ended ? 'Delete' : 'Cancel';
    card.action.textContent = verb;
    card.action.className = verb.toLowerCase();
    card.action.setAttribute('aria-label', verb + ': ' + (asked ? asked.prompt : video.id));
    renderMedia(card, video);
    return card;
  }

  /**
   * Older pages go below what is shown.
   * @param {VideoStatus[]} items
   */
  function append(items) {
    for (const video of items.filter((item) => !deleted.has(item.id))) {
      const card = render(video);
      if (!card.node.isConnected) list.append(card.node);
    }
  }

  async function refresh() {
    const answer = await api('videos?limit=' + Math.max(20, Math.min(100, cards.size)));
    if (answer.status !== 200) throw new Error('Could not load the requests: ' + problemText(answer));
    const page = /** @type {VideoList} */ (answer.body);
    const items = page.items.filter((video) => !deleted.has(video.id));
    // Newest first: new requests go on top, in the order the API gives.
    for (let i = items.length - 1; i >= 0; i--) {
      const card = render(items[i]);
      if (!card.node.isConnected) list.insertBefore(card.node, list.firstChild);
    }
    if (continuationToken === undefined && cards.size === items.length)
      continuationToken = page.continuationToken;
    more.hidden = !continuationToken;
    listStatus.textContent = cards.size === 0 ? 'No requests yet.' : '';
    return items.some((video) => !FINISHED.has(video.phase));
  }

  async function loadMore() {
    if (!continuationToken) return;
    const answer = await api('videos?limit=20&continuationToken=' + encodeURIComponent(continuationToken));
    if (answer.status !== 200) throw new Error(problemText(answer));
    const page = /** @type {VideoList} */ (answer.body);
    append(page.items);
    continuationToken = page.continuationToken;
    more.hidden = !continuationToken;
  }

  function schedule() {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(
      () => {
        void poll();
      },
      running ? POLL_MS : IDLE_POLL_MS,
    );
  }

  async function poll() {
    try {
      if (document.visibilityState !== 'hidden') running = await refresh();
    } catch (error) {
      report(error, listStatus);
      // Without a valid key every poll would be refused: wait for the user to give one.
      if (error instanceof NeedsKey) return;
    }
    schedule();
  }

  /**
   * Runs `work` for the card's button, once at a time: the button is not disabled (a disabled
   * button drops keyboard focus) but marked busy, and a press while busy does nothing.
   * @param {Card} card
   * @param {() => Promise<void>} work
   */
  async function busy(card, work) {
    if (card.action.getAttribute('aria-disabled') === 'true') return;
    card.action.setAttribute('aria-disabled', 'true');
    try {
      await work();
    } catch (error) {
      report(error, listStatus);
    } finally {
      card.action.removeAttribute('aria-disabled');
    }
  }

  /**
   * DELETE /api/videos/{id} of a running request: cancels it (its provider's job and blobs).
   * The card may be a poll behind, and DELETE of an ended request deletes it: the status is
   * read first, so Cancel never deletes a video that has just been made.
   * @param {string} id
   * @param {Card} card
   */
  function cancel(id, card) {
    return busy(card, async () => {
      const path = 'videos/' + encodeURIComponent(id);
      const now = await api(path);
      if (now.status === 200 && !FINISHED.has(/** @type {VideoStatus} */ (now.body).phase)) {
        const answer = await api(path, { method: 'DELETE' });
        // Ended between the read and the DELETE, and so deleted: say so rather than vanish.
        if (answer.status === 204) {
          drop(id, card);
          listStatus.textContent = 'It had ended, and was deleted: ' + (card.prompt.textContent || id);
          return;
        }
        if (answer.status !== 202) listStatus.textContent = 'Could not cancel: ' + problemText(answer);
      }
      await refresh();
    });
  }

  /**
   * Asks before a request is deleted (a modal dialog: focus starts on Keep, Escape keeps).
   * @param {string} prompt
   * @returns {Promise<boolean>} whether the user chose Delete
   */
  function confirmDelete(prompt) {
    confirmPrompt.textContent = prompt;
    confirmDialog.returnValue = '';
    return new Promise((resolve) => {
      confirmDialog.addEventListener('close', () => resolve(confirmDialog.returnValue === 'delete'), {
        once: true,
      });
      confirmDialog.showModal();
    });
  }

  /**
   * DELETE /api/videos/{id} of an ended request, once the user has confirmed: deletes it and
   * its videos for good, and its card goes.
   * @param {string} id
   * @param {Card} card
   */
  function remove(id, card) {
    return busy(card, async () => {
      const prompt = card.prompt.textContent || id;
      if (!(await confirmDelete(prompt))) return;
      const answer = await api('videos/' + encodeURIComponent(id), { method: 'DELETE' });
      // 404: deleted already (elsewhere, or by a DELETE whose answer was lost).
      if (answer.status === 204 || answer.status === 404) {
        drop(id, card);
        listStatus.textContent = 'Deleted: ' + prompt;
      } else listStatus.textContent = 'Could not delete: ' + problemText(answer);
    });
  }

  /**
   * Takes a deleted request's card off the page. Focus, if it was on the card, moves to the
   * next card's button (or the previous one's, or the list's heading), never to the page's top.
   * @param {string} id
   * @param {Card} card
   */
  function drop(id, card) {
    deleted.add(id);
    cards.delete(id);
    const hadFocus = card.node.contains(document.activeElement);
    const neighbour = /** @type {HTMLElement | null} */ (
      card.node.nextElementSibling || card.node.previousElementSibling
    );
    card.node.remove();
    if (cards.size === 0) listStatus.textContent = 'No requests yet.';
    if (!hadFocus) return;
    const next = neighbour && neighbour.querySelector('button');
    if (next) next.focus();
    else {
      listHeading.tabIndex = -1;
      listHeading.focus();
    }
  }

  function clearInvalid() {
    for (const control of controlOfField.values()) control.removeAttribute('aria-invalid');
    imageError('');
  }

  /** @param {SubmitEvent} event */
  async function submit(event) {
    event.preventDefault();
    clearInvalid();
    /** @type {Record<string, unknown>} */
    const body = {
      prompt: controls.prompt.value,
      provider: controls.provider.value,
      model: controls.model.value,
      seconds: Number(controls.seconds.value),
      size: controls.size.value,
    };
    formStatus.textContent = 'Starting…';
    try {
      const given = await imageForRequest();
      if (given === null) {
        formStatus.textContent = 'Not started: see the start image.';
        image.file.focus();
        return;
      }
      if (given) body.image = given;
      formStatus.textContent = 'Starting…';
      const answer = await api('videos', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (answer.status === 202) {
        formStatus.textContent = 'Started: ' + /** @type {Accepted} */ (answer.body).id;
        running = await refresh();
        schedule();
        return;
      }
      formStatus.textContent = 'Not started: ' + problemText(answer);
      const errors = /** @type {Partial<Problem> | undefined} */ (answer.body)?.errors || [];
      const named = errors.map((e) => controlOfField.get(e.field)).filter((control) => control !== undefined);
      for (const control of named) control.setAttribute('aria-invalid', 'true');
      const aboutImage = errors.find((e) => e.field === 'image' || e.field.startsWith('image.'));
      if (aboutImage) imageError(aboutImage.field + ' ' + aboutImage.message);
      if (named[0]) named[0].focus();
    } catch (error) {
      report(error, formStatus);
    }
  }

  /**
   * @param {unknown} error
   * @param {HTMLElement} where
   */
  function report(error, where) {
    if (error instanceof NeedsKey) {
      askForKey(
        sessionStorage.getItem(KEY_ITEM)
          ? 'That key was refused. Enter a function key of this app.'
          : 'This app needs a function key.',
      );
      return;
    }
    where.textContent = error instanceof Error && error.message ? error.message : String(error);
  }

  /** @param {boolean} [afterKey] */
  async function start(afterKey) {
    forgetKey.hidden = !sessionStorage.getItem(KEY_ITEM);
    try {
      await loadProviders();
      keyForm.hidden = true;
      // The key form is gone: take the user on to where they were going.
      if (afterKey) controls.prompt.focus();
      running = await refresh();
    } catch (error) {
      report(error, listStatus);
      return;
    }
    schedule();
  }

  keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = keyInput.value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_ITEM, key);
    keyInput.value = '';
    void start(true);
  });
  forgetKey.addEventListener('click', () => {
    sessionStorage.removeItem(KEY_ITEM);
    forgetKey.hidden = true;
    askForKey('Key forgotten. Enter a function key to continue.');
  });
  // Back to a hidden tab: show the news at once rather than at the next tick.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && providers.length > 0) void poll();
  });
  controls.provider.addEventListener('change', showProvider);
  controls.model.addEventListener('change', showModel);
  image.file.addEventListener('change', chooseFile);
  image.url.addEventListener('input', typeLink);
  form.addEventListener('submit', (event) => {
    void submit(event);
  });
  more.addEventListener('click', () => {
    loadMore().catch((error) => report(error, listStatus));
  });
  void start();
})();
