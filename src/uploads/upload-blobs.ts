// The uploads' blobs: `.uploads/{uploadId}` in the videos container, one blob per upload whose
// metadata is its record (width, height, createdat, expiresat; the type is the blob's own
// Content-Type). The videos container because the app's identity holds a data role on that
// one container only (infra/app/rbac.bicep); the dot prefix cannot meet a video's folder
// (instance ids start with a letter or digit: ../functions/videos-api.ts ID_PATTERN), as with
// `.claims/` (../storage/job-claims.ts). A blob is written only once its bytes passed every
// check (../functions/uploads-api.ts), so a refused image never leaves one behind.
// Expiry moves only forwards, with the blob's ETag: a hold and the sweep (expire-uploads.ts)
// racing each other cannot both win, and the sweep deletes only the version it saw expired.
import type { ContainerClient } from '@azure/storage-blob';
import type { Readable } from 'node:stream';
import type { ReadUrlSigner } from '../storage/read-urls.js';
import { expireUploads } from './expire-uploads.js';
import { metadataOf, recordOf, uploadBlobName } from './upload-layout.js';
import {
  UPLOAD_ID_PATTERN,
  type UploadContentType,
  type UploadRecord,
  type UploadStore,
} from './upload-record.js';

export { UPLOAD_PREFIX, uploadBlobName } from './upload-layout.js';

/** Raised for an upload that is unknown or expired where one is required (readUrl, openRead, holdUntil). */
export class UploadNotFoundError extends Error {
  constructor(uploadId: string) {
    super(`No upload '${uploadId}' (unknown or expired)`);
    this.name = 'UploadNotFoundError';
  }
}

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;
const HOLD_ATTEMPTS = 8;

export interface UploadBlobsDeps {
  container: () => Promise<ContainerClient>;
  signer: ReadUrlSigner;
  /** The container's name, for read links. */
  containerName: string;
  now?: () => Date;
}

export class UploadBlobs implements UploadStore {
  private readonly now: () => Date;

  constructor(private readonly deps: UploadBlobsDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Stores a checked image under a new record; fails (409/412) rather than overwrite one. */
  async save(record: UploadRecord, bytes: Buffer): Promise<void> {
    const container = await this.deps.container();
    await container.getBlockBlobClient(uploadBlobName(record.uploadId)).uploadData(bytes, {
      blobHTTPHeaders: { blobContentType: record.contentType },
      metadata: metadataOf(record),
      conditions: { ifNoneMatch: '*' },
    });
  }

  private async current(uploadId: string): Promise<{ record: UploadRecord; etag: string } | undefined> {
    if (!UPLOAD_ID_PATTERN.test(uploadId)) return undefined;
    const container = await this.deps.container();
    let properties;
    try {
      properties = await container.getBlockBlobClient(uploadBlobName(uploadId)).getProperties();
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
    const record = recordOf(uploadId, properties.metadata, properties.contentType, properties.contentLength);
    if (!record || Date.parse(record.expiresAt) <= this.now().getTime()) return undefined;
    return { record, etag: properties.etag! };
  }

  async find(uploadId: string): Promise<UploadRecord | undefined> {
    return (await this.current(uploadId))?.record;
  }

  async readUrl(uploadId: string, validForSeconds: number): Promise<string> {
    if (!(await this.current(uploadId))) throw new UploadNotFoundError(uploadId);
    const { url } = await this.deps.signer.readUrl(
      this.deps.containerName,
      uploadBlobName(uploadId),
      validForSeconds,
    );
    return url;
  }

  async openRead(
    uploadId: string,
  ): Promise<{ stream: Readable; contentType: UploadContentType; bytes: number }> {
    const found = await this.current(uploadId);
    if (!found) throw new UploadNotFoundError(uploadId);
    const container = await this.deps.container();
    let response;
    try {
      // The version just checked: a blob deleted or replaced since is not read.
      response = await container
        .getBlockBlobClient(uploadBlobName(uploadId))
        .download(0, undefined, { conditions: { ifMatch: found.etag } });
    } catch (error) {
      if (statusOf(error) === 404 || statusOf(error) === 412) throw new UploadNotFoundError(uploadId);
      throw error;
    }
    return {
      stream: response.readableStreamBody as Readable,
      contentType: found.record.contentType,
      bytes: found.record.bytes,
    };
  }

  /** Deletes the uploads expired by now (the expireUploads timer). */
  async expire(ttlHours: number): Promise<{ deleted: number; kept: number }> {
    return expireUploads(await this.deps.container(), this.now(), ttlHours);
  }

  async holdUntil(uploadId: string, untilIso: string): Promise<void> {
    const until = Date.parse(untilIso);
    if (Number.isNaN(until)) throw new Error(`holdUntil needs an ISO 8601 time, got '${untilIso}'`);
    const container = await this.deps.container();
    const blob = container.getBlockBlobClient(uploadBlobName(uploadId));
    for (let attempt = 1; ; attempt++) {
      const found = await this.current(uploadId);
      if (!found) throw new UploadNotFoundError(uploadId);
      if (Date.parse(found.record.expiresAt) >= until) return;
      try {
        await blob.setMetadata(metadataOf({ ...found.record, expiresAt: new Date(until).toISOString() }), {
          conditions: { ifMatch: found.etag },
        });
        return;
      } catch (error) {
        // Another hold (or the sweep) changed it first: read it again and decide again.
        if (statusOf(error) === 404) throw new UploadNotFoundError(uploadId);
        if (statusOf(error) !== 412 || attempt >= HOLD_ATTEMPTS) throw error;
      }
    }
  }
}
