// Where an upload lives and how its record is kept: the blob `.uploads/{uploadId}` in the videos
// container, its metadata the record (width, height, createdat, expiresat; the type is the
// blob's own Content-Type, the size its length). Shared by the store (upload-blobs.ts) and the
// sweep (expire-uploads.ts).
import type { UploadRecord } from './upload-record.js';

export const UPLOAD_PREFIX = '.uploads/';

export const uploadBlobName = (uploadId: string) => `${UPLOAD_PREFIX}${uploadId}`;

/** The blob metadata that holds a record. */
export function metadataOf(record: UploadRecord): Record<string, string> {
  return {
    width: String(record.width),
    height: String(record.height),
    createdat: record.createdAt,
    expiresat: record.expiresAt,
  };
}

/** The record blob metadata says, or undefined when it is not one of ours. */
export function recordOf(
  uploadId: string,
  metadata: Record<string, string> | undefined,
  contentType: string | undefined,
  bytes: number | undefined,
): UploadRecord | undefined {
  const width = Number(metadata?.width);
  const height = Number(metadata?.height);
  const { createdat: createdAt, expiresat: expiresAt } = metadata ?? {};
  if (!Number.isInteger(width) || !Number.isInteger(height) || !createdAt || !expiresAt) return undefined;
  if (Number.isNaN(Date.parse(expiresAt))) return undefined;
  if (contentType !== 'image/png' && contentType !== 'image/jpeg' && contentType !== 'image/webp')
    return undefined;
  return { uploadId, contentType, width, height, bytes: bytes ?? 0, createdAt, expiresAt };
}
