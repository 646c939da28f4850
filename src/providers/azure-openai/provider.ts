// The seed's provider: both Sora APIs on one Azure OpenAI resource (the jobs API for the Sora 1
// deployment, the videos API for the Sora 2 one), with an api-key or Entra ID. Sora is retired
// (README); this adapter keeps the emulator and any resource still serving it working.
import type { AzureOpenAiSettings } from '../../config.js';
import { ProviderPermanentError } from '../../errors.js';
import type { HttpOptions } from '../http/transport.js';
import { VIDEOS_API_MODELS } from '../openai-videos/models.js';
import type { JobsApiCalls } from '../openai-videos/videos-api.js';
import type { ModelInfo, VideoProvider } from '../provider.js';
import { authFromSettings } from './auth.js';
import { SORA_JOBS_CAPABILITIES, SORA_VIDEOS_LIMITS } from './models.js';
import { createSoraApis } from './sora-apis.js';

export function createAzureOpenAiProvider(
  name: string,
  settings: AzureOpenAiSettings,
  http: HttpOptions,
): VideoProvider {
  const apis = createSoraApis({ endpoint: settings.endpoint, auth: authFromSettings(settings), ...http });
  const models: ModelInfo[] = [
    // The jobs API echoes prompts; the videos API on Azure does not.
    { id: settings.jobsDeployment, ...SORA_JOBS_CAPABILITIES, promptEcho: true },
    {
      id: settings.videosDeployment,
      ...VIDEOS_API_MODELS['sora-2'],
      limits: SORA_VIDEOS_LIMITS,
      promptEcho: false,
    },
  ];
  /** The deployment names the API: a job's model is part of its address. */
  const apiOf = (model: string): JobsApiCalls => {
    if (model === settings.jobsDeployment) return apis.jobs;
    if (model === settings.videosDeployment) return apis.videos;
    throw new ProviderPermanentError(`${name} has no deployment named ${model}`, 400, 'unknown_model');
  };

  return {
    name,
    kind: 'azure-openai',
    models,
    lostCreate: 'adopt',
    createJob: async (spec) => apiOf(spec.model).createJob(spec),
    getJob: async (job) => apiOf(job.model).getJob(job),
    openOutput: async (job, outputId) => apiOf(job.model).openOutput(job, outputId),
    openThumbnail: async (job, outputId) => apiOf(job.model).openThumbnail(job, outputId),
    listRecentJobs: async (model, limit) => apiOf(model).listRecentJobs(model, limit),
    cancelJob: async (job) => apiOf(job.model).cancelJob(job),
  };
}
