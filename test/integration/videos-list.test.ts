// GET /api/videos on the real stack: newest first, paged without overlap or gaps, filtered by
// phase and provider, each item the view GET /api/videos/{id} answers; bad parameters are a
// problem naming the parameter. Every answer is also checked against /api/openapi.json (call).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkAnswer } from '../support/openapi-check.js';
import { tinyServer } from '../support/tiny-server.js';
import {
  call,
  quickstartBody,
  startPipelineStack,
  startVideo,
  waitForVideo,
  type PipelineStack,
} from './pipeline-stack.js';
import { eventually } from '../support/eventually.js';

let stack: PipelineStack;
/** Oldest first: sora (completed), fal (completed), replicate (completed), openai (cancelled). */
const ids: string[] = [];
const prompt = 'A paper boat on a rainy street.';
/** Returns once the clock is past the moment it was called: a request started after it has a
 * later creation time (the host keeps milliseconds), so "newest first" is unambiguous. */
const laterMillisecond = () => {
  const now = Date.now();
  return eventually('a later millisecond', () => Date.now() > now);
};

before(async () => {
  stack = await startPipelineStack();
  for (const body of [
    quickstartBody,
    { provider: 'fal', model: 'fal-ai/kling-video/v2/master/text-to-video', prompt },
    { provider: 'replicate', model: 'kwaivgi/kling-v2.0', prompt },
  ]) {
    ids.push(await startVideo(stack.host, body));
    await laterMillisecond();
  }
  await Promise.all(
    ids.map(async (id) => assert.equal((await waitForVideo(stack.host, id)).phase, 'completed')),
  );
  const cancelled = await startVideo(stack.host, { provider: 'openai', model: 'sora-2', prompt });
  assert.equal((await call(`${stack.host.url}/api/videos/${cancelled}`, { method: 'DELETE' })).status, 202);
  ids.push(cancelled);
  assert.equal((await waitForVideo(stack.host, cancelled)).phase, 'cancelled');
});
after(async () => {
  await stack?.stop();
});

async function list(query = ''): Promise<{ items: any[]; continuationToken?: string }> {
  const answer = await call(`${stack.host.url}/api/videos${query}`);
  assert.equal(answer.status, 200, answer.text);
  return answer.body;
}

/** Read links are signed per answer; everything else must be the same view. */
function withoutLinks(view: any): any {
  return JSON.parse(
    JSON.stringify(view, (key, value) => (key === 'url' || key === 'urlExpiresOn' ? undefined : value)),
  );
}

