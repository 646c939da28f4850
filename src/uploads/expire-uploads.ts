// Deletes expired uploads (run by the expireUploads timer: ../index.ts). Each blob is deleted
// only in the version the listing showed expired (If-Match its ETag): a hold that moved its
// expiry meanwhile (upload-blobs.ts holdUntil) changes the ETag, and the delete then misses.
import type { ContainerClient } from '@azure/storage-blob';
import { recordOf, UPLOAD_PREFIX } from './upload-layout.js';

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;

/** When a blob under the prefix that is not a readable record goes: its age passes the TTL. */
function expiryOf(
  name: string,
  metadata: Record<string, string> | undefined,
  contentType: string | undefined,
  lastModified: Date,
  ttlMs: number,
): number {
  const record = recordOf(name.slice(UPLOAD_PREFIX.length), metadata, contentType, undefined);
  return record ? Date.parse(record.expiresAt) : lastModified.getTime() + ttlMs;
}

/** Deletes every upload expired at `now`; the number deleted. */
export async function expireUploads(
  container: ContainerClient,
  now: Date,
  ttlHours: number,
): Promise<{ deleted: number; kept: number }> {
  let deleted = 0;
  let kept = 0;
  try {
    for await (const blob of container.listBlobsFlat({ prefix: UPLOAD_PREFIX, includeMetadata: true })) {
      const expiresAt = expiryOf(
        blob.name,
        blob.metadata,
        blob.properties.contentType,
        blob.properties.lastModified,
        ttlHours * 3600 * 1000,
      );
      if (expiresAt > now.getTime()) {
        kept++;
        continue;
      }
      try {
        await container.deleteBlob(blob.name, {
          deleteSnapshots: 'include',
          conditions: { ifMatch: blob.properties.etag },
        });
        deleted++;
      } catch (error) {
        // Gone already, or held (changed) since it was listed: either way not ours to delete.
        if (statusOf(error) !== 404 && statusOf(error) !== 412) throw error;
        kept++;
      }
    }
  } catch (error) {
    if (statusOf(error) === 404) return { deleted, kept }; // no container yet: nothing uploaded
    throw error;
  }
  return { deleted, kept };
}
