// The videos HTTP API: POST starts a generation (202 + the app's own status URL), GET gives
// a friendly status with read links once done, DELETE cancels (terminates the instance and
// the provider's job). Bad input is answered with a problem body before anything starts.
// Names no provider: requests go to whichever adapter the registry resolves.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { JobClaims } from '../activities/job-claims.js';
import type { AppConfig } from '../config.js';
import { GENERATE_VIDEO, type GenerateVideoInput, type GenerateVideoProgress } from '../orchestrations/contracts.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ReadUrlSigner } from '../storage/read-urls.js';
import { problem } from './problem.js';
import { parseVideoRequest, type ProviderCatalog, type VideoRequest } from './video-request.js';
import { toVideoStatus } from './video-status.js';

/** Requests are a prompt and a few numbers: anything bigger is a mistake or abuse. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Ids we accept in URLs and Idempotency-Key: they become instance ids and blob name segments. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
const FINISHED = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);

export interface VideosApiDeps {
  config: () => AppConfig;
  providers: () => ProviderRegistry;
  claims: () => JobClaims;
  signer: () => ReadUrlSigner;
}

type DurableClient = ReturnType<typeof df.getClient>;
type DurableStatus = Awaited<ReturnType<DurableClient['getStatus']>>;

/** getStatus throws for an unknown id (the extension answers 404); that is "absent", not an error. */
async function findStatus(client: DurableClient, id: string, showInput = false): Promise<DurableStatus | undefined> {
  try {
    return await client.getStatus(id, { showInput });
  } catch (error) {
    if (/404/.test((error as Error).message)) return undefined;
    throw error;
  }
}

async function readJsonBody(request: HttpRequest): Promise<{ ok: true; body: unknown } | { ok: false; response: HttpResponseInit }> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
    return { ok: false, response: problem(415, 'Unsupported media type', `Send the request as JSON (Content-Type: application/json), not '${type || 'none'}'.`) };
  }
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES) return { ok: false, response: problem(413, 'Request too large', `The body may be at most ${MAX_BODY_BYTES} bytes.`) };
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES) return { ok: false, response: problem(413, 'Request too large', `The body may be at most ${MAX_BODY_BYTES} bytes.`) };
  try {
    return { ok: true, body: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) };
  } catch (error) {
    return { ok: false, response: problem(400, 'Invalid JSON', `The body is not valid UTF-8 JSON: ${(error as Error).message}`, [{ field: '', message: 'must be valid JSON' }]) };
  }
}