/** A token shaped like the ones the list gives out, holding what a caller chose. */
const token = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('GET /api/videos', () => {
  test('lists every request newest first, each item the view GET /api/videos/{id} answers, with read links', async () => {
    const page = await list();
    assert.deepEqual(
      page.items.map((item) => item.id),
      [...ids].reverse(),
    );
    assert.equal(page.continuationToken, undefined, 'one page holds them all');
    for (const item of page.items) {
      const single = await call(`${stack.host.url}/api/videos/${item.id}`);
      assert.deepEqual(withoutLinks(item), withoutLinks(single.body));
    }
    // Sora 1 serves a still beside each video (not every provider does).
    const [video] = page.items.find((item) => item.id === ids[0]).videos;
    const bytes = Buffer.from(await (await fetch(video.url)).arrayBuffer());
    assert.equal(bytes.length, video.bytes, "the list's read link serves the video");
    assert.equal((await fetch(video.thumbnail.url)).status, 200, 'and its thumbnail');
  });

  test('pages with limit and continuationToken: every request once, in order, the last page without a token', async () => {
    for (const limit of [1, 2, 3]) {
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await list(
          `?limit=${limit}${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`,
        );
        assert.ok(
          page.items.length <= limit && page.items.length > 0,
          `page of ${page.items.length} with limit ${limit}`,
        );
        seen.push(...page.items.map((item) => item.id));
        token = page.continuationToken;
        pages++;
      } while (token);
      assert.deepEqual(seen, [...ids].reverse(), `limit=${limit}`);
      assert.equal(pages, Math.ceil(ids.length / limit));
    }
  });

  test('filters by phase and by provider, alone and together', async () => {
    const idsOf = async (query: string) => (await list(query)).items.map((item) => item.id);
    assert.deepEqual(await idsOf('?phase=cancelled'), [ids[3]]);
    assert.deepEqual(await idsOf('?phase=completed'), [ids[2], ids[1], ids[0]]);
    assert.deepEqual(await idsOf('?phase=running'), []);
    assert.deepEqual(await idsOf('?provider=fal'), [ids[1]]);
    assert.deepEqual(await idsOf('?provider=openai&phase=cancelled'), [ids[3]]);
    assert.deepEqual(await idsOf('?provider=fal&phase=cancelled'), []);
    assert.deepEqual(await idsOf('?provider=nobody'), []);
    // A filtered page is still a page: the token continues within the filter.
    const first = await list('?phase=completed&limit=2');
    assert.deepEqual(
      first.items.map((item) => item.id),
      [ids[2], ids[1]],
    );
    assert.ok(first.continuationToken);
    assert.deepEqual(
      (
        await list(
          `?phase=completed&limit=2&continuationToken=${encodeURIComponent(first.continuationToken)}`,
        )
      ).items.map((item) => item.id),
      [ids[0]],
    );
  });

  for (const [query, field] of [
    ['?limit=0', 'limit'],
    ['?limit=101', 'limit'],
    ['?limit=ten', 'limit'],
    ['?limit=-1', 'limit'],
    ['?phase=sleeping', 'phase'],
    ['?continuationToken=not-a-token', 'continuationToken'],
    // Issue item: tokens edited by hand (a time no date can hold, an id no request has) were an empty 500.
    [`?continuationToken=${token([Number.MAX_SAFE_INTEGER, 'a'])}`, 'continuationToken'],
    [`?continuationToken=${token([-62198755200001, 'a'])}`, 'continuationToken'],
    [`?continuationToken=${token([1_700_000_000_000, "'); drop"])}`, 'continuationToken'],
    [`?continuationToken=${token([1_700_000_000_000, 'a'.repeat(5000)])}`, 'continuationToken'],
    [`?continuationToken=${token([1_700_000_000_000, { id: 'a' }])}`, 'continuationToken'],
    ['?provider=', 'provider'],
  ] as const) {
    test(`${query.length > 60 ? `${query.slice(0, 60)}…` : query} → 400 problem naming ${field}`, async () => {
      const answer = await call(`${stack.host.url}/api/videos${query}`);
      assert.equal(answer.status, 400, answer.text);
      assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.deepEqual(
        answer.body.errors.map((e: { field: string }) => e.field),
        [field],
      );
    });
  }

  test('listing starts nothing: the durable instances are still the four requests', async () => {
    const instances = await call(`${stack.host.url}/runtime/webhooks/durabletask/instances/?top=100`);
    assert.deepEqual(instances.body.map((i: { instanceId: string }) => i.instanceId).sort(), [...ids].sort());
  });

  test("the suites check this app's answers against its /api/openapi.json (a bad answer is refused)", async () => {
    const [item] = (await list('?limit=1')).items;
    const bad = { ...item, phase: 'sleeping' };
    await assert.rejects(
      checkAnswer(`${stack.host.url}/api/videos/${item.id}`, 'GET', {
        status: 200,
        headers: new Headers({ 'content-type': 'application/json' }),
        body: bad,
        text: JSON.stringify(bad),
      }),
      /does not match/,
    );
  });
});

describe('GET /api/videos after the requests above', () => {
  test("a request with a callbackUrl: its item carries the callback's delivery, as GET /api/videos/{id} does, and the URL without its query", async () => {
    const hook = await tinyServer((_req, res) => res.writeHead(204).end());
    try {
      await laterMillisecond(); // than the cancelled request made just before
      const id = await startVideo(stack.host, {
        provider: 'replicate',
        model: 'kwaivgi/kling-v2.0',
        prompt,
        callbackUrl: `${hook.url}/hook?token=s3cret-of-the-caller`,
      });
      assert.equal((await waitForVideo(stack.host, id)).phase, 'completed');
      const item = await eventually(
        'the newest item with its callback delivered',
        async () => (await list('?limit=1')).items[0],
        (newest: any) => Boolean(newest?.callback?.delivered),
        { timeoutMs: 30_000, everyMs: 100 },
      );
      assert.equal(item.id, id, 'the newest request');
      assert.deepEqual(item.callback, {
        type: 'video.completed',
        delivered: true,
        attempts: 1,
        lastStatus: 204,
      });
      // Issue item: the list showed every request's callbackUrl whole, tokens in its query included.
      assert.equal(item.request.callbackUrl, `${hook.url}/hook`, 'the list leaves out the query string');
      const single = (await call(`${stack.host.url}/api/videos/${id}`)).body;
      assert.equal(single.request.callbackUrl, `${hook.url}/hook?token=s3cret-of-the-caller`);
      assert.deepEqual(withoutLinks(item), {
        ...withoutLinks(single),
        request: { ...single.request, callbackUrl: `${hook.url}/hook` },
      });
      assert.ok(!(await list()).items.some((i) => JSON.stringify(i).includes('s3cret')));
      assert.deepEqual(
        (await list('?provider=replicate')).items.map((i) => i.id),
        [id, ids[2]],
        "the callback's own instance is not a request",
      );
    } finally {
      await hook.stop();
    }
  });
});
