// What GET /api/videos/{id} and each item of GET /api/videos add to the view the durable
// status gives (toVideoStatus), so the two answer the same thing:
// - the delivery of the caller's callback, which runs as its own instance;
// - read links for the stored videos and thumbnails, signed when the view is read (never
//   stored), so every answer carries links valid for SAS_TTL_MINUTES from now. Signing is
//   local work (an account key, or a user delegation key the signer caches), so a page of a
//   list can carry them too.
import type * as df from 'durable-functions';
import { callbackInstanceId, type CallbackProgress } from '../orchestrations/contracts.js';
import type { ReadUrlSigner } from '../storage/read-urls.js';
import { withTimeout } from '../storage/with-timeout.js';
import { findStatus } from './find-status.js';
import type { VideoStatus } from './view-schemas.js';

export async function addReadLinks(
  view: VideoStatus,
  signer: ReadUrlSigner,
  container: string,
): Promise<VideoStatus> {
  for (const blob of (view.videos ?? []).flatMap((video) =>
    video.thumbnail ? [video, video.thumbnail] : [video],
  )) {
    // A user delegation SAS (Azure) asks storage for its key first.
    const link = await withTimeout('signing a read link', signer.readUrl(container, blob.blobName));
    blob.url = link.url;
    blob.urlExpiresOn = link.expiresOn.toISOString();
  }
  return view;
}

export async function addCallbackDelivery(client: df.DurableClient, view: VideoStatus): Promise<VideoStatus> {
  if (!view.request?.callbackUrl) return view;
  const delivery = await findStatus(client, callbackInstanceId(view.id));
  const progress = (delivery?.customStatus ?? delivery?.output) as CallbackProgress | undefined;
  if (progress && typeof progress === 'object' && 'type' in progress) view.callback = progress;
  return view;
}

/** The view as the API answers it: the callback's delivery and fresh read links added. */
export async function completeView(
  client: df.DurableClient,
  view: VideoStatus,
  signer: ReadUrlSigner,
  container: string,
): Promise<VideoStatus> {
  return addReadLinks(await addCallbackDelivery(client, view), signer, container);
}
