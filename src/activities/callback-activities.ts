// The two activities behind a caller's callbackUrl: scheduleCallback starts the delivery
// orchestration (fire and forget, so the request never waits on the receiver), sendCallback
// makes one signed delivery of the request's status view, with read links fresh at send time.
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { sendSignedEvent, type DeliveryResult } from '../callbacks/send-event.js';
import {
  callbackInstanceId,
  DELIVER_CALLBACK,
  type CallbackEvent,
  type DeliverCallbackInput,
} from '../orchestrations/contracts.js';
import { addReadLinks } from '../status/status-links.js';
import { toVideoStatus } from '../status/video-status.js';
import type { ReadUrlSigner } from '../storage/read-urls.js';

export interface CallbackActivityDeps {
  /** `whsec_…`; without it no callbackUrl is accepted, so no event is ever unsigned. */
  secret?: string;
  allowLoopback: boolean;
  signer: ReadUrlSigner;
  containerName: string;
  retry: DeliverCallbackInput['retry'];
  /** Per delivery attempt, a hard deadline (Standard Webhooks suggests 15-30 s; at most 30 s). */
  timeoutMs?: number;
  /** Deliveries this process makes at once. The host runs every activity in one pool of slots
   * (host.json maxConcurrentActivityFunctions, 8): callers' receivers may hold at most these,
   * never the slots the pipeline's own activities need. */
  maxConcurrentDeliveries?: number;
}

/** Two of the host's eight activity slots at most, each for at most one deadline. */
export const MAX_CONCURRENT_DELIVERIES = 2;

const RUNTIME_STATUS: Record<CallbackEvent['type'], string> = {
  'video.completed': 'Completed',
  'video.failed': 'Failed',
  'video.cancelled': 'Terminated',
};

/** Starts the delivery of `event` unless it is already under way (one per request). */
export async function startCallbackDelivery(
  client: ReturnType<typeof df.getClient>,
  event: CallbackEvent,
  retry: DeliverCallbackInput['retry'],
): Promise<void> {
  const instanceId = callbackInstanceId(event.instanceId);
  if (
    await client.getStatus(instanceId).then(
      () => true,
      () => false,
    )
  )
    return;
  await client.startNew(DELIVER_CALLBACK, {
    instanceId,
    input: { event, retry } satisfies DeliverCallbackInput,
  });
}

export function createCallbackActivities(deps: CallbackActivityDeps) {
  let inFlight = 0;
  const budget = deps.maxConcurrentDeliveries ?? MAX_CONCURRENT_DELIVERIES;

  async function scheduleCallback(
    event: CallbackEvent,
    context: InvocationContext,
  ): Promise<{ scheduled: boolean; error?: string }> {
    try {
      await startCallbackDelivery(df.getClient(context), event, deps.retry);
      return { scheduled: true };
    } catch (error) {
      // Never fails the request: the status view shows no callback progress then.
      return { scheduled: false, error: (error as Error).message };
    }
  }

  async function sendCallback(event: CallbackEvent): Promise<DeliveryResult> {
    const url = event.request.callbackUrl;
    if (!url || !deps.secret)
      return {
        delivered: false,
        retryable: false,
        error: 'no callbackUrl, or no OUTBOUND_WEBHOOK_SECRET to sign with',
      };
    // Over budget: answer at once (the slot is free again in milliseconds); the delivery
    // orchestration waits on a durable timer and asks again, without spending an attempt.
    if (inFlight >= budget)
      return {
        delivered: false,
        retryable: true,
        deferred: true,
        error: `${budget} deliveries already in flight; not attempted`,
      };
    inFlight++;
    try {
      return await deliver(event, url, deps.secret);
    } finally {
      inFlight--;
    }
  }

  async function deliver(event: CallbackEvent, url: string, secret: string): Promise<DeliveryResult> {
    const view = toVideoStatus({
      instanceId: event.instanceId,
      runtimeStatus: RUNTIME_STATUS[event.type],
      input: { request: event.request },
      output: event.type === 'video.completed' ? event.output : event.error,
      createdTime: event.createdTime,
      lastUpdatedTime: new Date(),
    });
    const data = await addReadLinks(view, deps.signer, deps.containerName);
    const body = JSON.stringify({ type: event.type, timestamp: new Date().toISOString(), data });
    return sendSignedEvent({
      url,
      body,
      secret,
      messageId: `msg_${event.instanceId}_${event.type.replace('.', '_')}`,
      policy: { allowLoopback: deps.allowLoopback },
      timeoutMs: deps.timeoutMs ?? 15_000,
    });
  }

  return { scheduleCallback, sendCallback };
}
