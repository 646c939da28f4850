// Resolves a binding's `connection` the way the Functions host does: the setting named by
// `connection` (AzureWebJobsStorage when empty; an `AzureWebJobs` prefix is tried too) holds a
// connection string or `UseDevelopmentStorage=true`; without it, the identity form
// `<connection>__blobServiceUri` / `__queueServiceUri` / `__tableServiceUri` (or
// `__serviceUri`, or `__accountName`) names the endpoints. Against Azurite (a loopback
// endpoint) the identity form signs with the development account's key, since Azurite only
// accepts tokens over https; anywhere else it uses DefaultAzureCredential (`__clientId`
// selects a user-assigned identity), as on Azure.
import type { TokenCredential } from '@azure/identity';
import type { TableClient } from '@azure/data-tables';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { QueueServiceClient } from '@azure/storage-queue';

// The SDKs are loaded on first use: most apps bind no storage, and loading @azure/identity,
// the blob and the queue SDKs up front cost the host ~25 MB of memory for nothing.
const identitySdk = () => require('@azure/identity') as typeof import('@azure/identity');
const tablesSdk = () => require('@azure/data-tables') as typeof import('@azure/data-tables');
const blobSdk = () => require('@azure/storage-blob') as typeof import('@azure/storage-blob');
const queueSdk = () => require('@azure/storage-queue') as typeof import('@azure/storage-queue');

/** Azurite's well-known development account (public and documented; not a secret). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export class ConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionError';
  }
}

export interface StorageAccount {
  /** How it was resolved, for messages: 'connection string' or 'identity (…)'. */
  describe: string;
  blobs(): BlobServiceClient;
  queues(): QueueServiceClient;
  table(name: string): TableClient;
}

type Env = Record<string, string | undefined>;

const isLoopback = (uri: string) =>
  /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//i.test(uri.endsWith('/') ? uri : `${uri}/`);
const insecure = (text: string) =>
  /UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;|=http:\/\//i.test(text);

function fromConnectionString(value: string): StorageAccount {
  const options = { allowInsecureConnection: insecure(value) };
  return {
    describe: 'connection string',
    blobs: () => blobSdk().BlobServiceClient.fromConnectionString(value),
    queues: () => queueSdk().QueueServiceClient.fromConnectionString(value),
    table: (name) => tablesSdk().TableClient.fromConnectionString(value, name, options),
  };
}

function fromIdentity(name: string, env: Env): StorageAccount | undefined {
  const account = env[`${name}__accountName`];
  const blobUri =
    env[`${name}__blobServiceUri`] ??
    env[`${name}__serviceUri`] ??
    (account ? `https://${account}.blob.core.windows.net` : undefined);
  const queueUri =
    env[`${name}__queueServiceUri`] ?? (account ? `https://${account}.queue.core.windows.net` : undefined);
  const tableUri =
    env[`${name}__tableServiceUri`] ?? (account ? `https://${account}.table.core.windows.net` : undefined);
  if (!blobUri && !queueUri && !tableUri) return undefined;
  let credential: TokenCredential | undefined;
  const token = () =>
    (credential ??= new (identitySdk().DefaultAzureCredential)(
      env[`${name}__clientId`] ? { managedIdentityClientId: env[`${name}__clientId`] } : {},
    ));
  const missing = (kind: string): never => {
    throw new ConnectionError(
      `The connection '${name}' has no ${kind} endpoint: set ${name}__${kind}ServiceUri (or ${name}__accountName).`,
    );
  };
  return {
    describe: `identity (${name}__…ServiceUri)`,
    blobs: () => {
      const uri = blobUri ?? missing('blob');
      const { BlobServiceClient, StorageSharedKeyCredential } = blobSdk();
      return isLoopback(uri)
        ? new BlobServiceClient(uri, new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY))
        : new BlobServiceClient(uri, token());
    },
    queues: () => {
      const uri = queueUri ?? missing('queue');
      const { QueueServiceClient, StorageSharedKeyCredential } = queueSdk();
      return isLoopback(uri)
        ? new QueueServiceClient(uri, new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY))
        : new QueueServiceClient(uri, token());
    },
    table: (table) => {
      const uri = tableUri ?? missing('table');
      const { TableClient, AzureNamedKeyCredential } = tablesSdk();
      return isLoopback(uri)
        ? new TableClient(uri, table, new AzureNamedKeyCredential(DEV_ACCOUNT, DEV_KEY), {
            allowInsecureConnection: true,
          })
        : new TableClient(uri, table, token());
    },
  };
}

/** The storage account a binding's `connection` names; throws ConnectionError when nothing is set. */
export function resolveStorage(connection: string | undefined, env: Env = process.env): StorageAccount {
  const name = connection && connection.trim() !== '' ? connection : 'AzureWebJobsStorage';
  const value = env[name] ?? env[`AzureWebJobs${name}`];
  if (value && value.trim() !== '') return fromConnectionString(value.trim());
  const identity = fromIdentity(name, env);
  if (identity) return identity;
  throw new ConnectionError(
    `The storage connection '${name}' is not set: give ${name} a connection string (or UseDevelopmentStorage=true), or ${name}__blobServiceUri / __queueServiceUri / __tableServiceUri.`,
  );
}