function sameRequest(a: VideoRequest, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What request validation knows of the configured providers: their names, kinds and model tables. */
export function catalogOf(registry: ProviderRegistry): ProviderCatalog {
  return { defaultProvider: registry.defaultName, providers: registry.list().map(({ name, kind, models }) => ({ name, kind, models })) };
}

export function createVideosApi(deps: VideosApiDeps) {
  /** 202 with the app's own status URL only. The durable management URLs carry the task hub's
   * system key, which would let any caller read, terminate or purge every instance; and the
   * base URL comes from the settings, never from the request (whose target a client chooses). */
  function accepted(instanceId: string, replayed: boolean): HttpResponseInit {
    const statusUri = `${deps.config().publicBaseUrl ?? ''}/api/videos/${instanceId}`;
    return {
      status: 202,
      headers: { location: statusUri, 'retry-after': '10', ...(replayed ? { 'idempotent-replayed': 'true' } : {}) },
      jsonBody: { id: instanceId, statusUri },
    };
  }

  async function startVideo(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const idempotencyKey = request.headers.get('idempotency-key') ?? undefined;
    if (idempotencyKey !== undefined && !ID_PATTERN.test(idempotencyKey)) {
      return problem(400, 'Invalid Idempotency-Key', 'Idempotency-Key must be 1-100 letters, digits, "-" or "_", starting with a letter or digit.', [{ field: 'Idempotency-Key', message: 'has an invalid format' }]);
    }
    const read = await readJsonBody(request);
    if (!read.ok) return read.response;
    const config = deps.config();
    const parsed = parseVideoRequest(read.body, catalogOf(deps.providers()));
    if (!parsed.ok) return problem(400, 'Invalid video request', parsed.problems.map((p) => `${p.field || 'body'} ${p.message}`).join('; '), parsed.problems);

    const client = df.getClient(context);
    if (idempotencyKey) {
      const existing = await findStatus(client, idempotencyKey, true);
      if (existing) {
        const previous = (existing.input as GenerateVideoInput | undefined)?.request;
        if (previous && !sameRequest(parsed.request, previous)) {
          return problem(422, 'Idempotency-Key reused', `The Idempotency-Key '${idempotencyKey}' was already used for a different request.`, [{ field: 'Idempotency-Key', message: 'was used with a different body' }]);
        }
        return accepted(idempotencyKey, true);
      }
    }
    const input: GenerateVideoInput = { request: parsed.request, deadlineMinutes: config.deadlineMinutes, poll: config.poll };
    let instanceId: string;
    try {
      instanceId = await client.startNew(GENERATE_VIDEO, { instanceId: idempotencyKey, input });
    } catch (error) {
      // Two requests with one key raced: the other one started it.
      if (idempotencyKey && (await findStatus(client, idempotencyKey))) return accepted(idempotencyKey, true);
      throw error;
    }
    const { provider, model, size, seconds } = parsed.request;
    context.log(`Started ${GENERATE_VIDEO} instance ${instanceId} (${provider} ${model}, ${size}, ${seconds}s)`);
    return accepted(instanceId, false);
  }

  async function getVideo(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const id = request.params.id;
    if (!ID_PATTERN.test(id)) return problem(400, 'Invalid id', 'The video id has an invalid format.', [{ field: 'id', message: 'has an invalid format' }]);
    const status = await findStatus(df.getClient(context), id, true);
    if (!status) return problem(404, 'Not found', `No video request with id '${id}'.`);
    const view = toVideoStatus(status);
    if (view.videos) {
      const signer = deps.signer();
      const container = deps.config().videoContainer;
      for (const blob of view.videos.flatMap((video) => (video.thumbnail ? [video, video.thumbnail] : [video]))) {
        const link = await signer.readUrl(container, blob.blobName);
        blob.url = link.url;
        blob.urlExpiresOn = link.expiresOn.toISOString();
      }
    }
    return { status: 200, jsonBody: view };
  }

  async function cancelVideo(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const id = request.params.id;
    if (!ID_PATTERN.test(id)) return problem(400, 'Invalid id', 'The video id has an invalid format.', [{ field: 'id', message: 'has an invalid format' }]);
    const client = df.getClient(context);
    const status = await findStatus(client, id);
    if (!status) return problem(404, 'Not found', `No video request with id '${id}'.`);
    if (FINISHED.has(status.runtimeStatus)) return problem(409, 'Already finished', `The video request '${id}' is already ${status.runtimeStatus}.`);
    await client.terminate(id, 'Cancelled by the caller');
    // The orchestrator cannot clean up after termination: cancel the provider's job here. The
    // claim knows the job even before the custom status does. The mark, written first, makes
    // a create still in flight cancel the job it is making (see createVideoJob).
    await deps.claims().markCancelled(id).catch((error: Error) => context.warn(`Could not mark ${id} cancelled: ${error.message}`));
    const progress = (status.customStatus ?? {}) as Partial<GenerateVideoProgress>;
    const intent = await deps.claims().readIntent(id).catch(() => undefined);
    const jobId = intent?.jobId ?? progress.jobId;
    const providerName = intent?.provider ?? progress.provider;
    const model = intent?.model ?? progress.model;
    const provider = providerName ? deps.providers().find(providerName) : undefined;
    let upstreamJobCancelled = false;
    if (jobId && provider && model) {
      upstreamJobCancelled = await provider.cancelJob({ model, jobId }).then(() => true, (error: Error) => {
        context.warn(`Could not cancel ${provider.name} job ${jobId}: ${error.message}`);
        return false;
      });
    }
    return { status: 202, jsonBody: { id, phase: 'cancelled', upstreamJobId: jobId ?? null, upstreamJobCancelled } };
  }

  return { startVideo, getVideo, cancelVideo };
}
