// Which provider job belongs to which orchestration instance, kept next to the videos in Blob
// Storage. It is what makes createVideoJob safe to run twice (activities run at least once,
// and a lost create answer must not bill a second job):
//   .claims/instances/{instanceId}.json  the intent, written before the create, then the job id
//   .claims/jobs/{provider}/{jobId}      created only if absent: one owner per provider job
//   .claims/cancelled/{instanceId}       written by DELETE: a create still in flight then
//                                        deletes the job it made (see createVideoJob)
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

const instancePath = (instanceId: string) => `.claims/instances/${instanceId}.json`;
const jobPath = (provider: string, jobId: string) => `.claims/jobs/${encodeURIComponent(provider)}/${encodeURIComponent(jobId)}`;
const cancelledPath = (instanceId: string) => `.claims/cancelled/${instanceId}`;

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/** One GET, so one version of the blob. (downloadToBuffer reads the size first, then the
 * bytes: an intent rewritten in between comes back cut short.) */
async function readText(blob: BlockBlobClient): Promise<string> {
  const response = await blob.download();
  const chunks: Buffer[] = [];
  for await (const chunk of response.readableStreamBody ?? []) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

export class JobClaims {
  constructor(private readonly container: () => Promise<ContainerClient>) {}

  async readIntent(instanceId: string): Promise<CreateIntent | undefined> {
    const blob = (await this.container()).getBlockBlobClient(instancePath(instanceId));
    try {
      return JSON.parse(await readText(blob)) as CreateIntent;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async writeIntent(instanceId: string, intent: CreateIntent): Promise<void> {
    const text = JSON.stringify(intent);
    await (await this.container()).getBlockBlobClient(instancePath(instanceId)).upload(text, Buffer.byteLength(text), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
  }

  /** True when this instance now owns the job (or already did); false when another instance does. */
  async claimJob(provider: string, jobId: string, instanceId: string): Promise<boolean> {
    const blob = (await this.container()).getBlockBlobClient(jobPath(provider, jobId));
    try {
      await blob.upload(instanceId, Buffer.byteLength(instanceId), { conditions: { ifNoneMatch: '*' } });
      return true;
    } catch (error) {
      if (statusOf(error) !== 409 && statusOf(error) !== 412) throw error;
      const owner = await readText(blob);
      return owner === instanceId;
    }
  }

  /** Records that the caller cancelled this instance (idempotent). */
  async markCancelled(instanceId: string): Promise<void> {
    await (await this.container()).getBlockBlobClient(cancelledPath(instanceId)).upload('', 0);
  }

  async isCancelled(instanceId: string): Promise<boolean> {
    return (await this.container()).getBlockBlobClient(cancelledPath(instanceId)).exists();
  }
}
