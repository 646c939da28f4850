// The app's long-lived dependencies, built once per process from the validated settings
// (loading them at start-up is what makes a bad setting fail fast, with every problem named).
import { createCallbackActivities } from './activities/callback-activities.js';
import { createDurationActivities } from './activities/duration-activities.js';
import { createActivities, type VideoActivities } from './activities/video-activities.js';
import { CALLBACK_RETRY } from './orchestrations/contracts.js';
import { loadConfig, type AppConfig } from './config.js';
import { createProviderRegistry, type ProviderRegistry } from './providers/registry.js';
import { blobServiceFromConfig, lazyContainer } from './storage/blob-container.js';
import { JobClaims } from './storage/job-claims.js';
import { JobDurations } from './storage/job-durations.js';
import { createReadUrlSigner, type ReadUrlSigner } from './storage/read-urls.js';
import { UploadBlobs } from './uploads/upload-blobs.js';

export interface AppContext {
  config: AppConfig;
  providers: ProviderRegistry;
  claims: JobClaims;
  durations: JobDurations;
  signer: ReadUrlSigner;
  /** Uploaded start images (POST /api/uploads), kept under `.uploads/` in the videos container. */
  uploads: UploadBlobs;
  activities: VideoActivities;
  callbackActivities: ReturnType<typeof createCallbackActivities>;
  durationActivities: ReturnType<typeof createDurationActivities>;
}

export function createAppContext(
  env: Readonly<Record<string, string | undefined>> = process.env,
): AppContext {
  const config = loadConfig(env);
  const service = blobServiceFromConfig(config);
  const container = lazyContainer(service, config.videoContainer);
  const claims = new JobClaims(container);
  const durations = new JobDurations(container);
  const providers = createProviderRegistry(config, {
    handles: {
      save: (provider, jobId, handle) => claims.saveHandle(provider, jobId, handle),
      load: (provider, jobId) => claims.loadHandle(provider, jobId),
    },
  });
  const signer = createReadUrlSigner(service, config.sasTtlMinutes, config.videoStorage.kind === 'identity');
  const uploads = new UploadBlobs({ container, signer, containerName: config.videoContainer });
  return {
    config,
    providers,
    claims,
    durations,
    signer,
    uploads,
    activities: createActivities({
      providers,
      container,
      claims,
      callbackBaseUrl: config.publicBaseUrl,
      // A create lost in flight shows up within a request timeout; wait twice that before re-sending.
      createSettleSeconds: Math.max(5, 2 * config.requestTimeoutSeconds),
      uploads,
    }),
    callbackActivities: createCallbackActivities({
      secret: config.outboundWebhookSecret,
      allowLoopback: config.allowLocalCallbacks,
      signer,
      containerName: config.videoContainer,
      retry: CALLBACK_RETRY,
      timeoutMs: config.callbackTimeoutSeconds * 1000,
    }),
    durationActivities: createDurationActivities(durations),
  };
}
