// The video container, from the validated settings: a connection string locally (Azurite),
// the managed identity on Azure (VIDEO_STORAGE__blobServiceUri, no keys).
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { lazyDefaultAzureCredential } from '../azure-credential.js';
import type { AppConfig } from '../config.js';

export function blobServiceFromConfig(
  config: Pick<AppConfig, 'videoStorage' | 'managedIdentityClientId'>,
): BlobServiceClient {
  const storage = config.videoStorage;
  if (storage.kind === 'connectionString')
    return BlobServiceClient.fromConnectionString(storage.connectionString);
  return new BlobServiceClient(
    storage.blobServiceUri,
    lazyDefaultAzureCredential({ managedIdentityClientId: config.managedIdentityClientId }),
  );
}

/** The container, created on first use (once per process), so a fresh account just works. */
export function lazyContainer(service: BlobServiceClient, name: string): () => Promise<ContainerClient> {
  let ready: Promise<ContainerClient> | undefined;
  return () => {
    ready ??= (async () => {
      const container = service.getContainerClient(name);
      await container.createIfNotExists();
      return container;
    })().catch((error: unknown) => {
      ready = undefined; // try again next time rather than caching a transient failure
      throw error;
    });
    return ready;
  };
}
