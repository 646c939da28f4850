// Each adapter's wire form of the request's image (issue 23), over real HTTP on loopback: a capture
// server stands for the provider's create route and records the request exactly as it arrived
// (the provider emulators learn the image-to-video models on another branch). fal and Replicate get
// the link in the model's own input; the OpenAI videos API (Sora 2) gets the image's bytes as the
// multipart file input_reference: an upload from the store, or a caller's link fetched under the
// foreign-URL rule and refused unless it is a PNG/JPEG/WebP of the video's size.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { callbackUrlProblem } from '../../src/callbacks/callback-url.js';
import { ProviderPermanentError } from '../../src/errors.js';
import { createAiSdkProvider } from '../../src/providers/ai-sdk/provider.js';
import { createAzureOpenAiProvider } from '../../src/providers/azure-openai/provider.js';
import { createFalProvider } from '../../src/providers/fal/provider.js';
import type { ForeignUrlRule } from '../../src/providers/http/transport.js';
import { createOpenAiVideosProvider } from '../../src/providers/openai-videos/provider.js';
import type { JobImage, JobSpec } from '../../src/providers/provider.js';
import { createReplicateProvider } from '../../src/providers/replicate/provider.js';
import { solidPng } from '../support/test-images.js';

interface Captured {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A loopback server answering every request with `answer` (JSON, or raw bytes with a type). */
async function withServer<T>(
  answer: (request: Captured) => { status?: number; json?: unknown; bytes?: Buffer; type?: string },
  body: (url: string, requests: Captured[]) => Promise<T>,
): Promise<T> {
  const requests: Captured[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const captured = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(captured);
      const reply = answer(captured);
      const payload = reply.bytes ?? Buffer.from(JSON.stringify(reply.json ?? {}));
      res
        .writeHead(reply.status ?? 200, {
          'content-type': reply.bytes ? (reply.type ?? 'application/octet-stream') : 'application/json',
          'content-length': payload.length,
        })
        .end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await body(`http://127.0.0.1:${port}`, requests);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The registry's rule in local development: loopback allowed. */
const localRule: ForeignUrlRule = (url) => callbackUrlProblem(url, { allowLoopback: true });
const link = (url: string, field: string): JobImage => ({
  role: 'first-frame',
  field,
  url,
  source: { kind: 'link' },
});
const upload = (bytes: Buffer, field: string): JobImage => ({
  role: 'first-frame',
  field,
  url: 'https://blob.example/uploads/upl_AAAAAAAAAAAAAAAAAAAAAA?sig=secret',
  source: {
    kind: 'upload',
    uploadId: 'upl_AAAAAAAAAAAAAAAAAAAAAA',
    open: async () => ({ stream: Readable.from([bytes]), contentType: 'image/png', bytes: bytes.length }),
  },
});
const IMAGE_LINK = 'https://images.example.com/heron.png';

describe('fal: the link as the model’s image_url', () => {
  const falAnswer = () => ({ json: { request_id: 'req_1', status: 'IN_QUEUE' } });
  test('kling v2.1 image-to-video: image_url, duration, and no aspect_ratio (the video follows the image)', async () => {
    await withServer(falAnswer, async (url, requests) => {
      const fal = createFalProvider('fal', { queueUrl: url, apiKey: 'k' }, { requestTimeoutMs: 5000 });
      const spec: JobSpec = {
        model: 'fal-ai/kling-video/v2.1/standard/image-to-video',
        prompt: 'A heron takes off.',
        seconds: 10,
        size: 'auto',
        variants: 1,
        image: link(IMAGE_LINK, 'image_url'),
      };
      await fal.createJob(spec);
      assert.equal(requests[0].url, '/fal-ai/kling-video/v2.1/standard/image-to-video');
      assert.deepEqual(JSON.parse(requests[0].body.toString()), {
        prompt: 'A heron takes off.',
        duration: '10',
        image_url: IMAGE_LINK,
      });
    });
  });
  test('veo3.1 image-to-video: aspect_ratio "auto" is sent as fal names it', async () => {
    await withServer(falAnswer, async (url, requests) => {
      const fal = createFalProvider('fal', { queueUrl: url, apiKey: 'k' }, { requestTimeoutMs: 5000 });
      await fal.createJob({
        model: 'fal-ai/veo3.1/image-to-video',
        prompt: 'p',
        seconds: 8,
        size: 'auto',
        variants: 1,
        image: upload(solidPng(4, 4, [1, 2, 3]), 'image_url'),
      });
      const sent = JSON.parse(requests[0].body.toString());
      assert.equal(sent.aspect_ratio, 'auto');
      assert.equal(sent.duration, '8s');
      assert.equal(sent.image_url, 'https://blob.example/uploads/upl_AAAAAAAAAAAAAAAAAAAAAA?sig=secret');
    });
  });
  test('kling v2.6 image-to-video: the link as start_image_url, the model’s own name for it', async () => {
    await withServer(falAnswer, async (url, requests) => {
      const fal = createFalProvider('fal', { queueUrl: url, apiKey: 'k' }, { requestTimeoutMs: 5000 });
      await fal.createJob({
        model: 'fal-ai/kling-video/v2.6/pro/image-to-video',
        prompt: 'p',
        seconds: 5,
        size: 'auto',
        variants: 1,
        image: link(IMAGE_LINK, 'start_image_url'),
      });
      assert.deepEqual(JSON.parse(requests[0].body.toString()), {
        prompt: 'p',
        duration: '5',
        start_image_url: IMAGE_LINK,
      });
    });
  });
  // Rows without a duration or aspect ratio input (issue 26): nothing is sent for what the model lacks.
  for (const { model, size, expect } of [
    { model: 'fal-ai/minimax/hailuo-02/pro/text-to-video', size: '16:9', expect: {} },
    { model: 'fal-ai/wan/v2.2-a14b/text-to-video', size: '9:16', expect: { aspect_ratio: '9:16' } },
  ])
    test(`${model}: no duration input, none sent`, async () => {
      await withServer(falAnswer, async (url, requests) => {
        const fal = createFalProvider('fal', { queueUrl: url, apiKey: 'k' }, { requestTimeoutMs: 5000 });
        await fal.createJob({ model, prompt: 'p', seconds: 5, size, variants: 1 });
        assert.deepEqual(JSON.parse(requests[0].body.toString()), { prompt: 'p', ...expect });
      });
    });
});

describe('Replicate: the link in the model’s own input', () => {
  const prediction = (input: unknown) => ({
    json: { id: 'p1', model: 'm', status: 'starting', input, created_at: '2026-12-07T00:00:00Z' },
    status: 201,
  });
  const cases: Array<{ model: string; field: string; size: string; expect: Record<string, unknown> }> = [
    { model: 'minimax/hailuo-02', field: 'first_frame_image', size: 'auto', expect: { duration: 6 } },
    { model: 'kwaivgi/kling-v2.1', field: 'start_image', size: 'auto', expect: { duration: 5 } },
    { model: 'wan-video/wan-2.2-i2v-fast', field: 'image', size: '16:9', expect: { aspect_ratio: '16:9' } },
    { model: 'google/veo-3.1', field: 'image', size: '16:9', expect: { duration: 8, aspect_ratio: '16:9' } },
  ];
  for (const { model, field, size, expect } of cases)
    test(`${model}: ${field}`, async () => {
      await withServer(
        (request) => prediction(JSON.parse(request.body.toString()).input),
        async (url, requests) => {
          const replicate = createReplicateProvider(
            'replicate',
            { baseUrl: url, apiToken: 'k' },
            { requestTimeoutMs: 5000 },
          );
          const seconds = (expect.duration as number | undefined) ?? 5;
          await replicate.createJob({
            model,
            prompt: 'p',
            seconds,
            size,
            variants: 1,
            image: link(IMAGE_LINK, field),
          });
          assert.equal(requests[0].url, `/models/${model}/predictions`);
          assert.deepEqual(JSON.parse(requests[0].body.toString()).input, {
            prompt: 'p',
            ...expect,
            [field]: IMAGE_LINK,
          });
        },
      );
    });
});

describe('OpenAI videos API (Sora 2): the bytes as the multipart file input_reference', () => {
  const video = {
    id: 'video_1',
    status: 'queued',
    created_at: 1,
    size: '1280x720',
    seconds: '4',
    model: 'sora-2',
  };
  const spec = (image: JobImage): JobSpec => ({
    model: 'sora-2',
    prompt: 'A heron takes off.',
    seconds: 4,
    size: '1280x720',
    variants: 1,
    image,
  });
  const formOf = (captured: Captured) =>
    new Response(new Uint8Array(captured.body), {
      headers: { 'content-type': String(captured.headers['content-type']) },
    }).formData();
  const openAiOn = (url: string, foreignUrls?: ForeignUrlRule) =>
    createOpenAiVideosProvider(
      'openai',
      { baseUrl: url, apiKey: 'k' },
      { requestTimeoutMs: 5000, foreignUrls },
    );

  test('an upload: its bytes, typed, beside the usual fields', async () => {
    const png = solidPng(1280, 720, [200, 40, 40]);
    await withServer(
      () => ({ json: video }),
      async (url, requests) => {
        await openAiOn(url).createJob(spec(upload(png, 'input_reference')));
        assert.match(String(requests[0].headers['content-type']), /^multipart\/form-data; boundary=/);
        const form = await formOf(requests[0]);
        assert.deepEqual(
          ['model', 'prompt', 'size', 'seconds'].map((name) => form.get(name)),
          ['sora-2', 'A heron takes off.', '1280x720', '4'],
        );
        const file = form.get('input_reference') as File;
        assert.equal(file.type, 'image/png');
        assert.ok(Buffer.from(await file.arrayBuffer()).equals(png));
      },
    );
  });

  test("a caller's link: fetched under the rule, its bytes sent", async () => {
    const png = solidPng(1280, 720, [10, 200, 10]);
    await withServer(
      () => ({ bytes: png, type: 'image/png' }),
      async (imageHost) => {
        await withServer(
          () => ({ json: video }),
          async (url, requests) => {
            await openAiOn(url, localRule).createJob(spec(link(`${imageHost}/heron.png`, 'input_reference')));
            const file = (await formOf(requests[0])).get('input_reference') as File;
            assert.ok(Buffer.from(await file.arrayBuffer()).equals(png));
          },
        );
      },
    );
  });

  const refusedBeforeCreate = async (
    served: { bytes: Buffer; type: string },
    rule: ForeignUrlRule | undefined,
    code: string,
  ) =>
    withServer(
      () => served,
      async (imageHost) =>
        withServer(
          () => ({ json: video }),
          async (url, requests) => {
            await assert.rejects(
              openAiOn(url, rule).createJob(spec(link(`${imageHost}/x`, 'input_reference'))),
              (error: unknown) => error instanceof ProviderPermanentError && error.code === code,
            );
            assert.equal(requests.length, 0, 'no create was sent');
          },
        ),
    );

  test('a link to an image of another size is refused, and no create is sent', async () => {
    await refusedBeforeCreate(
      { bytes: solidPng(640, 480, [1, 1, 1]), type: 'image/png' },
      localRule,
      'image_size_mismatch',
    );
  });
  test('a link to something that is not a PNG, JPEG or WebP (SVG) is refused', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="720"></svg>');
    await refusedBeforeCreate({ bytes: svg, type: 'image/png' }, localRule, 'invalid_image');
  });
  test('a truncated PNG is refused', async () => {
    await refusedBeforeCreate(
      { bytes: solidPng(1280, 720, [1, 1, 1]).subarray(0, 20), type: 'image/png' },
      localRule,
      'invalid_image',
    );
  });
  test('without a foreign-URL rule no link is fetched at all', async () => {
    await refusedBeforeCreate(
      { bytes: solidPng(1280, 720, [1, 1, 1]), type: 'image/png' },
      undefined,
      'unsafe_output_url',
    );
  });
  test('a link over 10 MiB is refused before it is read in full', async () => {
    await refusedBeforeCreate(
      { bytes: Buffer.alloc(10 * 1024 * 1024 + 1), type: 'image/png' },
      localRule,
      'image_too_large',
    );
  });
});

describe('Veo through @ai-sdk/google: the bytes as instances[0].image', () => {
  test('an upload: base64 bytes and their type, on the Gemini API route', async () => {
    const png = solidPng(16, 9, [30, 60, 90]);
    await withServer(
      () => ({ json: { name: 'models/veo-3.1-generate-preview/operations/op1', done: false } }),
      async (url, requests) => {
        const saved: string[] = [];
        const google = createAiSdkProvider(
          'google',
          { package: '@ai-sdk/google', apiKey: 'k', baseUrl: `${url}/v1beta` },
          {
            requestTimeoutMs: 5000,
            handles: { save: async (_p, _j, handle) => void saved.push(handle), load: async () => saved[0] },
          },
        );
        await google.createJob({
          model: 'veo-3.1-generate-preview',
          prompt: 'A heron takes off.',
          seconds: 8,
          size: '16:9',
          variants: 1,
          image: upload(png, 'image'),
        });
        assert.match(requests[0].url, /\/v1beta\/models\/veo-3\.1-generate-preview:predictLongRunning$/);
        const sent = JSON.parse(requests[0].body.toString());
        assert.deepEqual(sent.instances[0].image, {
          bytesBase64Encoded: png.toString('base64'),
          mimeType: 'image/png',
        });
        assert.equal(sent.instances[0].prompt, 'A heron takes off.');
      },
    );
  });
});

describe('Azure OpenAI Sora jobs API (Sora 1): the bytes as files + an inpainting item at frame 0', () => {
  test('an upload: the fields as strings, the file, and inpaint_items naming it', async () => {
    const png = solidPng(480, 480, [90, 90, 200]);
    const job = { id: 'task_1', status: 'queued', created_at: 1, generations: [] };
    await withServer(
      () => ({ json: job }),
      async (url, requests) => {
        const azure = createAzureOpenAiProvider(
          'azure-openai',
          { endpoint: url, apiKey: 'k', jobsDeployment: 'sora', videosDeployment: 'sora-2' },
          { requestTimeoutMs: 5000 },
        );
        await azure.createJob({
          model: 'sora',
          prompt: 'A heron takes off.',
          seconds: 5,
          size: '480x480',
          variants: 1,
          image: upload(png, 'files'),
        });
        assert.match(requests[0].url, /^\/openai\/v1\/video\/generations\/jobs\?api-version=preview$/);
        const form = await new Response(new Uint8Array(requests[0].body), {
          headers: { 'content-type': String(requests[0].headers['content-type']) },
        }).formData();
        assert.deepEqual(
          ['model', 'prompt', 'width', 'height', 'n_seconds', 'n_variants'].map((name) => form.get(name)),
          ['sora', 'A heron takes off.', '480', '480', '5', '1'],
        );
        const file = form.get('files') as File;
        assert.ok(Buffer.from(await file.arrayBuffer()).equals(png));
        assert.deepEqual(JSON.parse(String(form.get('inpaint_items'))), [
          {
            frame_index: 0,
            type: 'image',
            file_name: file.name,
            crop_bounds: { left_fraction: 0, top_fraction: 0, right_fraction: 1, bottom_fraction: 1 },
          },
        ]);
      },
    );
  });
});
