// Pages of requests, newest first, without reading every instance. The durable instance query
// has no order (Azure Storage answers in instance-id order) and the SDK's getStatusBy follows
// every continuation itself, so a page is read one created-time window at a time, newest window
// first, each window four times as long as the one before (a minute, four, sixteen, ...): a page
// reads the instances created in the span it covers, not the task hub's whole history. A page
// also stops after MAX_SCANNED instances (a filter that matches few of them): it may then hold
// fewer than `limit` items, even none, and still carry a continuation position.

/** What a page needs of an instance's status. */
export interface ListedStatus {
  instanceId: string;
  createdTime: string | Date;
}

/** Where the previous page ended: items strictly after it (older, or as old with a smaller id) come
 * next. Without an id, everything created before `createdMs`. */
export interface Position {
  createdMs: number;
  id?: string;
}

/** The durable query for the instances created in [from, to] (both inclusive, as the extension's
 * createdTimeFrom/createdTimeTo are). */
export type WindowQuery<T> = (from: Date, to: Date) => Promise<T[]>;

export const FIRST_WINDOW_MS = 60_000;
export const WINDOW_GROWTH = 4;
/** How far back a page looks at most: requests older than this are not listed. */
export const MAX_LOOKBACK_MS = 10 * 365 * 24 * 3600 * 1000;
/** Instances one page reads at most before answering with what it has. */
export const MAX_SCANNED = 1000;
/** Clocks of scaled-out instances differ a little: "now" reaches this far ahead. */
const CLOCK_SLACK_MS = 60_000;

export const createdMs = (status: ListedStatus) => new Date(status.createdTime).getTime();
/** Newest first; ties broken by id, so the order is total and pages never overlap. */
const newestFirst = (a: ListedStatus, b: ListedStatus) =>
  createdMs(b) - createdMs(a) || (a.instanceId < b.instanceId ? 1 : a.instanceId > b.instanceId ? -1 : 0);
const isAfter = (status: ListedStatus, position: Position) =>
  createdMs(status) < position.createdMs ||
  (position.id !== undefined && createdMs(status) === position.createdMs && status.instanceId < position.id);

export interface Page<T> {
  items: T[];
  /** Where the next page starts; absent on the last page. */
  next?: Position;
  /** Instances read for this page (the durable query's answers, windows together). */
  scanned: number;
}

export async function newestFirstPage<T extends ListedStatus>(options: {
  query: WindowQuery<T>;
  limit: number;
  /** Whether an instance is listed (the request filters); `query` may answer others too. */
  accept: (status: T) => boolean;
  after?: Position;
  nowMs: number;
}): Promise<Page<T>> {
  const { query, limit, accept, after, nowMs } = options;
  const floor = Math.max(0, nowMs - MAX_LOOKBACK_MS);
  // Exclusive upper bound of the next window.
  let upper = after ? after.createdMs + 1 : nowMs + CLOCK_SLACK_MS;
  let width = FIRST_WINDOW_MS;
  let scanned = 0;
  const items: T[] = [];
  while (upper > floor) {
    const lower = Math.max(floor, upper - width);
    const batch = await query(new Date(lower), new Date(upper - 1));
    scanned += batch.length;
    const candidates = batch
      .filter((status) => {
        const created = createdMs(status);
        return created >= lower && created < upper && (!after || isAfter(status, after)) && accept(status);
      })
      .sort(newestFirst);
    for (const status of candidates) {
      if (items.length === limit) {
        const last = items[limit - 1];
        return { items, next: { createdMs: createdMs(last), id: last.instanceId }, scanned };
      }
      items.push(status);
    }
    upper = lower;
    width *= WINDOW_GROWTH;
    // Read enough for one page: answer what there is, and go on from here next time.
    if (scanned >= MAX_SCANNED && upper > floor) {
      const last = items.at(-1);
      return {
        items,
        next:
          items.length === limit && last
            ? { createdMs: createdMs(last), id: last.instanceId }
            : { createdMs: upper },
        scanned,
      };
    }
  }
  return { items, scanned };
}
