// How long finished jobs took, per kind of job, kept next to the videos in Blob Storage so every
// instance of the app shares them and they outlive restarts:
//   .stats/job-durations/{provider}/{model}/{size}/{seconds}s-{variants}v.json
//     { "kind": {…}, "clock": "started"|"created", "samples": [seconds, …] }
//   the newest MAX_SAMPLES durations, oldest first, and what they count from (duration-estimate.ts:
//   DurationClock); a sample on another clock starts the list over (the adapter changed what it
//   reports), and samples kept before the clock was written are read as on no known clock.
// Instances record concurrently: each write is conditional on the ETag it read (or on the blob
// being absent), and a write that lost the race reads again and retries, so no sample overwrites
// another's. Pure bookkeeping (the bound, the quantiles) is ../orchestrations/duration-estimate.ts.
import type { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { addSample, type DurationClock, type JobKind } from '../orchestrations/duration-estimate.js';

const PREFIX = '.stats/job-durations/';
/** Writers racing on one kind: tries before a sample is given up (it is only a sample). Each
 * lost race means another writer won, so even a burst of finishing jobs gets through. */
const WRITE_ATTEMPTS = 30;

const blobPath = (kind: JobKind) =>
  PREFIX +
  [kind.provider, kind.model, kind.size].map(encodeURIComponent).join('/') +
  `/${kind.seconds}s-${kind.variants}v.json`;

export interface KindSamples {
  kind: JobKind;
  /** Absent: kept before the clock was written. */
  clock?: DurationClock;
  samples: number[];
}

const CLOCKS: readonly string[] = ['started', 'created'] satisfies DurationClock[];

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/** One GET: the body and the ETag of that same version. */
async function read(blob: BlockBlobClient): Promise<{ stored?: KindSamples; etag?: string }> {
  try {
    const response = await blob.download();
    const chunks: Buffer[] = [];
    for await (const chunk of response.readableStreamBody ?? [])
      chunks.push(Buffer.from(chunk as Uint8Array));
    return { stored: parse(Buffer.concat(chunks).toString('utf8')), etag: response.etag };
  } catch (error) {
    if (statusOf(error) === 404) return {};
    throw error;
  }
}

/** A stored blob's samples; anything malformed counts as none (the next write replaces it). */
function parse(text: string): KindSamples | undefined {
  try {
    const value = JSON.parse(text) as Partial<KindSamples>;
    if (!value.kind || !Array.isArray(value.samples)) return undefined;
    return {
      kind: value.kind,
      ...(typeof value.clock === 'string' && CLOCKS.includes(value.clock) ? { clock: value.clock } : {}),
      samples: value.samples.filter((s): s is number => typeof s === 'number' && Number.isFinite(s) && s > 0),
    };
  } catch {
    return undefined;
  }
}

export class JobDurations {
  /** The videos' container, which the figures live in. */
  constructor(readonly container: () => Promise<ContainerClient>) {}

  private async blob(kind: JobKind): Promise<BlockBlobClient> {
    return (await this.container()).getBlockBlobClient(blobPath(kind));
  }

  /** The kind's samples, oldest first (none yet: empty), and their clock. */
  async read(kind: JobKind): Promise<{ samples: number[]; clock?: DurationClock }> {
    const { stored } = await read(await this.blob(kind));
    return { samples: stored?.samples ?? [], ...(stored?.clock ? { clock: stored.clock } : {}) };
  }

  /** The kind's samples, oldest first (none yet: empty). */
  async samples(kind: JobKind): Promise<number[]> {
    return (await this.read(kind)).samples;
  }

  /** Adds one job's duration, measured on `clock`, to its kind's samples; samples on another
   * clock (or none known) are dropped, so a kind's samples always count from one moment. */
  async record(kind: JobKind, seconds: number, clock: DurationClock): Promise<void> {
    const blob = await this.blob(kind);
    for (let attempt = 1; ; attempt++) {
      const { stored, etag } = await read(blob);
      const kept = stored?.clock === clock ? stored.samples : [];
      const text = JSON.stringify({ kind, clock, samples: addSample(kept, seconds) });
      try {
        await blob.upload(text, Buffer.byteLength(text), {
          blobHTTPHeaders: { blobContentType: 'application/json' },
          conditions: etag ? { ifMatch: etag } : { ifNoneMatch: '*' },
        });
        return;
      } catch (error) {
        const lostRace = statusOf(error) === 412 || statusOf(error) === 409;
        if (!lostRace || attempt >= WRITE_ATTEMPTS) throw error;
        // Another instance wrote first: read its version, add ours to it.
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * Math.min(attempt, 10)));
      }
    }
  }

  /** Every kind with samples, for one provider instance (the providers list shows them). */
  async forProvider(provider: string): Promise<KindSamples[]> {
    const container = await this.container();
    const found: KindSamples[] = [];
    try {
      for await (const item of container.listBlobsFlat({
        prefix: `${PREFIX}${encodeURIComponent(provider)}/`,
      })) {
        const { stored } = await read(container.getBlockBlobClient(item.name));
        if (stored && stored.kind.provider === provider) found.push(stored);
      }
    } catch (error) {
      // No container yet: nothing learned yet.
      if (statusOf(error) !== 404) throw error;
    }
    return found;
  }
}
