// A cancel the provider did not honour. Some providers only pass a cancel on to the model,
// which may run on and finish the job anyway (docs/providers/fal.md#cancel): the request stays
// cancelled for the caller and nothing is downloaded (the orchestration was terminated), but the
// job may be billed, so the status view of a cancelled request says so when the provider reports
// the job finished. The cancelled orchestration no longer watches the job, so the view asks the
// provider when it is read, bounded in time; any failure leaves the view as it was.
import type { ProviderRegistry } from '../providers/registry.js';
import { withTimeout } from '../storage/with-timeout.js';
import type { VideoStatus } from './view-schemas.js';

export async function addFinishedAfterCancel(
  view: VideoStatus,
  providers: ProviderRegistry,
  warn: (message: string) => void,
): Promise<VideoStatus> {
  const { provider: name, model, jobId } = view.upstream;
  if (view.phase !== 'cancelled' || !name || !model || !jobId) return view;
  const provider = providers.find(name);
  if (!provider) return view;
  try {
    const job = await withTimeout(`reading ${name} job ${jobId}`, provider.getJob({ model, jobId }));
    if (job.phase === 'succeeded')
      view.upstream = { ...view.upstream, status: job.status, finishedAfterCancel: true };
  } catch (error) {
    warn(`Could not read ${name} job ${jobId} of cancelled ${view.id}: ${(error as Error).message}`);
  }
  return view;
}
