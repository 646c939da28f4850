// Blob triggers, by scanning the container as the Functions host does without Event Grid:
// every blob whose name matches the path pattern ('incoming/{name}.txt') and has no receipt
// for its current ETag runs the function once, including blobs that were there before the
// host started. Receipts are blobs in 'azure-webjobs-hosts' (blobreceipts/<host id>/<function>/
// "<etag>"/<container>/<blob>), so a restarted host does not run a blob again and a changed blob
// (new ETag) runs again. A blob whose function keeps failing is given up after
// maxDequeueCount runs (host.json queues setting, as the blob extension uses it): a message goes
// to the 'webjobs-blobtrigger-poison' queue and a receipt is written. The host scans each
// container every second (func's scan interval is longer; locally prompt matters more).
import type { ContainerClient } from '@azure/storage-blob';
import type { RegisteredFunction, RpcTypedData } from '../core-api.js';
import { triggerBinding, type Invoker } from '../invoke.js';
import type { HostLog } from '../log.js';
import { resolveSettings } from './expressions.js';
import type { StorageBindings } from './storage.js';

const SCAN_MS = 1000;
const RECEIPTS = 'azure-webjobs-hosts';
const POISON_QUEUE = 'webjobs-blobtrigger-poison';

interface BlobPattern {
  container: string;
  /** The literal start of blob names, for listing with a prefix. */
  prefix: string;
  match(name: string): Record<string, string> | undefined;
}

/** 'container/{name}.txt' → container, prefix and a matcher that names the {parameters}. */
export function parseBlobPath(path: string): BlobPattern {
  const clean = resolveSettings(path).replace(/^\/+/, '');
  const slash = clean.indexOf('/');
  const container = slash < 0 ? clean : clean.slice(0, slash);
  const blobPart = slash < 0 ? '' : clean.slice(slash + 1);
  if (!container || /[{}]/.test(container))
    throw new Error(`A blob trigger path needs a fixed container: '${path}'.`);
  const names: string[] = [];
  const source = blobPart
    .split(/(\{[^{}]+\})/)
    .map((part) => {
      const param = /^\{([^{}]+)\}$/.exec(part);
      if (!param) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(param[1]);
      return '(.+?)';
    })
    .join('');
  const regex = new RegExp(`^${source}${blobPart === '' || blobPart.endsWith('/') ? '.*' : ''}$`);
  const firstParam = blobPart.indexOf('{');
  return {
    container,
    prefix: firstParam < 0 ? blobPart : blobPart.slice(0, firstParam),
    match(name) {
      const found = regex.exec(name);
      if (!found) return undefined;
      return Object.fromEntries(names.map((n, i) => [n, found[i + 1]]));
    },
  };
}

export class BlobTriggers {
  #stopped = false;
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Failed runs per blob version (blob name + ETag) in this process. */
  readonly #failures = new Map<string, number>();
  /** Scans finished per function, shown by GET /admin/host/status: how a caller knows a scan has
   * looked at a blob (and left it alone) without waiting a while. */
  readonly #scans = new Map<string, number>();

  constructor(
    private readonly functions: RegisteredFunction[],
    private readonly invoker: Invoker,
    private readonly log: HostLog,
    private readonly storage: StorageBindings,
    private readonly hostId: string,
    private readonly maxAttempts: number,
  ) {}

  start(): void {
    for (const fn of this.functions) this.#schedule(fn, 0);
  }

  /** Scans finished so far, by function name. */
  scans(): Record<string, number> {
    return Object.fromEntries(this.#scans);
  }

  stop(): void {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
  }

  #schedule(fn: RegisteredFunction, delay: number): void {
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#scan(fn)
        .then(() => this.#scans.set(fn.metadata.name, (this.#scans.get(fn.metadata.name) ?? 0) + 1))
        .catch((error: unknown) =>
          this.log.error(`Blob trigger '${fn.metadata.name}': scan failed: ${(error as Error).message}`),
        )
        .finally(() => this.#schedule(fn, SCAN_MS));
    }, delay);
    this.#timers.add(timer);
  }

  async #scan(fn: RegisteredFunction): Promise<void> {
    const trigger = triggerBinding(fn)!;
    const pattern = parseBlobPath(String(trigger.options.path ?? ''));
    const service = this.storage.account(trigger.options.connection).blobs();
    const container = service.getContainerClient(pattern.container);
    if (!(await container.exists())) return;
    const receipts = service.getContainerClient(RECEIPTS);
    await receipts.createIfNotExists();
    for await (const blob of container.listBlobsFlat({ prefix: pattern.prefix, includeMetadata: true })) {
      if (this.#stopped) return;
      const parameters = pattern.match(blob.name);
      const etag = blob.properties.etag;
      if (!parameters || !etag) continue;
      const receipt = receipts.getBlockBlobClient(
        `blobreceipts/${this.hostId}/${fn.metadata.name}/"${etag.replace(/"/g, '')}"/${pattern.container}/${blob.name}`,
      );
      if (await receipt.exists()) continue;
      await this.#run(
        fn,
        trigger.name,
        container,
        blob.name,
        etag,
        parameters,
        blob.properties as unknown as Record<string, unknown>,
        blob.metadata ?? {},
        receipt.uploadData.bind(receipt, Buffer.alloc(0)),
      );
    }
  }

  async #run(
    fn: RegisteredFunction,
    triggerName: string,
    container: ContainerClient,
    name: string,
    etag: string,
    parameters: Record<string, string>,
    properties: Record<string, unknown>,
    metadata: Record<string, string>,
    writeReceipt: () => Promise<unknown>,
  ): Promise<void> {
    const blob = container.getBlobClient(name);
    let bytes: Buffer;
    try {
      bytes = await blob.downloadToBuffer();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return; // deleted since the listing
      throw error;
    }
    const binding = triggerBinding(fn)!.options;
    const triggerMetadata: Record<string, RpcTypedData> = {
      BlobTrigger: { string: `${container.containerName}/${name}` },
      Uri: { string: blob.url },
      Properties: { json: JSON.stringify(properties) },
      Metadata: { json: JSON.stringify(metadata) },
    };
    for (const [key, value] of Object.entries(parameters)) triggerMetadata[key] = { string: value };
    const data: RpcTypedData = binding.dataType === 'string' ? { string: bytes.toString('utf8') } : { bytes };
    const outcome = await this.invoker.invoke(fn, {
      inputData: [{ name: triggerName, data }],
      triggerMetadata,
    });
    const key = `${fn.id}\u0000${name}\u0000${etag}`;
    if (outcome.ok) {
      this.#failures.delete(key);
      await writeReceipt();
      return;
    }
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    if (failures < this.maxAttempts) return; // the next scan runs it again
    this.#failures.delete(key);
    const poison = this.storage.account(binding.connection).queues().getQueueClient(POISON_QUEUE);
    await poison.createIfNotExists();
    const message = JSON.stringify({
      Type: 'BlobTrigger',
      FunctionId: fn.metadata.name,
      BlobType: 'BlockBlob',
      ContainerName: container.containerName,
      BlobName: name,
      ETag: etag,
    });
    await poison.sendMessage(Buffer.from(message, 'utf8').toString('base64'));
    await writeReceipt();
    this.log.error(
      `Blob '${container.containerName}/${name}' failed ${failures} times in '${fn.metadata.name}'; a message went to queue '${POISON_QUEUE}'.`,
    );
  }
}
