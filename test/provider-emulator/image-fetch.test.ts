// The emulator's image fetch on its own, against loopback servers: redirects are followed (http →
// https with the test CA), a server that never answers times out, an announced size over the cap
// is refused before its body is read, and data: URIs decode in both encodings.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fetchImage } from '../../emulators/providers/image-fetch.js';
import { tinyServer, type TinyServer } from '../support/tiny-server.js';
import { meanOf, pngOf, startImageServer, twoTone, type ImageServer } from './input-images.js';

describe('provider emulator: fetching input images', () => {
  let images: ImageServer;
  let plain: TinyServer;
  const picture = twoTone(20, 10, [255, 0, 0], [0, 0, 255]);
  before(async () => {
    images = await startImageServer();
    images.serve('/p.png', pngOf(picture, 20, 10), 'image/png');
    images.serve('/never.png', pngOf(picture, 20, 10), 'image/png', new Promise(() => {}));
    plain = await tinyServer((req, res) => {
      if (req.url === '/moved') return res.writeHead(302, { location: `${images.url}/p.png` }).end();
      if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
      // Announces 11 MiB and sends only a little: refused on the header, not after reading.
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': 11 * 1024 * 1024 });
      res.write(Buffer.alloc(16));
    });
  });
  after(async () => {
    await plain.stop();
    await images.stop();
  });

  test('a redirect from http to https (trusted through the test CA) is followed', async () => {
    const fetched = await fetchImage(`${plain.url}/moved`, { caFile: images.caFile });
    assert.ok('image' in fetched, JSON.stringify(fetched));
    assert.deepEqual(
      [fetched.image.source, fetched.image.format, fetched.image.average],
      ['http', 'png', meanOf(picture).map(Math.round)],
    );
  });

  test('too many redirects, a server that never answers, an announced size over the cap: each a failure', async () => {
    assert.deepEqual(await fetchImage(`${plain.url}/loop`), {
      failure: { kind: 'download', message: 'too many redirects' },
    });
    assert.deepEqual(await fetchImage(`${images.url}/never.png`, { caFile: images.caFile, timeoutMs: 300 }), {
      failure: { kind: 'download', message: 'the image download timed out' },
    });
    const big = await fetchImage(`${plain.url}/big`);
    assert.equal('failure' in big && big.failure.kind, 'too_large');
  });

  test('data: URIs in base64 and percent-encoding', async () => {
    const png = pngOf(picture, 20, 10);
    const base64 = await fetchImage(`data:image/png;base64,${png.toString('base64')}`);
    const percent = await fetchImage(
      `data:image/png,${[...png].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`,
    );
    for (const fetched of [base64, percent]) {
      assert.ok('image' in fetched, JSON.stringify(fetched));
      assert.deepEqual([fetched.image.source, fetched.image.width, fetched.image.height], ['data', 20, 10]);
    }
  });
});
