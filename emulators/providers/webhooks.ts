// Outgoing webhooks for every dialect: delivery with retries and short exponential backoff
// (terminal events only, as fal and Replicate do), the admin fault switches (drop a share,
// delay every attempt) and the counters in GET /_admin/stats, with the webhooks still on their way
// (`pending`) and the jobs that may still send one (`watching`), so a test can know that nothing more
// will come instead of waiting a while. Signing is the dialect's job:
// it passes a function that signs each attempt, because the timestamp is part of the signature.
import type { Core } from './core.js';

export interface Webhook {
  url: string;
  body: string;
  /** Headers for one attempt, signed at `nowMs`. */
  headers(nowMs: number): Record<string, string>;
  /** Retry on a connection failure or a non-2xx answer. */
  retry: boolean;
}

export class WebhookSender {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new AbortController();
  private closed = false;

  constructor(private readonly core: Core) {}

  send(webhook: Webhook) {
    const { stats } = this.core;
    if (this.core.dropWebhook()) {
      stats.webhooks.dropped++;
      return;
    }
    const maxAttempts = webhook.retry ? Math.max(1, Math.floor(this.core.settings.webhookMaxAttempts)) : 1;
    stats.webhooks.pending++;
    const settle = (outcome: 'delivered' | 'failed') => {
      stats.webhooks[outcome]++;
      stats.webhooks.pending--;
    };
    const attempt = (n: number) => {
      this.later(this.core.settings.webhookDelayMs, async () => {
        stats.webhooks.sent++;
        if (n > 1) stats.webhooks.retried++;
        let ok = false;
        try {
          const response = await fetch(webhook.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'user-agent': 'provider-emulator-webhooks',
              ...webhook.headers(Date.now()),
            },
            body: webhook.body,
            // Redirects count as failures (Replicate does not follow them; Standard Webhooks: 3xx fails).
            redirect: 'manual',
            signal: AbortSignal.any([this.inflight.signal, AbortSignal.timeout(10_000)]),
          });
          await response.arrayBuffer().catch(() => undefined);
          ok = response.status >= 200 && response.status < 300;
        } catch {
          ok = false;
        }
        if (ok) settle('delivered');
        else if (n < maxAttempts && !this.closed)
          this.later(this.core.settings.webhookRetryBaseMs * 2 ** (n - 1), () => attempt(n + 1));
        else settle('failed');
      });
    };
    attempt(1);
  }

  private later(ms: number, run: () => unknown) {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void run();
    }, ms);
    this.timers.add(timer);
  }

  close() {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.inflight.abort();
  }
}

/**
 * Calls `check` every few ms while anything is registered; how dialects notice a job finishing on
 * the clock to send its webhooks. The number registered is `stats.webhooks.watching`.
 */
export class Watcher<T> {
  private readonly items = new Set<T>();
  private reported = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly core: Core,
    private readonly check: (item: T) => boolean,
    private readonly everyMs = 20,
  ) {}

  /** `check` returns true when it is done with the item. */
  add(item: T) {
    this.items.add(item);
    this.counted();
    this.timer ??= setInterval(() => {
      for (const each of this.items) if (this.check(each)) this.items.delete(each);
      this.counted();
      if (this.items.size === 0) this.stop();
    }, this.everyMs);
  }

  /** Keeps `watching` in step; each dialect has its own watcher, so it adds the change in its count. */
  private counted() {
    this.core.stats.webhooks.watching += this.items.size - this.reported;
    this.reported = this.items.size;
  }

  stop() {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  clear() {
    this.items.clear();
    this.counted();
    this.stop();
  }
}
