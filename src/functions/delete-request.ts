// Deleting a finished request: what DELETE /api/videos/{id} does once the request has ended
// (one still running is cancelled instead: cancel-run.ts). Everything it left goes: its stored
// videos and thumbnails, its create intent and job claim, the delivery of its callback, and the
// durable instance, so GET /api/videos/{id} answers 404 and the list no longer shows it.
//
// Each step is bounded in time (a timeout is the caller's 503) and safe to run again. The
// instance, through which DELETE finds everything else, goes last: a DELETE that stopped part
// way is finished by sending it again.
import type { InvocationContext } from '@azure/functions';
import type * as df from 'durable-functions';
import { DependencyTimeoutError } from '../errors.js';
import {
  callbackInstanceId,
  type GenerateVideoInput,
  type GenerateVideoOutput,
  type GenerateVideoProgress,
} from '../orchestrations/contracts.js';
import { findStatus, type DurableStatus } from '../status/find-status.js';
import type { JobClaims } from '../storage/job-claims.js';
import { deleteRunBlobs } from '../storage/video-blobs.js';
import { DEPENDENCY_TIMEOUT_MS, withTimeout } from '../storage/with-timeout.js';

type DurableClient = ReturnType<typeof df.getClient>;

const FINISHED = new Set(['Completed', 'Failed', 'Terminated', 'Canceled']);
/** How often a termination is checked for while waiting for it. */
const TERMINATION_CHECK_MS = 200;

/** Whether the instance has ended (and so can be purged, and has nothing left to cancel). */
export const hasFinished = (status: Pick<DurableStatus, 'runtimeStatus'>) =>
  FINISHED.has(String(status.runtimeStatus));

/** Until the instance has ended (or is gone); a DependencyTimeoutError after `ms`. */
async function untilFinished(client: DurableClient, id: string, ms = DEPENDENCY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const status = await findStatus(client, id);
    if (!status || hasFinished(status)) return;
    if (Date.now() >= deadline) throw new DependencyTimeoutError(`terminating ${id}`, ms);
    await new Promise((resolve) => setTimeout(resolve, TERMINATION_CHECK_MS));
  }
}

/**
 * Stops and purges the delivery of the request's callback (../orchestrations/deliver-callback.ts).
 * One still retrying would go on POSTing, for up to an hour, an event whose read links lead
 * nowhere; and a delivery left behind would stop the callback of a request started again under
 * this id (there is one delivery per id: startCallbackDelivery). Durable purges only ended
 * instances, and a termination takes effect when the backend processes it: terminate, wait
 * for it, then purge.
 */
async function deleteCallbackDelivery(client: DurableClient, id: string): Promise<void> {
  const deliveryId = callbackInstanceId(id);
  const delivery = await findStatus(client, deliveryId);
  if (!delivery) return;
  if (!hasFinished(delivery)) {
    await withTimeout(
      `terminating the callback delivery of ${id}`,
      client.terminate(deliveryId, 'The request was deleted'),
    );
    await untilFinished(client, deliveryId);
  }
  await withTimeout(`deleting the callback delivery of ${id}`, client.purgeInstanceHistory(deliveryId));
}

/** The provider job the request's status names (its output once completed, its progress
 * before), for the claim to find when the intent does not name it. */
function jobOf(status: DurableStatus): { provider: string; jobId: string }[] {
  const named = (status.output ?? status.customStatus) as
    Partial<GenerateVideoOutput & GenerateVideoProgress> | undefined;
  return named && typeof named === 'object' && named.provider && named.jobId
    ? [{ provider: named.provider, jobId: named.jobId }]
    : [];
}

/**
 * Deletes the ended request `status` describes (read with its input: the run id says which
 * run's claims and blobs are its). False when the instance was already gone at the end (a
 * concurrent DELETE purged it first).
 *
 * 1. marks the run cancelled (kept: an activity of the run still in flight, such as a download
 *    of a terminated request, checks it and deletes its own blobs, see downloadVideo);
 * 2. stops and purges the delivery of its callback;
 * 3. deletes the run's blobs, videos and thumbnails;
 * 4. deletes its job claim and create intent;
 * 5. purges the instance.
 */
export async function deleteEndedRequest(
  claims: JobClaims,
  client: DurableClient,
  status: DurableStatus,
  context: InvocationContext,
): Promise<boolean> {
  const id = status.instanceId;
  const { runId } = (status.input ?? {}) as Partial<GenerateVideoInput>;
  await withTimeout(`marking ${id} deleted`, claims.markCancelled(id, runId));
  await deleteCallbackDelivery(client, id);
  const blobs = await withTimeout(
    `deleting the blobs of ${id}`,
    (async () => deleteRunBlobs(await claims.container(), id, runId))(),
  );
  await withTimeout(`deleting the claims of ${id}`, claims.forgetRun(id, runId, jobOf(status)));
  const { instancesDeleted } = await withTimeout(`deleting ${id}`, client.purgeInstanceHistory(id));
  context.log(`Deleted ${id} (${status.runtimeStatus}): ${blobs} blobs, ${instancesDeleted} instance`);
  return instancesDeleted > 0;
}
