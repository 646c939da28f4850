// Callers' receivers cannot stall the pipeline (a security review's item 2): every delivery
// attempt has a hard deadline covering connect and the answer's headers, reads nothing after
// them, and deliveries have their own concurrency budget, so eight receivers that trickle
// their answers hold at most that many of the host's activity slots while another caller's
// video goes through. Receivers are raw sockets on loopback; the assertions are on what the
// receivers and the status view see, not on durations.
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { MAX_CONCURRENT_DELIVERIES } from '../../src/activities/callback-activities.js';
import { call, startPipelineStack, startVideo, waitForVideo, type PipelineStack } from './pipeline-stack.js';
import { eventually } from '../support/eventually.js';

interface SlowReceiver {
  url: string;
  /** Connections accepted, closed (by the app: the receiver never closes one), open at most at once. */
  stats(): { accepted: number; closed: number; maxOpen: number };
  stop(): Promise<void>;
}

/** A receiver that answers each request with `first`, then one more byte of `trickle` every 200 ms, forever. */
async function slowReceiver(first: string, trickle: string): Promise<SlowReceiver> {
  let accepted = 0;
  let closed = 0;
  let open = 0;
  let maxOpen = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    accepted++;
    maxOpen = Math.max(maxOpen, ++open);
    let timer: NodeJS.Timeout | undefined;
    socket.once('data', () => {
      socket.write(first);
      timer = setInterval(() => socket.write(trickle), 200);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
      open--;
      closed++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ({ accepted, closed, maxOpen }),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Waits up to 90 s for `probe` to find what it looks for (undefined: not yet). */
const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) =>
  eventually<T>(what, probe as () => Promise<T>, { timeoutMs: 90_000, everyMs: 100 });

const video = (prompt: string, callbackUrl?: string) => ({
  provider: 'replicate',
  model: 'kwaivgi/kling-v2.0',
  prompt,
  ...(callbackUrl ? { callbackUrl } : {}),
});

describe('slow receivers', () => {
  let stack: PipelineStack;
  before(async () => {
    // A short deadline keeps the test short; the rule is the same at the default 15 s.
    stack = await startPipelineStack({ settings: { CALLBACK_TIMEOUT_SECONDS: '2' } });
  });
  after(async () => stack?.stop());

  test("eight receivers trickling their headers are cut off at the deadline and leave the pipeline's slots free", async () => {
    // A status line, then a header name one byte at a time: the headers never end.
    const receiver = await slowReceiver('HTTP/1.1 200 OK\r\n', 'X');
    try {
      const ids = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          startVideo(stack.host, video(`Trickle ${i} ${Date.now()}.`, `${receiver.url}/hook/${i}`)),
        ),
      );
      await waitFor('deliveries to the trickling receiver', () =>
        receiver.stats().accepted >= MAX_CONCURRENT_DELIVERIES ? true : undefined,
      );
      // Another caller's video, while the eight are being delivered.
      const other = await startVideo(stack.host, video(`Another caller ${Date.now()}.`));
      assert.equal((await waitForVideo(stack.host, other, 90_000)).phase, 'completed');
      // The app gave up on attempts while the receiver was still sending (it never closes one).
      await waitFor('attempts cut off at the deadline', () =>
        receiver.stats().closed >= MAX_CONCURRENT_DELIVERIES ? true : undefined,
      );
      const view = await waitFor('an attempt recorded as timed out', async () => {
        for (const id of ids) {
          const body = (await call(`${stack.host.url}/api/videos/${id}`)).body;
          if (body.callback?.attempts >= 1) return body;
        }
        return undefined;
      });
      assert.equal(view.callback.delivered, false);
      assert.match(view.callback.lastError, /no answer within 2000 ms/);
      const { maxOpen } = receiver.stats();
      assert.ok(
        maxOpen <= MAX_CONCURRENT_DELIVERIES,
        `${maxOpen} deliveries were in flight at once; the budget is ${MAX_CONCURRENT_DELIVERIES}`,
      );
    } finally {
      await receiver.stop();
    }
  });

  test('the answer is read to its status and headers only: a trickled body does not hold the attempt', async () => {
    const receiver = await slowReceiver(
      'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 1000000\r\n\r\n',
      'x',
    );
    try {
      const id = await startVideo(stack.host, video(`Body trickle ${Date.now()}.`, `${receiver.url}/hook`));
      const view = await waitFor('the delivery', async () => {
        const body = (await call(`${stack.host.url}/api/videos/${id}`)).body;
        return body.callback?.attempts >= 1 ? body : undefined;
      });
      assert.deepEqual([view.callback.delivered, view.callback.lastStatus], [true, 200]);
      await waitFor('the connection closed by the app', () =>
        receiver.stats().closed >= 1 ? true : undefined,
      );
    } finally {
      await receiver.stop();
    }
  });
});
