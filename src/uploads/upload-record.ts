// What the rest of the app knows of an uploaded start image (POST /api/uploads): the record
// request validation checks and the create activity resolves into a short-lived read link.
// The store behind it (src/uploads/) is the only code that touches the upload blobs.
import type { Readable } from 'node:stream';
import type { ImageContentType } from '../images/image-check.js';

export type UploadContentType = ImageContentType;

export interface UploadRecord {
  uploadId: string;
  contentType: UploadContentType;
  width: number;
  height: number;
  bytes: number;
  /** ISO 8601 UTC. */
  createdAt: string;
  /** ISO 8601 UTC; after it the upload is unknown (and its blob is deleted by a timer). */
  expiresAt: string;
}

// The id's pattern lives apart (upload-id.ts): the API's schemas need it, and the gallery's
// browser type-check reads those schemas, where this file's node:stream type does not resolve.
export { UPLOAD_ID_PATTERN } from './upload-id.js';

export interface UploadStore {
  /** The upload's record, or undefined when it is unknown or expired. */
  find(uploadId: string): Promise<UploadRecord | undefined>;
  /** A read-only link to the image, valid for `validForSeconds` (for the provider; never
   * stored in durable history or shown to callers). */
  readUrl(uploadId: string, validForSeconds: number): Promise<string>;
  /** The image's bytes as a stream (for providers that take the file itself). */
  openRead(uploadId: string): Promise<{ stream: Readable; contentType: UploadContentType; bytes: number }>;
  /** Keeps the upload alive at least until `untilIso` (a request holding it runs that long). */
  holdUntil(uploadId: string, untilIso: string): Promise<void>;
}
