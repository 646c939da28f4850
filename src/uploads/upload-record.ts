// What the rest of the app knows of an uploaded start image (POST /api/uploads): the record
// request validation checks and the create activity resolves into a short-lived read link.
// The store behind it (src/uploads/) is the only code that touches the upload blobs.
import type { Readable } from 'node:stream';

export type UploadContentType = 'image/png' | 'image/jpeg' | 'image/webp';

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

/** Upload ids are the app's own: `upl_` and 22 base64url characters (128 random bits).
 * Anything else is refused before a lookup. */
export const UPLOAD_ID_PATTERN = /^upl_[A-Za-z0-9_-]{22}$/;

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
