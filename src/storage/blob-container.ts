// The video container, from the validated settings: a connection string locally (Azurite),
// the managed identity on Azure (VIDEO_STORAGE__blobServiceUri, no keys).
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { lazyDefaultAzureCredential } from '../azure-credential.js';
import type { AppConfig } from '../config.js';

/** The account's client, or a function that makes it on first use (blobServiceFromConfig). */
export type BlobService = BlobServiceClient | (() => Promise<BlobServiceClient>);

export const serviceOf = (service: BlobService): Promise<BlobServiceClient> =>
  typeof service === 'function' ? service() : Promise.resolve(service);

/**
 * The account's client, made on first use: @azure/storage-blob and the HTTP pipeline under it
 * are most of what the app would otherwise run at every cold start (bench/README.md "App load
 * time"). The settings it is made from were checked at load (config.ts: the connection string's
 * form, the blob service URL).
 */
export function blobServiceFromConfig(
  config: Pick<AppConfig, 'videoStorage' | 'managedIdentityClientId'>,
): () => Promise<BlobServiceClient> {
  let made: Promise<BlobServiceClient> | undefined;
  return () =>
    (made ??= import('@azure/storage-blob').then(({ BlobServiceClient: Client }) => {
      const storage = config.videoStorage;
      // TypeScript types import() by the package's ES module declarations and `import type` by
      // its CommonJS ones: the same classes, declared twice.
      const client =
        storage.kind === 'connectionString'
          ? Client.fromConnectionString(storage.connectionString)
          : new Client(
              storage.blobServiceUri,
              lazyDefaultAzureCredential({ managedIdentityClientId: config.managedIdentityClientId }),
            );
      return client as unknown as BlobServiceClient;
    }));
}

/** The container, created on first use (once per process), so a fresh account just works. */
export function lazyContainer(service: BlobService, name: string): () => Promise<ContainerClient> {
  let ready: Promise<ContainerClient> | undefined;
  return () => {
    ready ??= (async () => {
      const container = (await serviceOf(service)).getContainerClient(name);
      await container.createIfNotExists();
      return container;
    })().catch((error: unknown) => {
      ready = undefined; // try again next time rather than caching a transient failure
      throw error;
    });
    return ready;
  };
}
