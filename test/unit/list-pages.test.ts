// Pages of GET /api/videos, newest first, over a stand-in for the durable instance query (its
// createdTimeFrom/createdTimeTo filter, both inclusive, answering in instance-id order as Azure
// Storage does). Issue item: the list read every instance, with its input, whatever `limit` was.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  MAX_SCANNED,
  newestFirstPage,
  type ListedStatus,
  type Position,
} from '../../src/status/list-pages.js';

const NOW = Date.UTC(2026, 11, 7, 12);
const DAY = 24 * 3600 * 1000;

interface Status extends ListedStatus {
  listed: boolean;
}

/** `count` instances created over `spanMs` before NOW, whole seconds (as the Node host keeps them), some sharing a second. */
function instances(count: number, spanMs: number, listed = (i: number) => i >= 0): Status[] {
  return Array.from({ length: count }, (_, i) => {
    const created = Math.floor((NOW - (spanMs * i) / count) / 1000) * 1000 - (i % 3 === 0 ? 0 : 1000);
    return {
      instanceId: `${(i * 7919) % 100_000}`.padStart(6, '0') + `-${i}`,
      createdTime: new Date(created).toISOString(),
      listed: listed(i),
    };
  });
}

function durableQuery(all: Status[]) {
  const reads = { instances: 0, queries: 0 };
  const byId = [...all].sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1));
  const query = async (from: Date, to: Date) => {
    reads.queries++;
    const found = byId.filter((s) => {
      const t = Date.parse(String(s.createdTime));
      return t >= from.getTime() && t <= to.getTime();
    });
    reads.instances += found.length;
    return found;
  };
  return { query, reads };
}

const expectedOrder = (all: Status[]) =>
  all
    .filter((s) => s.listed)
    .sort(
      (a, b) =>
        Date.parse(String(b.createdTime)) - Date.parse(String(a.createdTime)) ||
        (a.instanceId < b.instanceId ? 1 : -1),
    )
    .map((s) => s.instanceId);

async function everyPage(all: Status[], limit: number) {
  const { query, reads } = durableQuery(all);
  const seen: string[] = [];
  let after: Position | undefined;
  let pages = 0;
  do {
    const page = await newestFirstPage({ query, limit, accept: (s) => s.listed, after, nowMs: NOW });
    assert.ok(page.items.length <= limit);
    seen.push(...page.items.map((s) => s.instanceId));
    after = page.next;
    pages++;
    assert.ok(pages < 10_000, 'paging ends');
  } while (after);
  return { seen, reads };
}

describe('newest-first pages', () => {
  test('a page of 20 out of 20,000 requests over two years reads a few of them, not all', async () => {
    const all = instances(20_000, 730 * DAY);
    const { query, reads } = durableQuery(all);
    const page = await newestFirstPage({ query, limit: 20, accept: () => true, nowMs: NOW });
    assert.deepEqual(
      page.items.map((s) => s.instanceId),
      expectedOrder(all).slice(0, 20),
    );
    assert.ok(page.next, 'there are more');
    assert.ok(reads.instances < 200, `read ${reads.instances} instances for a page of 20`);
  });

  test('paging through gives every request once, newest first, ties in one second included', async () => {
    for (const limit of [1, 7, 100]) {
      const all = instances(600, 3 * DAY);
      const { seen } = await everyPage(all, limit);
      assert.deepEqual(seen, expectedOrder(all), `limit ${limit}`);
    }
  });

  test('a filter that matches few stops each page after a bounded read, and the pages still find them all', async () => {
    const all = instances(5000, 30 * DAY, (i) => i % 1000 === 999);
    const { query, reads } = durableQuery(all);
    const first = await newestFirstPage({ query, limit: 20, accept: (s) => s.listed, nowMs: NOW });
    assert.ok(reads.instances <= MAX_SCANNED * 4 + 1, `one page read ${reads.instances}`);
    assert.ok(first.next, 'a short page still says where to go on');
    const { seen } = await everyPage(all, 20);
    assert.deepEqual(seen, expectedOrder(all));
  });
});
