// Read links for a status view's stored videos and thumbnails. Signed when the view is read
// (never stored), so every answer carries links valid for SAS_TTL_MINUTES from now. Signing
// is local work (an account key, or a user delegation key the signer caches), so a page of a
// list can carry them too.
import type { ReadUrlSigner } from '../storage/read-urls.js';
import type { VideoStatus } from './api-schemas.js';

export async function addReadLinks(view: VideoStatus, signer: ReadUrlSigner, container: string): Promise<VideoStatus> {
  for (const blob of (view.videos ?? []).flatMap((video) => (video.thumbnail ? [video, video.thumbnail] : [video]))) {
    const link = await signer.readUrl(container, blob.blobName);
    blob.url = link.url;
    blob.urlExpiresOn = link.expiresOn.toISOString();
  }
  return view;
}
