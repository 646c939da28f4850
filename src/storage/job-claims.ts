// Which provider job belongs to which orchestration instance, kept next to the videos in Blob
// Storage. It is what makes createVideoJob safe to run twice (activities run at least once,
// and a lost create answer must not bill a second job):
//   .claims/instances/{instanceId}/{runId}.json  the intent, written before the create, then the job id
//   .claims/jobs/{provider}/{jobId}      created only if absent: one owner per provider job
//                                        (the instance id; the run in the blob's metadata)
//   .claims/operations/{provider}/{jobId}.json  what an adapter needs to reach the job again
//                                        (the AI SDK's operation JSON): here, never in history
//   .claims/cancelled/{instanceId}/{runId}  written by DELETE: a create still in flight then
//                                        deletes the job it made (see createVideoJob), and a
//                                        download that lands after the cancel its blobs. Kept
//                                        when the request is deleted (forgetRun): it is what
//                                        an activity of the run still in flight would check
// Everything is per run (each start's own id, in the orchestration's input): an instance id
// started again after a purge must not find the old run's job, cancel mark or video. Instances
// started before runs had ids (runId undefined) keep the paths without the run.
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';

export interface CreateIntent {
  /** The provider instance's name, and the model (part of some providers' job addresses). */
  provider: string;
  model: string;
  /** Unix seconds when the first create was about to be sent. */
  startedAt: number;
  /** Unix seconds when a create was sent whose answer is not recorded yet: a job may exist. */
  sentAt?: number;
  jobId?: string;
}

const runPath = (instanceId: string, runId: string | undefined) =>
  runId ? `${instanceId}/${runId}` : instanceId;
const instancePath = (instanceId: string, runId?: string) =>
  `.claims/instances/${runPath(instanceId, runId)}.json`;
const jobPath = (provider: string, jobId: string) =>
  `.claims/jobs/${encodeURIComponent(provider)}/${encodeURIComponent(jobId)}`;
const operationPath = (provider: string, jobId: string) =>
  `.claims/operations/${encodeURIComponent(provider)}/${encodeURIComponent(jobId)}.json`;
const cancelledPath = (instanceId: string, runId?: string) =>
  `.claims/cancelled/${runPath(instanceId, runId)}`;

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/** One GET, so one version of the blob. (downloadToBuffer reads the size first, then the
 * bytes: an intent rewritten in between comes back cut short.) */
async function readBlob(blob: BlockBlobClient): Promise<{ text: string; metadata: Record<string, string> }> {
  const response = await blob.download();
  const chunks: Buffer[] = [];
  for await (const chunk of response.readableStreamBody ?? []) chunks.push(Buffer.from(chunk as Uint8Array));
  return { text: Buffer.concat(chunks).toString('utf8'), metadata: response.metadata ?? {} };
}

async function readText(blob: BlockBlobClient): Promise<string> {
  return (await readBlob(blob)).text;
}

/** A job claim's owner: the instance id (the text) and its run (metadata), from one GET. */
async function readOwner(blob: BlockBlobClient): Promise<{ instanceId: string; runId?: string }> {
  const { text, metadata } = await readBlob(blob);
  return { instanceId: text, runId: metadata.run || undefined };
}

export class JobClaims {
  /** The videos' container, which the claims live in (DELETE also clears a run's blobs there). */
  constructor(readonly container: () => Promise<ContainerClient>) {}

  async readIntent(instanceId: string, runId?: string): Promise<CreateIntent | undefined> {
    const blob = (await this.container()).getBlockBlobClient(instancePath(instanceId, runId));
    try {
      return JSON.parse(await readText(blob)) as CreateIntent;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async writeIntent(instanceId: string, intent: CreateIntent, runId?: string): Promise<void> {
    const text = JSON.stringify(intent);
    await (
      await this.container()
    )
      .getBlockBlobClient(instancePath(instanceId, runId))
      .upload(text, Buffer.byteLength(text), {
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
  }

  /** True when this run of the instance now owns the job (or already did); false when another
   * instance, or another run of this one, does. */
  async claimJob(provider: string, jobId: string, instanceId: string, runId?: string): Promise<boolean> {
    const blob = (await this.container()).getBlockBlobClient(jobPath(provider, jobId));
    try {
      await blob.upload(instanceId, Buffer.byteLength(instanceId), {
        conditions: { ifNoneMatch: '*' },
        ...(runId ? { metadata: { run: runId } } : {}),
      });
      return true;
    } catch (error) {
      if (statusOf(error) !== 409 && statusOf(error) !== 412) throw error;
      const owner = await readOwner(blob);
      return owner.instanceId === instanceId && owner.runId === (runId || undefined);
    }
  }

  /** The instance that owns a provider's job, if any (how a provider's webhook finds its request). */
  async ownerOf(provider: string, jobId: string): Promise<string | undefined> {
    return (await this.ownerRunOf(provider, jobId))?.instanceId;
  }

  /** The run (instance and run id) that owns a provider's job, if any: a webhook wakes only it. */
  async ownerRunOf(
    provider: string,
    jobId: string,
  ): Promise<{ instanceId: string; runId?: string } | undefined> {
    const blob = (await this.container()).getBlockBlobClient(jobPath(provider, jobId));
    try {
      const owner = await readOwner(blob);
      return owner.instanceId ? owner : undefined;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Keeps an adapter's handle of a job (JobHandles in src/providers/provider.ts). */
  async saveHandle(provider: string, jobId: string, handle: string): Promise<void> {
    await (
      await this.container()
    )
      .getBlockBlobClient(operationPath(provider, jobId))
      .upload(handle, Buffer.byteLength(handle), {
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
  }

  async loadHandle(provider: string, jobId: string): Promise<string | undefined> {
    try {
      return await readText((await this.container()).getBlockBlobClient(operationPath(provider, jobId)));
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Records that the caller cancelled this run of the instance (idempotent). */
  async markCancelled(instanceId: string, runId?: string): Promise<void> {
    await (await this.container()).getBlockBlobClient(cancelledPath(instanceId, runId)).upload('', 0);
  }

  async isCancelled(instanceId: string, runId?: string): Promise<boolean> {
    return (await this.container()).getBlockBlobClient(cancelledPath(instanceId, runId)).exists();
  }

  /**
   * Deletes what this run of the instance claimed, for a request being deleted: the claim of
   * each job it owns (among its intent's job and `known`; a claim another instance or run holds
   * is left), then its intent, which names the job and so goes last. With the claim gone, a
   * late provider webhook for the job finds no request, rather than waking an instance started
   * again under the same id. Safe to run again after a failure part way.
   */
  async forgetRun(
    instanceId: string,
    runId?: string,
    known: { provider: string; jobId: string }[] = [],
  ): Promise<void> {
    const container = await this.container();
    const intent = await this.readIntent(instanceId, runId);
    const jobs = intent?.jobId ? [{ provider: intent.provider, jobId: intent.jobId }, ...known] : known;
    for (const path of new Set(jobs.map((job) => jobPath(job.provider, job.jobId)))) {
      const blob = container.getBlockBlobClient(path);
      const owner = await readOwner(blob).catch((error: unknown) => {
        if (statusOf(error) === 404) return undefined;
        throw error;
      });
      if (owner?.instanceId === instanceId && owner.runId === (runId || undefined)) {
        await blob.deleteIfExists();
        const job = jobs.find((candidate) => jobPath(candidate.provider, candidate.jobId) === path)!;
        await container.getBlockBlobClient(operationPath(job.provider, job.jobId)).deleteIfExists();
      }
    }
    await container.getBlockBlobClient(instancePath(instanceId, runId)).deleteIfExists();
  }
}
