// POST /api/uploads: a start image for image-to-video requests, its bytes as the body under its
// own Content-Type. The image is checked before anything is stored (../uploads/receive-image.ts):
// a type we do not take is 415 without keeping a byte, a body over 10 MiB is 413 once it
// passes the limit (or at once, by its Content-Length), bytes that are not the declared format
// 415, not an image or a damaged one 400. Only then is it stored (../uploads/upload-blobs.ts),
// and 201 gives its id, expiry and size. The bytes are never served back: a provider gets a
// short-lived read link (UploadStore.readUrl) when a request uses the upload.
import { randomBytes } from 'node:crypto';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { discardBody, receiveImage } from '../uploads/receive-image.js';
import type { UploadBlobs } from '../uploads/upload-blobs.js';
import type { UploadView } from './api-schemas.js';
import type { UploadContentType, UploadRecord } from '../uploads/upload-record.js';
import { problem } from './problem.js';
import { withTimeout } from '../storage/with-timeout.js';
import { answeringTimeoutsWith503 } from './unavailable.js';

const ACCEPTED: readonly UploadContentType[] = ['image/png', 'image/jpeg', 'image/webp'];

export interface UploadsApiDeps {
  uploads: () => UploadBlobs;
  ttlHours: () => number;
  now?: () => Date;
}

/** `upl_` and 128 random bits in base64url (UPLOAD_ID_PATTERN). */
export const newUploadId = () => `upl_${randomBytes(16).toString('base64url')}`;

/** A problem naming the field: the Content-Type header, or the body ('') for the image itself. */
const refused = (status: number, title: string, field: string, message: string) =>
  problem(status, title, `${field || 'The image'} ${message}.`, [{ field, message }]);

export function createUploadsApi(deps: UploadsApiDeps) {
  const now = deps.now ?? (() => new Date());

  async function upload(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const raw = request.headers.get('content-type');
    const declared = raw?.split(';')[0].trim().toLowerCase() ?? '';
    if (!ACCEPTED.includes(declared as UploadContentType)) {
      await discardBody(request.body, request.headers.get('content-length'));
      return refused(
        415,
        'Unsupported media type',
        'Content-Type',
        `must be image/png, image/jpeg or image/webp, not '${declared || 'none'}'`,
      );
    }
    const received = await receiveImage(
      request.body,
      declared as UploadContentType,
      request.headers.get('content-length'),
    );
    if (!received.ok) {
      const title =
        received.status === 413
          ? 'Image too large'
          : received.status === 415
            ? 'Unsupported image'
            : 'Invalid image';
      // The body is the image itself: its problems name the body (''), as the videos API does.
      return refused(received.status, title, '', received.message);
    }
    const createdAt = now();
    const record: UploadRecord = {
      uploadId: newUploadId(),
      contentType: received.contentType,
      width: received.width,
      height: received.height,
      bytes: received.bytes.length,
      createdAt: createdAt.toISOString(),
      expiresAt: new Date(createdAt.getTime() + deps.ttlHours() * 3600 * 1000).toISOString(),
    };
    // One Put Blob (the SDK sends up to 256 MiB in a single request): the blob appears whole or
    // not at all. Bounded like every storage call behind the API (503 past it); a save that lands
    // after its 503 leaves an upload nobody knows, which expires and is swept like any other.
    await withTimeout(`storing upload ${record.uploadId}`, deps.uploads().save(record, received.bytes));
    context.log(
      `Stored upload ${record.uploadId} (${record.contentType}, ${record.width}x${record.height}, ${record.bytes} bytes)`,
    );
    const { uploadId, expiresAt, width, height, contentType } = record;
    const view: UploadView = { uploadId, expiresAt, width, height, contentType };
    return { status: 201, jsonBody: view };
  }

  return { upload: answeringTimeoutsWith503(upload) };
}
