// Starting a generation, once per Idempotency-Key however requests race, within a time limit (a
// start that outlasts it is answered 503 and, unless keyed, cancelled once it goes through).
// Every start carries a fresh run id; a keyed start also carries a keyed digest of its request,
// and every 202 for a key means "this exact body runs under it": the answer compares the body
// with the one stored in the instance, whichever way the race fell:
// - the key's instance exists already: compare;
// - startNew refused because a concurrent POST started it first: read the winner, compare;
// - startNew answered: read the instance back, because a backend may accept a start for an
//   instance id that another start holds and drop it later: a run id that is not ours means
//   another POST's body is what runs.
import type * as df from 'durable-functions';
import { GENERATE_VIDEO, type GenerateVideoInput } from '../orchestrations/contracts.js';
import { canonicalJson, newRunId } from '../requests/instance-ids.js';
import type { VideoRequest } from '../requests/video-request.js';
import { findStatus, type DurableStatus } from '../status/find-status.js';
import { withTimeout } from '../storage/with-timeout.js';

type DurableClient = ReturnType<typeof df.getClient>;

export type StartOutcome =
  | { kind: 'started'; instanceId: string; runId: string }
  | { kind: 'replayed'; instanceId: string }
  | { kind: 'conflict' };

/** The key's instance id and the digest of this request (both derived with the deployment's secret). */
export interface KeyedStart {
  instanceId: string;
  requestHash: string;
}

/** Whether the instance runs this request: by digest, or (an instance started before digests
 * were stored) by the normalised request itself. */
function runsThis(status: DurableStatus, key: KeyedStart, request: VideoRequest): boolean {
  const input = (status.input ?? {}) as Partial<GenerateVideoInput>;
  if (input.requestHash !== undefined) return input.requestHash === key.requestHash;
  return input.request !== undefined && canonicalJson(input.request) === canonicalJson(request);
}

const compared = (status: DurableStatus, key: KeyedStart, request: VideoRequest): StartOutcome =>
  runsThis(status, key, request) ? { kind: 'replayed', instanceId: key.instanceId } : { kind: 'conflict' };

/**
 * Starts `input` (its request, deadline, polling, …; the run id and digest are added here).
 * `onLateStart` is told of a start whose startNew ran out of time but then went through:
 * the caller was answered 503 and nobody knows the instance, so it should be cancelled. (A keyed
 * one is left: the caller's retry with the key finds it, which is what the key is for.)
 */
export async function startGeneration(
  client: DurableClient,
  input: Omit<GenerateVideoInput, 'runId' | 'requestHash'>,
  key: KeyedStart | undefined,
  onLateStart: (instanceId: string, runId: string) => void,
): Promise<StartOutcome> {
  const request = input.request;
  if (key) {
    const existing = await findStatus(client, key.instanceId, true);
    if (existing) return compared(existing, key, request);
  }
  const runId = newRunId();
  const started = client.startNew(GENERATE_VIDEO, {
    instanceId: key?.instanceId,
    input: {
      ...input,
      runId,
      learnDurations: true,
      ...(key ? { requestHash: key.requestHash } : {}),
    } satisfies GenerateVideoInput,
  });
  let instanceId: string;
  try {
    instanceId = await withTimeout('starting the request', started);
  } catch (error) {
    if (!key) {
      started.then(
        (late) => onLateStart(late, runId),
        () => undefined,
      );
      throw error;
    }
    // Refused: another POST with this key started it first (the host starts one instance id
    // at a time). Read what it runs. (Timed out: the same read tells, or times out in turn.)
    const winner = await findStatus(client, key.instanceId, true);
    if (!winner) throw error;
    return compared(winner, key, request);
  }
  if (!key) return { kind: 'started', instanceId, runId };
  const stored = await findStatus(client, key.instanceId, true);
  if (!stored) throw new Error(`The instance ${key.instanceId} was started but cannot be read back`);
  if ((stored.input as Partial<GenerateVideoInput> | undefined)?.runId === runId)
    return { kind: 'started', instanceId, runId };
  return compared(stored, key, request);
}
