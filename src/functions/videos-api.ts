// The videos HTTP API: POST starts a generation (202 + the app's own status URL), GET gives
// a friendly status with read links once done, DELETE cancels a running request (terminates
// the instance and the provider's job) and deletes an ended one (its videos, claims and
// instance). Bad input is answered with a problem body before anything starts.
// Names no provider: requests go to whichever adapter the registry resolves.
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { AppConfig } from '../config.js';
import {
  ADMISSION_ENTITY,
  GENERATE_VIDEO,
  type GenerateVideoInput,
  type GenerateVideoProgress,
} from '../orchestrations/contracts.js';
import { admissionWaitLeaseMs } from '../orchestrations/poll-policy.js';
import { withTimeout } from '../storage/with-timeout.js';

type DurableClient = ReturnType<typeof df.getClient>;
import { cancelRun } from './cancel-run.js';
import { deleteEndedRequest, hasFinished } from './delete-request.js';
import { instanceIdForKey, requestHash } from '../requests/instance-ids.js';
import { startGeneration } from './start-generation.js';
import { admissionOf, usageAccountOf } from '../admission/limits.js';
import { estimatedCost, priceOfRequest, type RequestPrice } from '../admission/cost.js';
import type { AccountLimits } from '../admission/limits.js';
import { emptyLine, overBudget, type EnqueueInput, type LineState } from '../admission/line.js';
import { DAILY_BUDGET_PROBLEM } from './problem-types.js';
import { answeringTimeoutsWith503 } from './unavailable.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { JobClaims } from '../storage/job-claims.js';
import type { ReadUrlSigner } from '../storage/read-urls.js';
import { problem } from './problem.js';
import { readLimited } from './read-body.js';
import {
  catalogOf,
  checkRequestImage,
  parseVideoRequest,
  type VideoRequest,
} from '../requests/video-request.js';
import type { UploadStore } from '../uploads/upload-record.js';
import { callbackUrlProblem } from '../callbacks/callback-url.js';
import { startCallbackDelivery } from '../activities/callback-activities.js';
import { CALLBACK_RETRY } from '../orchestrations/contracts.js';
import { findVideoRequest } from '../status/find-status.js';
import { completeView } from '../status/status-links.js';
import { toVideoStatus } from '../status/video-status.js';
import { addFinishedAfterCancel } from '../status/after-cancel.js';

/** Requests are a prompt and a few numbers: anything bigger is a mistake or abuse. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Ids we accept in URLs (instance ids, blob name segments), and the shape of an Idempotency-Key
 * (which is never an id itself: see ../requests/instance-ids.ts). */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

export interface VideosApiDeps {
  config: () => AppConfig;
  providers: () => ProviderRegistry;
  claims: () => JobClaims;
  signer: () => ReadUrlSigner;
  /** The uploaded images a request's `image: {uploadId}` names; absent: no uploads here. */
  uploads?: () => UploadStore;
}

async function readJsonBody(
  request: HttpRequest,
): Promise<{ ok: true; body: unknown } | { ok: false; response: HttpResponseInit }> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(type)) {
    return {
      ok: false,
      response: problem(
        415,
        'Unsupported media type',
        `Send the request as JSON (Content-Type: application/json), not '${type || 'none'}'.`,
      ),
    };
  }
  const bytes = await readLimited(request, MAX_BODY_BYTES);
  if (!bytes)
    return {
      ok: false,
      response: problem(413, 'Request too large', `The body may be at most ${MAX_BODY_BYTES} bytes.`),
    };
  try {
    return { ok: true, body: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) };
  } catch (error) {
    return {
      ok: false,
      response: problem(
        400,
        'Invalid JSON',
        `The body is not valid UTF-8 JSON: ${(error as Error).message}`,
        [{ field: '', message: 'must be valid JSON' }],
      ),
    };
  }
}

const notFound = (id: string) => problem(404, 'Not found', `No video request with id '${id}'.`);

