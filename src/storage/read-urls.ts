// Short-lived, read-only links to a stored video. On Azure the app has no account key
// (shared-key access is off), so it signs with a user delegation key from its managed
// identity; locally (Azurite, a connection string) it signs with the account key.
// @azure/storage-blob is imported on the first link, not at app load (blob-container.ts says why).
import type { UserDelegationKey } from '@azure/storage-blob';
import { serviceOf, type BlobService } from './blob-container.js';

export interface ReadUrlSigner {
  /** A link valid for SAS_TTL_MINUTES, or for `validForSeconds` where a caller needs its own
   * (an upload's link for a provider: ../uploads/upload-blobs.ts). */
  readUrl(
    containerName: string,
    blobName: string,
    validForSeconds?: number,
  ): Promise<{ url: string; expiresOn: Date }>;
}

/** User delegation keys are valid up to 7 days; fetch one per hour-ish and reuse it. */
const DELEGATION_KEY_REUSE_MS = 50 * 60 * 1000;

export function createReadUrlSigner(
  service: BlobService,
  ttlMinutes: number,
  useDelegationKey: boolean,
): ReadUrlSigner {
  let cachedKey: { key: UserDelegationKey; fetchedAt: number; expiresOn: Date } | undefined;

  async function delegationKey(expiresOn: Date): Promise<UserDelegationKey> {
    if (
      !cachedKey ||
      Date.now() - cachedKey.fetchedAt > DELEGATION_KEY_REUSE_MS ||
      cachedKey.expiresOn < expiresOn
    ) {
      const startsOn = new Date(Date.now() - 5 * 60 * 1000);
      const keyExpiresOn = new Date(expiresOn.getTime() + DELEGATION_KEY_REUSE_MS);
      cachedKey = {
        key: await (await serviceOf(service)).getUserDelegationKey(startsOn, keyExpiresOn),
        fetchedAt: Date.now(),
        expiresOn: keyExpiresOn,
      };
    }
    return cachedKey.key;
  }

  return {
    async readUrl(containerName, blobName, validForSeconds) {
      // Start a little in the past: the storage service's clock may be behind ours.
      const startsOn = new Date(Date.now() - 5 * 60 * 1000);
      const expiresOn = new Date(Date.now() + (validForSeconds ?? ttlMinutes * 60) * 1000);
      const client = await serviceOf(service);
      const { BlobSASPermissions, generateBlobSASQueryParameters, SASProtocol } =
        await import('@azure/storage-blob');
      const blob = client.getContainerClient(containerName).getBlobClient(blobName);
      const permissions = BlobSASPermissions.parse('r');
      // Pinned to HTTPS (spr=https) wherever storage speaks it: a link must never work in the
      // clear. Azurite locally is plain http, and a pinned link would not open there.
      const protocol = new URL(client.url).protocol === 'https:' ? SASProtocol.Https : undefined;
      if (!useDelegationKey)
        return { url: await blob.generateSasUrl({ permissions, startsOn, expiresOn, protocol }), expiresOn };
      const sas = generateBlobSASQueryParameters(
        { containerName, blobName, permissions, startsOn, expiresOn, protocol },
        await delegationKey(expiresOn),
        client.accountName,
      );
      return { url: `${blob.url}?${sas.toString()}`, expiresOn };
    },
  };
}
