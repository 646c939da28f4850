// The app's long-lived dependencies, built once per process from the validated settings
// (loading them at start-up is what makes a bad setting fail fast, with every problem named).
import { JobClaims } from './activities/job-claims.js';
import { createActivities, type VideoActivities } from './activities/video-activities.js';
import { loadConfig, type AppConfig } from './config.js';
import { authFromSettings } from './sora/auth.js';
import { createSoraClient, type SoraClient } from './sora/client.js';
import { blobServiceFromConfig, lazyContainer } from './storage/blob-container.js';
import { createReadUrlSigner, type ReadUrlSigner } from './storage/read-urls.js';

export interface AppContext {
  config: AppConfig;
  sora: SoraClient;
  claims: JobClaims;
  signer: ReadUrlSigner;
  activities: VideoActivities;
}

export function createAppContext(env: Readonly<Record<string, string | undefined>> = process.env): AppContext {
  const config = loadConfig(env);
  const sora = createSoraClient({
    endpoint: config.openAi.endpoint,
    auth: authFromSettings(config.openAi),
    requestTimeoutMs: config.requestTimeoutSeconds * 1000,
  });
  const service = blobServiceFromConfig(config);
  const container = lazyContainer(service, config.videoContainer);
  const claims = new JobClaims(container);
  const signer = createReadUrlSigner(service, config.sasTtlMinutes, config.videoStorage.kind === 'identity');
  return { config, sora, claims, signer, activities: createActivities({
    sora, container, claims,
    // A create lost in flight shows up within a request timeout; wait twice that before re-sending.
    createSettleSeconds: Math.max(5, 2 * config.requestTimeoutSeconds),
  }) };
}
