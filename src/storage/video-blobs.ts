// Streams a generated video into Blob Storage with bounded memory, so a 1 GB video costs
// a few blocks of RAM, never the whole file. Safe to run twice: blocks staged by an
// interrupted upload stay invisible (nothing is committed), and a complete blob is kept.
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { ContainerClient } from '@azure/storage-blob';

/** What a stored video says about itself (blob metadata is visible to anyone who can list
 * the container, so it holds no prompt, not even an unsalted hash of one). */
export interface VideoBlobMetadata {
  provider: string;
  jobId: string;
  outputId: string;
  model: string;
  size: string;
  seconds: string;
}

export interface StoredVideo {
  blobName: string;
  bytes: number;
  contentType: string;
  /** True when a complete blob from an earlier attempt was found and kept. */
  reused: boolean;
}

// 4 MiB blocks: the SDK pools one buffer per parallel block, so this bounds the upload at
// ~16 MiB of buffers (8 MiB blocks measured +99 MB RSS for 1 GB; see bench/README.md).
const BLOCK_BYTES = 4 * 1024 * 1024;
const PARALLEL_BLOCKS = 4;

const safe = (id: string, what: string) => {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(id))
    throw new Error(`${what} is not a safe blob name segment`);
  return id;
};

/** The folder of one run's blobs, `{instanceId}/{runId}/`: an instance id started again after
 * a purge must not find the old run's videos (output ids such as fal's repeat across jobs, and
 * a complete blob is kept). Runs started before runs had ids: `{instanceId}/`. */
export function runBlobPrefix(instanceId: string, runId?: string): string {
  return `${safe(instanceId, 'instance id')}/${runId ? `${safe(runId, 'run id')}/` : ''}`;
}

/** Blob name from ids we issued or the provider issued, never from user text. */
export function videoBlobName(
  instanceId: string,
  outputId: string,
  extension: 'mp4' | 'jpg' | 'webp' | 'png' = 'mp4',
  runId?: string,
): string {
  return `${runBlobPrefix(instanceId, runId)}${safe(outputId, 'output id')}.${extension}`;
}

/** Deletes every blob of one run (a failed or cancelled request leaves none); the count deleted. */
export async function deleteRunBlobs(
  container: ContainerClient,
  instanceId: string,
  runId?: string,
): Promise<number> {
  let deleted = 0;
  for await (const blob of container.listBlobsFlat({ prefix: runBlobPrefix(instanceId, runId) })) {
    await container
      .deleteBlob(blob.name, { deleteSnapshots: 'include' })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404) throw error;
      });
    deleted++;
  }
  return deleted;
}

/** Counts bytes and fails the stream (so nothing is committed) when a known length is not met. */
class LengthCheck extends Transform {
  bytes = 0;
  constructor(private readonly expectedBytes: number | undefined) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
  override _flush(callback: TransformCallback) {
    if (this.expectedBytes !== undefined && this.bytes !== this.expectedBytes) {
      callback(new Error(`video stream ended after ${this.bytes} of ${this.expectedBytes} bytes`));
    } else {
      callback();
    }
  }
}

export async function streamVideoToBlob(
  container: ContainerClient,
  blobName: string,
  source: Readable,
  metadata: VideoBlobMetadata,
  expectedBytes?: number,
  contentType = 'video/mp4',
): Promise<StoredVideo> {
  const blob = container.getBlockBlobClient(blobName);
  const existing = await blob.getProperties().catch((error: { statusCode?: number }) => {
    if (error.statusCode === 404) return undefined;
    throw error;
  });
  if (
    existing?.metadata?.complete === 'true' &&
    (expectedBytes === undefined || existing.contentLength === expectedBytes)
  ) {
    source.destroy();
    return {
      blobName,
      bytes: existing.contentLength ?? 0,
      contentType: existing.contentType ?? contentType,
      reused: true,
    };
  }

  const counted = new LengthCheck(expectedBytes);
  source.on('error', (error) => counted.destroy(error));
  source.pipe(counted);
  await blob.uploadStream(counted, BLOCK_BYTES, PARALLEL_BLOCKS, {
    blobHTTPHeaders: { blobContentType: contentType },
    metadata: {
      complete: 'true',
      provider: metadata.provider,
      jobid: metadata.jobId,
      outputid: metadata.outputId,
      model: metadata.model,
      // An aspect ratio such as 16:9 is fine in a header value.
      size: metadata.size,
      seconds: metadata.seconds,
    },
  });
  return { blobName, bytes: counted.bytes, contentType, reused: false };
}
