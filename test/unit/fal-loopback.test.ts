// The tests' fal mapping (test/support/fal-loopback.ts), which the host preloads in
// ai-sdk-pipeline.test.ts: fal's queue reaches a loopback server, its queue URLs come back as
// fal's, its file URLs do not, and nothing leaves loopback.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FAL_QUEUE, loopbackFalFetch } from '../support/fal-loopback.js';
import { tinyServer, type TinyServer } from '../support/tiny-server.js';

describe('loopbackFalFetch (tests only)', () => {
  let server: TinyServer;
  before(async () => {
    server = await tinyServer((req, res) => {
      const base = `http://${req.headers.host}/fal`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          response_url: `${base}/fal-ai/veo3/requests/r1`,
          video: { url: `${base}/files/r1/output.mp4` },
        }),
      );
    });
  });
  after(async () => server?.stop());

  test("maps fal's queue to the emulator and writes its queue URLs back as fal's, not its files", async () => {
    const mapped = loopbackFalFetch(`${server.url}/fal`, fetch);
    const answer = await mapped(`${FAL_QUEUE}/fal-ai/veo3`, { method: 'POST', body: '{}' });
    assert.equal(server.requests.at(-1)?.url, '/fal/fal-ai/veo3');
    assert.equal(server.requests.at(-1)?.method, 'POST');
    assert.deepEqual(await answer.json(), {
      response_url: `${FAL_QUEUE}/fal-ai/veo3/requests/r1`,
      video: { url: `${server.url}/fal/files/r1/output.mp4` },
    });
  });

  test('passes a loopback URL on unchanged', async () => {
    const mapped = loopbackFalFetch(`${server.url}/fal`, fetch);
    const answer = await mapped(`${server.url}/fal/files/r1/output.mp4`);
    assert.equal(server.requests.at(-1)?.url, '/fal/files/r1/output.mp4');
    assert.match(
      ((await answer.json()) as { response_url: string }).response_url,
      /^http:\/\/127\.0\.0\.1:/,
      'answers of unmapped calls as sent',
    );
  });

  test('refuses every destination that is not a loopback IP literal, before connecting', async () => {
    const reached: string[] = [];
    const network: typeof fetch = async (input) => {
      reached.push(String(input));
      return new Response('');
    };
    const mapped = loopbackFalFetch(`${server.url}/fal`, network);
    for (const url of [
      'https://fal.media/files/x.mp4',
      'http://10.0.0.1/',
      'http://localhost:1/',
      'https://[2001:db8::1]/',
    ])
      await assert.rejects(mapped(url), /tests reach loopback addresses only/, url);
    assert.deepEqual(reached, []);
    assert.throws(() => loopbackFalFetch('http://192.0.2.1/fal', network), /loopback address/);
  });
});
