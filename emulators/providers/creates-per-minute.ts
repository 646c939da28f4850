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
