// Per-minute create quotas (Sora 2 per deployment, Replicate per token): the creates of the
// last 60 s for each key, and how long a caller over the limit must wait.
export class CreatesPerMinute {
  private readonly times = new Map<string, number[]>();

  /** The creates of `key` in the minute before `now`: whether `limit` leaves room, and how to count one more. */
  at(key: string, now: number) {
    const recent = (this.times.get(key) ?? []).filter((t) => now - t < 60_000);
    return {
      /** Seconds until the oldest create leaves the window when `limit` are in it already; undefined while there is room. */
      retryAfter: (limit: number) =>
        recent.length >= limit ? Math.max(1, Math.ceil((recent[0] + 60_000 - now) / 1000)) : undefined,
      record: () => {
        this.times.set(key, [...recent, now]);
      },
    };
  }

  clear() {
    this.times.clear();
  }
}

/**
 * A create rate with a burst, as Replicate documents it (docs/providers/replicate.md, "Rate
 * limits": "6 creates a minute with a burst of 1" under $5 of credit): a bucket of `burst`
 * tokens per key, refilled at `perMinute`; a create takes one. A sliding 60 s window would let
 * 6 creates through back to back, which the vendor does not.
 */
export class CreateBucket {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** Takes a token of `key` at `now` (check and take in one step, so two creates arriving
   * together cannot share one): undefined when taken, else the seconds to wait (rounded up). */
  take(key: string, now: number, perMinute: number, burst: number): number | undefined {
    const perMs = perMinute / 60_000;
    const held = this.buckets.get(key);
    const tokens = held ? Math.min(burst, held.tokens + Math.max(0, now - held.at) * perMs) : burst;
    if (tokens < 1) return Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    return undefined;
  }

  /** Gives a token back (the create was refused for its body: it made nothing). */
  giveBack(key: string) {
    const held = this.buckets.get(key);
    if (held) held.tokens += 1;
  }

  clear() {
    this.buckets.clear();
  }
}

/** Replicate's burst when none is set: 1 at the low-credit rate (6 a minute or less, as the
 * vendor documents it), else a minute's worth ("short bursts above these are allowed", size
 * unpublished). */
export const replicateDefaultBurst = (perMinute: number) =>
  perMinute <= 6 ? 1 : Math.max(1, Math.floor(perMinute));
