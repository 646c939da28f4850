// Cancelling one run of a request: what DELETE /api/videos/{id} does while it runs (once it has
// ended, DELETE deletes it: delete-request.ts), and what a start does with an instance that
// went through only after its caller was answered 503. A terminated
// orchestrator cleans up nothing itself, so this does it: the provider's job and the run's blobs.
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import {
  ADMISSION_ENTITY,
  type GenerateVideoProgress,
  type ReleaseInput,
} from '../orchestrations/contracts.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { JobClaims } from '../storage/job-claims.js';
import { deleteRunBlobs } from '../storage/video-blobs.js';
import { withTimeout } from '../storage/with-timeout.js';

type DurableClient = ReturnType<typeof df.getClient>;

export interface CancelRunDeps {
  providers: () => ProviderRegistry;
  claims: () => JobClaims;
}

export interface CancelledRun {
  upstreamJobId: string | null;
  upstreamJobCancelled: boolean;
  blobsDeleted: number;
}

/**
 * Terminates the instance (a timeout there is the caller's 503: nothing was cancelled), then,
 * best effort, each step bounded in time:
 * 1. marks the run cancelled: a create still in flight deletes the job it makes, and a
 *    download that commits after step 3 deletes its blobs (see createVideoJob, downloadVideo);
 * 2. cancels the provider's job (the claim knows it even before the custom status does);
 * 3. deletes the run's blobs (a download may have committed before the termination);
 * 4. gives its turn in the account's line back (a terminated orchestration cannot): the place
 *    of a request still waiting, or the slot of one whose job was running.
 */
export async function cancelRun(
  deps: CancelRunDeps,
  client: DurableClient,
  run: { instanceId: string; runId?: string; account?: string },
  progress: Partial<GenerateVideoProgress>,
  context: InvocationContext,
): Promise<CancelledRun> {
  const { instanceId: id, runId } = run;
  await withTimeout(`terminating ${id}`, client.terminate(id, 'Cancelled by the caller'));
  const claims = deps.claims();
  await withTimeout(`marking ${id} cancelled`, claims.markCancelled(id, runId)).catch((error: Error) =>
    context.warn(`Could not mark ${id} cancelled: ${error.message}`),
  );
  const intent = await withTimeout(`reading the create intent of ${id}`, claims.readIntent(id, runId)).catch(
    () => undefined,
  );
  const jobId = intent?.jobId ?? progress.jobId;
  const providerName = intent?.provider ?? progress.provider;
  const model = intent?.model ?? progress.model;
  const provider = providerName ? deps.providers().find(providerName) : undefined;
  let upstreamJobCancelled = false;
  if (jobId && provider && model) {
    upstreamJobCancelled = await provider.cancelJob({ model, jobId }).then(
      () => true,
      (error: Error) => {
        context.warn(`Could not cancel ${provider.name} job ${jobId}: ${error.message}`);
        return false;
      },
    );
  }
  const blobsDeleted = await withTimeout(
    `deleting the blobs of ${id}`,
    (async () => deleteRunBlobs(await claims.container(), id, runId))(),
  ).catch((error: Error) => {
    context.warn(`Could not delete the blobs of ${id}: ${error.message}`);
    return 0;
  });
  if (run.account) {
    await withTimeout(
      `releasing the turn of ${id}`,
      client.signalEntity(new df.EntityId(ADMISSION_ENTITY, run.account), 'release', {
        instanceId: id,
        runId,
        now: Date.now(),
      } satisfies ReleaseInput),
    ).catch((error: Error) => context.warn(`Could not release the turn of ${id}: ${error.message}`));
  }
  return { upstreamJobId: jobId ?? null, upstreamJobCancelled, blobsDeleted };
}
