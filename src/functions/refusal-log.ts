// Refused provider webhooks: anyone can send them, so a warning for each would let anyone drive
// the app's log volume (and its Application Insights bill). Each provider's refusals are counted,
// and only a sample is written: the 1st, 10th, 100th, … and otherwise at most one a minute, each
// line carrying the running count (the metric) and how many went unwritten since the last.

/** At most one unsampled line per provider in this long (milliseconds). */
export const REFUSAL_LOG_INTERVAL_MS = 60_000;

export interface RefusalRecord {
  /** Refusals for this provider since the app started, this one included. */
  count: number;
  /** Refusals not written since the last written one. */
  unwritten: number;
  /** Whether this one is to be written. */
  write: boolean;
}

const isPowerOfTen = (n: number) => /^10*$/.test(String(n));

export class RefusalCounter {
  readonly #providers = new Map<string, { count: number; writtenAt: number; writtenCount: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts one refusal for `provider` and says whether to write it. */
  record(provider: string): RefusalRecord {
    const entry = this.#providers.get(provider) ?? { count: 0, writtenAt: -Infinity, writtenCount: 0 };
    entry.count++;
    const at = this.now();
    const write = isPowerOfTen(entry.count) || at - entry.writtenAt >= REFUSAL_LOG_INTERVAL_MS;
    const unwritten = entry.count - entry.writtenCount - 1;
    if (write) {
      entry.writtenAt = at;
      entry.writtenCount = entry.count;
    }
    this.#providers.set(provider, entry);
    return { count: entry.count, unwritten, write };
  }

  /** Refusals counted for `provider` since the app started. */
  count(provider: string): number {
    return this.#providers.get(provider)?.count ?? 0;
  }
}
