// GET /api/openapi.json: the API described as OpenAPI 3.1, generated from the zod schemas
// that validate requests (../requests/video-request.ts) and type the responses (api-schemas.ts,
// ../status/view-schemas.ts).
//
// Built with zod 4's own z.toJSONSchema rather than zod-openapi or
// @asteasolutions/zod-to-openapi (both support zod 4): OpenAPI 3.1 schemas *are* JSON Schema
// 2020-12, which z.toJSONSchema emits as is, so a library would add only the paths object,
// which is a few literals here. No dependency, nothing deployed beyond zod itself.
import { z } from 'zod';
import { neutralBody, quickstartBody } from '../requests/video-request.js';
import {
  admissionViewSchema,
  blobViewSchema,
  costViewSchema,
  requestViewSchema,
  upstreamViewSchema,
  videoPhaseSchema,
  videoStatusSchema,
  videoViewSchema,
} from '../status/view-schemas.js';
import {
  DAILY_BUDGET_PROBLEM,
  usageDaySchema,
  usageSchema,
  acceptedSchema,
  callbackReceiptSchema,
  cancelledSchema,
  fieldProblemSchema,
  listQuerySchema,
  modelViewSchema,
  problemSchema,
  providerViewSchema,
  videoListSchema,
  uploadSchema,
} from './api-schemas.js';
import { MAX_UPLOAD_BYTES } from '../uploads/receive-image.js';
import { ID_PATTERN, MAX_BODY_BYTES } from './videos-api.js';

type JsonObject = Record<string, unknown>;
const schemaRef = (id: string) => `#/components/schemas/${id}`;

/** Named schemas, emitted once under components.schemas and referenced by $ref. */
function componentSchemas(): Record<string, JsonObject> {
  // Responses are described as the handlers produce them (output), request bodies as callers
  // send them (input: `seconds` may be "4" before it becomes 4).
  const responses = z.registry<{ id: string }>();
  const named = {
    VideoStatus: videoStatusSchema,
    VideoPhase: videoPhaseSchema,
    Upstream: upstreamViewSchema,
    Admission: admissionViewSchema,
    Cost: costViewSchema,
    Usage: usageSchema,
    UsageDay: usageDaySchema,
    RequestView: requestViewSchema,
    StoredVideo: videoViewSchema,
    StoredBlob: blobViewSchema,
    Accepted: acceptedSchema,
    Cancelled: cancelledSchema,
    VideoList: videoListSchema,
    CallbackReceipt: callbackReceiptSchema,
    Provider: providerViewSchema,
    Model: modelViewSchema,
    Upload: uploadSchema,
    Problem: problemSchema,
    FieldProblem: fieldProblemSchema,
  };
  for (const [id, schema] of Object.entries(named)) responses.add(schema, { id });
  const requests = z.registry<{ id: string }>();
  requests.add(neutralBody, { id: 'VideoRequest' });
  requests.add(quickstartBody, { id: 'QuickstartVideoRequest' });
  const emit = (registry: typeof responses, io: 'input' | 'output') =>
    z.toJSONSchema(registry, { target: 'draft-2020-12', io, uri: schemaRef }).schemas as Record<
      string,
      JsonObject
    >;
  const all = { ...emit(responses, 'output'), ...emit(requests, 'input') };
  // The document declares the dialect once (jsonSchemaDialect); per-schema $schema is noise. The
  // $id zod sets ("#/components/schemas/X") is a fragment, which JSON Schema 2020-12 forbids in
  // $id: each schema is addressed by its place in the document, as OpenAPI intends.
  for (const schema of Object.values(all)) {
    delete schema.$schema;
    delete schema.$id;
  }
  return all;
}

/** One query parameter's schema, from the same zod schema the list handler parses with. */
function queryParameter(name: keyof typeof listQuerySchema.shape): JsonObject {
  const field = listQuerySchema.shape[name];
  const schema = z.toJSONSchema(field, { target: 'draft-2020-12', io: 'input' }) as JsonObject;
  delete schema.$schema;
  return { name, in: 'query', required: false, description: field.description, schema };
}