export function createVideosApi(deps: VideosApiDeps) {
  /** 202 with the app's own status URL only. The durable management URLs carry the task hub's
   * system key, which would let any caller read, terminate or purge every instance; and the
   * base URL comes from the settings, never from the request (whose target a client chooses). */
  function accepted(instanceId: string, replayed: boolean): HttpResponseInit {
    const statusUri = `${deps.config().publicBaseUrl ?? ''}/api/videos/${instanceId}`;
    return {
      status: 202,
      headers: {
        location: statusUri,
        'retry-after': '10',
        ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
      },
      jsonBody: { id: instanceId, statusUri },
    };
  }

  async function startVideo(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const idempotencyKey = request.headers.get('idempotency-key') ?? undefined;
    if (idempotencyKey !== undefined && !ID_PATTERN.test(idempotencyKey)) {
      return problem(
        400,
        'Invalid Idempotency-Key',
        'Idempotency-Key must be 1-100 letters, digits, "-" or "_", starting with a letter or digit.',
        [{ field: 'Idempotency-Key', message: 'has an invalid format' }],
      );
    }
    const read = await readJsonBody(request);
    if (!read.ok) return read.response;
    const config = deps.config();
    const callbacks = {
      enabled: config.outboundWebhookSecret !== undefined,
      allowLoopback: config.allowLocalCallbacks,
    };
    const catalog = catalogOf(deps.providers());
    const parsed = parseVideoRequest(read.body, catalog, callbacks);
    // The upload an image names: it exists, has not expired, fits the model (nothing started yet).
    const problems = parsed.ok
      ? await checkRequestImage(parsed.request, catalog, deps.uploads?.())
      : parsed.problems;
    if (!parsed.ok || problems.length > 0)
      return problem(
        400,
        'Invalid video request',
        problems.map((p) => `${p.field || 'body'} ${p.message}`).join('; '),
        problems,
      );
    // The callback's host must resolve to public addresses only (checked again at each delivery).
    const unsafe = parsed.request.callbackUrl
      ? await callbackUrlProblem(parsed.request.callbackUrl, { allowLoopback: callbacks.allowLoopback })
      : undefined;
    if (unsafe)
      return problem(400, 'Invalid video request', `callbackUrl ${unsafe}`, [
        { field: 'callbackUrl', message: unsafe },
      ]);

    // The key never names the instance itself (anyone guessing a key could read or cancel the
    // video): its id is derived with the deployment's secret, and without one keys are refused.
    const secret = config.idempotencyKeySecret;
    if (idempotencyKey && !secret) {
      return problem(
        400,
        'Idempotency-Key not accepted',
        'This deployment has no IDEMPOTENCY_KEY_SECRET to derive request ids from Idempotency-Key with, so it does not take the header; send the request without it.',
        [{ field: 'Idempotency-Key', message: 'is not accepted by this deployment' }],
      );
    }
    const keyed =
      idempotencyKey && secret
        ? {
            instanceId: instanceIdForKey(secret, idempotencyKey),
            requestHash: requestHash(secret, parsed.request),
          }
        : undefined;
    const limited = admissionOf(deps.providers(), config, parsed.request);
    const admission = limited && { ...limited, arrivedAt: Date.now() };
    const price = priceOfRequest(deps.providers(), parsed.request);
    const usageAccount = usageAccountOf(deps.providers(), parsed.request);
    const input: GenerateVideoInput = {
      request: parsed.request,
      deadlineMinutes: config.deadlineMinutes,
      poll: config.poll,
      ...(admission ? { admission } : {}),
      ...(usageAccount ? { usageAccount } : {}),
      ...(price ? { price } : {}),
    };
    const client = df.getClient(context);
    if (admission && price && admission.limits.dailyBudgetUsd !== undefined) {
      const refused = await budgetRefusal(client, admission, price, parsed.request, context);
      if (refused) return refused;
    }
    const started = await startGeneration(client, input, keyed, (late, runId) => {
      // Answered 503 already, so nobody knows this instance: cancel it rather than bill a job.
      context.warn(`The start of ${late} went through after its caller was answered 503; cancelling it`);
      void cancelRun(
        deps,
        client,
        { instanceId: late, runId, account: admission?.account },
        {},
        context,
      ).catch((error: Error) => context.warn(`Could not cancel ${late}: ${error.message}`));
    });
    if (started.kind === 'conflict') {
      return problem(
        422,
        'Idempotency-Key reused',
        'This Idempotency-Key was already used for a different request.',
        [{ field: 'Idempotency-Key', message: 'was used with a different body' }],
      );
    }
    if (started.kind === 'replayed') return accepted(started.instanceId, true);
    if (admission) await enqueueTurn(client, admission, started, config.poll, context);
    const { provider, model, size, seconds } = parsed.request;
    context.log(
      `Started ${GENERATE_VIDEO} instance ${started.instanceId} run ${started.runId} (${provider} ${model}, ${size}, ${seconds}s)`,
    );
    return accepted(started.instanceId, false);
  }

  /** A 429 naming the budget when this request's estimate would cross its provider's daily
   * budget (the line checks again at admission, against requests started meanwhile). */
  async function budgetRefusal(
    client: DurableClient,
    admission: AccountLimits,
    price: RequestPrice,
    request: VideoRequest,
    context: InvocationContext,
  ): Promise<HttpResponseInit | undefined> {
    const entity = new df.EntityId(ADMISSION_ENTITY, admission.account);
    const read = await withTimeout(
      `reading the usage of ${admission.account}`,
      client.readEntityState<LineState>(entity),
    );
    const now = Date.now();
    const { estimatedUsd } = estimatedCost(price, request);
    const refusal = overBudget(
      read.entityState ?? emptyLine(),
      admission.limits.dailyBudgetUsd,
      estimatedUsd,
      now,
    );
    if (!refusal) return undefined;
    await withTimeout(
      `counting a refusal of ${admission.account}`,
      client.signalEntity(entity, 'refusedByBudget', { now }),
    ).catch((error: Error) => context.warn(`Could not count a budget refusal: ${error.message}`));
    const retryAfter = Math.max(1, Math.ceil((Date.parse(refusal.resetAt) - now) / 1000));
    return problem(
      429,
      'Daily budget reached',
      `This request (about $${estimatedUsd.toFixed(2)}) would take ${request.provider} past its daily budget of $${refusal.budgetUsd} ($${refusal.spentUsd.toFixed(2)} spent today); the budget resets at ${refusal.resetAt}. Nothing was started.`,
      undefined,
      { 'retry-after': String(retryAfter) },
      { type: DAILY_BUDGET_PROBLEM, ...refusal, estimatedUsd },
    );
  }

  /** Puts the started request in its account's line at its arrival (best effort: its
   * orchestration asks for its place anyway, only maybe after a later request's). */
  async function enqueueTurn(
    client: DurableClient,
    admission: { account: string; arrivedAt: number },
    started: { instanceId: string; runId: string },
    poll: AppConfig['poll'],
    context: InvocationContext,
  ): Promise<void> {
    const entity = new df.EntityId(ADMISSION_ENTITY, admission.account);
    await withTimeout(
      `putting ${started.instanceId} in line`,
      client.signalEntity(entity, 'enqueue', {
        instanceId: started.instanceId,
        runId: started.runId,
        arrivedAt: admission.arrivedAt,
        now: Date.now(),
        waitLeaseMs: admissionWaitLeaseMs(poll),
      } satisfies EnqueueInput),
    ).catch((error: Error) => context.warn(`Could not put ${started.instanceId} in line: ${error.message}`));
  }

  async function getVideo(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const id = request.params.id;
    if (!ID_PATTERN.test(id))
      return problem(400, 'Invalid id', 'The video id has an invalid format.', [
        { field: 'id', message: 'has an invalid format' },
      ]);
    const status = await findVideoRequest(df.getClient(context), id);
    if (!status) return notFound(id);
    // The same completion as each item of GET /api/videos (../status/status-links.ts): callback delivery, read links.
    const view = await completeView(
      df.getClient(context),
      await addFinishedAfterCancel(toVideoStatus(status), deps.providers(), (m) => context.warn(m)),
      deps.signer(),
      deps.config().videoContainer,
    );
    return { status: 200, jsonBody: view };
  }

  /** DELETE: a request still running is cancelled (202; it stays listed as cancelled), an
   * ended one deleted (204; GET answers 404 from then on). */
  async function deleteVideo(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const id = request.params.id;
    if (!ID_PATTERN.test(id))
      return problem(400, 'Invalid id', 'The video id has an invalid format.', [
        { field: 'id', message: 'has an invalid format' },
      ]);
    const client = df.getClient(context);
    // With the input: its run id says which run's claims and blobs to clear.
    const status = await findVideoRequest(client, id);
    if (!status) return notFound(id);
    if (hasFinished(status))
      return (await deleteEndedRequest(deps.claims(), client, status, context))
        ? { status: 204 }
        : notFound(id);
    const { runId, admission } = (status.input ?? {}) as Partial<GenerateVideoInput>;
    const progress = (status.customStatus ?? {}) as Partial<GenerateVideoProgress>;
    const { upstreamJobId, upstreamJobCancelled } = await cancelRun(
      deps,
      client,
      { instanceId: id, runId, account: admission?.account },
      progress,
      context,
    );
    // A terminated orchestration cannot send its own event: schedule it here.
    const asked = (status.input as Partial<GenerateVideoInput> | undefined)?.request;
    if (asked?.callbackUrl) {
      const createdTime = new Date(status.createdTime).toISOString();
      await startCallbackDelivery(
        client,
        {
          type: 'video.cancelled',
          instanceId: id,
          request: asked,
          error: 'Cancelled by the caller',
          createdTime,
        },
        CALLBACK_RETRY,
      ).catch((error: Error) =>
        context.warn(`Could not schedule the cancelled event of ${id}: ${error.message}`),
      );
    }
    return { status: 202, jsonBody: { id, phase: 'cancelled', upstreamJobId, upstreamJobCancelled } };
  }

  // A storage call that ran out of time is the caller's 503 with Retry-After, never a hang.
  return {
    startVideo: answeringTimeoutsWith503(startVideo),
    getVideo: answeringTimeoutsWith503(getVideo),
    deleteVideo: answeringTimeoutsWith503(deleteVideo),
  };
}
