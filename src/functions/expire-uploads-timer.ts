// The expireUploads timer (schedule: UPLOAD_SWEEP_SCHEDULE): deletes uploads past their expiry,
// leaving those a request holds (../uploads/expire-uploads.ts says how a hold wins a race).
import type { InvocationContext, Timer } from '@azure/functions';
import type { UploadBlobs } from '../uploads/upload-blobs.js';

export interface ExpireUploadsDeps {
  uploads: () => UploadBlobs;
  ttlHours: () => number;
}

export function createExpireUploads(deps: ExpireUploadsDeps) {
  async function run(_timer: Timer, context: InvocationContext): Promise<void> {
    const { deleted, kept } = await deps.uploads().expire(deps.ttlHours());
    if (deleted > 0) context.log(`Deleted ${deleted} expired upload(s); ${kept} kept`);
  }
  return { run };
}