const json = (schema: JsonObject) => ({ 'application/json': { schema } });
const ref = (id: string) => ({ $ref: schemaRef(id) });
const ok = (description: string, schema: JsonObject, headers?: JsonObject) => ({
  description,
  content: json(schema),
  ...(headers ? { headers } : {}),
});
const problemAnswer = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const unavailable = problemAnswer('The durable backend did not answer in time; try again (see Retry-After).');
const idParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: "The request id (the 202's `id`).",
  schema: { type: 'string', pattern: ID_PATTERN.source },
};

/** What a route behind a function key answers without one. The Functions host answers it, not
 * the app (on Azure with an empty body; the project's Node host with a JSON message). */
const missingKey = {
  description:
    'No valid function key (on Azure; locally only under the Node host with --require-keys). Answered by the Functions host.',
  content: { 'application/json': { schema: { type: 'object' } } },
};

/** Adds the 401 to every operation that needs a function key (those without `security: []`). */
function withKeyAnswers(document: JsonObject): JsonObject {
  for (const item of Object.values(document.paths as Record<string, Record<string, JsonObject>>)) {
    for (const [method, operation] of Object.entries(item)) {
      if (method === 'parameters' || (Array.isArray(operation.security) && operation.security.length === 0))
        continue;
      (operation.responses as JsonObject)[401] ??= missingKey;
    }
  }
  return document;
}

/** Names the configured provider instances where a request names one: the body's `provider`,
 * the list's `provider` filter and the webhook path. */
function withProviderNames(document: JsonObject, names: readonly string[] | undefined): JsonObject {
  if (!names?.length) return document;
  const listed = {
    enum: [...names],
    description: `One of the configured provider instances: ${names.join(', ')}.`,
  };
  const schemas = (document.components as { schemas: Record<string, JsonObject> }).schemas;
  const body = schemas.VideoRequest?.properties as Record<string, JsonObject> | undefined;
  if (body?.provider) Object.assign(body.provider, listed);
  const paths = document.paths as Record<string, Record<string, { parameters?: JsonObject[] }>>;
  for (const operation of [paths['/api/videos'].get, paths['/api/callbacks/{provider}'].post])
    for (const parameter of operation?.parameters ?? [])
      if (parameter.name === 'provider') Object.assign(parameter.schema as JsonObject, listed);
  return document;
}

export function buildOpenApiDocument(
  options: { publicBaseUrl?: string; providerNames?: readonly string[] } = {},
): JsonObject {
  return withProviderNames(
    withKeyAnswers({
      openapi: '3.1.0',
      jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
      info: {
        title: 'Durable video generation',
        version: '1',
        description:
          'Generate videos through a durable pipeline: POST a prompt, follow the status URL, read the stored videos through short-lived read links. ' +
          'Every error is an RFC 9457 problem (application/problem+json) whose errors[] name the bad fields. ' +
          'On Azure every route but the gallery page needs a function key (x-functions-key header or ?code=); locally none.',
      },
      ...(options.publicBaseUrl ? { servers: [{ url: options.publicBaseUrl }] } : {}),
      security: [{ functionKey: [] }, { functionKeyQuery: [] }, {}],
      paths: {
        '/api/videos': {
          post: {
            operationId: 'startVideo',
            summary: 'Start generating a video',
            parameters: [
              {
                name: 'Idempotency-Key',
                in: 'header',
                required: false,
                description:
                  "Makes the request safe to send again: the same key with the same body starts nothing new and answers with the same id; a different body under the key gets 422. The id is derived from the key with the deployment's secret (the key itself names nothing); a deployment without that secret refuses the header with 400.",
                schema: { type: 'string', pattern: ID_PATTERN.source },
              },
            ],
            requestBody: {
              required: true,
              description: `The provider-neutral body, or the quickstart body (width, height, n_seconds, n_variants) for models that take it. At most ${MAX_BODY_BYTES} bytes.`,
              content: json({ anyOf: [ref('VideoRequest'), ref('QuickstartVideoRequest')] }),
            },
            responses: {
              202: ok('Started (or, with a known Idempotency-Key, started before).', ref('Accepted'), {
                Location: { description: 'The status URL (statusUri).', schema: { type: 'string' } },
                'Retry-After': {
                  description: 'Seconds to wait before the first status call.',
                  schema: { type: 'string' },
                },
              }),
              400: problemAnswer('The body or a header is invalid; errors[] names each field.'),
              413: problemAnswer(`The body is over ${MAX_BODY_BYTES} bytes.`),
              415: problemAnswer('The body is not sent as JSON.'),
              422: problemAnswer('The Idempotency-Key was already used for a different request.'),
              429: {
                ...problemAnswer(
                  `The request's estimate would cross its provider's daily budget (<P>_DAILY_BUDGET_USD): type ${DAILY_BUDGET_PROBLEM}, with budgetUsd, spentUsd, estimatedUsd and resetAt. Nothing was started.`,
                ),
                headers: {
                  'Retry-After': {
                    description: 'Seconds until the budget resets.',
                    schema: { type: 'string' },
                  },
                },
              },
              503: unavailable,
            },
          },
          get: {
            operationId: 'listVideos',
            summary: 'List requests, newest first',
            parameters: (['limit', 'phase', 'provider', 'continuationToken'] as const).map(queryParameter),
            responses: {
              200: ok(
                'A page of requests; each item is the view GET /api/videos/{id} answers, its request.callbackUrl without the query string.',
                ref('VideoList'),
              ),
              400: problemAnswer('A query parameter is invalid; errors[] names it.'),
              503: unavailable,
            },
          },
        },
        '/api/videos/{id}': {
          parameters: [idParameter],
          get: {
            operationId: 'getVideo',
            summary: 'Status of a request, with read links to its videos once completed',
            responses: {
              200: ok('The status.', ref('VideoStatus')),
              400: problemAnswer('The id has an invalid format.'),
              404: problemAnswer('No request with this id.'),
              503: unavailable,
            },
          },
          delete: {
            operationId: 'deleteVideo',
            summary: 'Cancel a running request, or delete an ended one',
            description:
              "A request still running (or pending) is cancelled: its orchestration is terminated and its provider's job cancelled; it stays, phase `cancelled` (202). " +
              'An ended one (completed, failed or cancelled) is deleted: its stored videos and thumbnails, its claims, the delivery of its callback and its history; GET answers 404 from then on and the list no longer shows it (204). ' +
              'A DELETE that stopped part way (503) is finished by sending it again.',
            responses: {
              202: ok('The running request was cancelled.', ref('Cancelled')),
              204: { description: 'The ended request was deleted, with everything it stored.' },
              400: problemAnswer('The id has an invalid format.'),
              404: problemAnswer('No request with this id (or no longer: it was deleted).'),
              503: unavailable,
            },
          },
        },
        '/api/uploads': {
          post: {
            operationId: 'uploadImage',
            summary: 'Upload a start image for image-to-video requests',
            description:
              "The image's bytes are the body, sent under their own Content-Type: PNG, JPEG or WebP, at most " +
              `${MAX_UPLOAD_BYTES} bytes (10 MiB). The format is checked by its magic bytes, the whole file by its structure (a truncated image is refused) and the dimensions from its headers; nothing is stored unless all of it passes. ` +
              'The image is never served back: a provider gets a short-lived read link when a request uses the upload. It expires after UPLOAD_TTL_HOURS (default 24) and is then deleted; a request using it keeps it until the request ends.',
            requestBody: {
              required: true,
              content: Object.fromEntries(
                ['image/png', 'image/jpeg', 'image/webp'].map((type) => [
                  type,
                  { schema: { type: 'string', contentMediaType: type } },
                ]),
              ),
            },
            responses: {
              201: ok('Stored; use uploadId in POST /api/videos.', ref('Upload')),
              400: problemAnswer(
                'The body is not an image, or a damaged one (e.g. truncated); errors[] names the body (field "").',
              ),
              413: problemAnswer(
                `The image is over ${MAX_UPLOAD_BYTES} bytes: refused at its Content-Length, or where the body passed the limit.`,
              ),
              415: problemAnswer(
                'The Content-Type is not image/png, image/jpeg or image/webp (errors[] names Content-Type), or the bytes are another format than it says, SVG included (errors[] names the body).',
              ),
              503: unavailable,
            },
          },
        },
        '/api/providers': {
          get: {
            operationId: 'listProviders',
            summary: 'The configured providers and what each model accepts',
            responses: {
              200: ok('The providers; the default one says `default: true`.', {
                type: 'array',
                items: ref('Provider'),
              }),
            },
          },
        },
        '/api/usage': {
          get: {
            operationId: 'getUsage',
            summary: 'What each provider account was used for, per UTC day',
            parameters: [
              {
                name: 'from',
                in: 'query',
                required: false,
                description: 'First UTC day, YYYY-MM-DD (default today).',
                schema: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
              },
              {
                name: 'to',
                in: 'query',
                required: false,
                description: 'Last UTC day, YYYY-MM-DD (default from); at most 400 days after from.',
                schema: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
              },
              {
                name: 'provider',
                in: 'query',
                required: false,
                description: 'Only this configured provider.',
                schema: { type: 'string' },
              },
            ],
            responses: {
              200: ok(
                'Per provider and UTC day: requests, upstream jobs, seconds, estimated USD, budget refusals.',
                ref('Usage'),
              ),
              400: problemAnswer('A bad day or an unknown provider; errors[] names the parameter.'),
              503: unavailable,
            },
          },
        },
        '/api/callbacks/{provider}': {
          post: {
            operationId: 'providerCallback',
            summary:
              "A provider's webhook about a job (fal, Replicate): wakes the request at once instead of at its next poll",
            description:
              "No function key (providers cannot hold one): every webhook must carry the provider's valid, fresh signature.",
            security: [],
            parameters: [
              {
                name: 'provider',
                in: 'path',
                required: true,
                description: 'The configured provider name.',
                schema: { type: 'string' },
              },
            ],
            requestBody: {
              required: true,
              description: "The provider's own webhook payload, as it signed it.",
              content: { 'application/json': { schema: {} } },
            },
            responses: {
              200: ok('Verified and handed to the request.', ref('CallbackReceipt')),
              401: problemAnswer(
                'Not signed by a provider this app accepts webhooks from, or the signature is invalid or stale.',
              ),
              404: problemAnswer('No request owns this job (yet): the provider retries.'),
              413: problemAnswer('The body is too large.'),
              503: problemAnswer('The signature could not be checked right now (see Retry-After).'),
            },
          },
        },
        '/api/openapi.json': {
          get: {
            operationId: 'getOpenApi',
            summary: 'This document',
            responses: { 200: ok('OpenAPI 3.1.', { type: 'object' }) },
          },
        },
        '/api/gallery': {
          get: {
            operationId: 'gallery',
            summary: 'A page to generate and watch videos in a browser',
            security: [],
            responses: {
              200: {
                description: 'The page (it asks for a function key when the API needs one).',
                content: { 'text/html': { schema: { type: 'string' } } },
              },
            },
          },
        },
      },
      components: {
        schemas: componentSchemas(),
        securitySchemes: {
          functionKey: {
            type: 'apiKey',
            in: 'header',
            name: 'x-functions-key',
            description: 'An Azure Functions function key.',
          },
          functionKeyQuery: { type: 'apiKey', in: 'query', name: 'code' },
        },
      },
    }),
    options.providerNames,
  );
}
