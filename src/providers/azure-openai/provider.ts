// The seed's provider: both Sora families on one Azure OpenAI resource (the jobs API for the
// Sora 1 deployment, the videos API for the Sora 2 one), with an api-key or Entra ID. Sora
// is retired (README); this adapter keeps the emulator and any resource still serving it working.
import { ProviderPermanentError } from '../../errors.js';
import { SORA_2_CAPABILITIES } from '../openai-videos/models.js';
import type { JobAddress, JobSpec, ModelInfo, OutputContent, ProviderJob, VideoProvider } from '../provider.js';
import { authFromSettings } from './auth.js';
import { createSoraClient, type SoraClient, type SoraFamily } from './client.js';
import { SORA_JOBS_CAPABILITIES } from './models.js';
import { normaliseImageType, toProviderJob } from './provider-job.js';

export interface AzureOpenAiSettings {
  endpoint: string;
  apiKey?: string;
  managedIdentityClientId?: string;
  jobsDeployment: string;
  videosDeployment: string;
}

export function createAzureOpenAiProvider(
  name: string,
  settings: AzureOpenAiSettings,
  http: { requestTimeoutMs: number; fetch?: typeof fetch; client?: SoraClient },
): VideoProvider {
  const sora = http.client ?? createSoraClient({ endpoint: settings.endpoint, auth: authFromSettings(settings), requestTimeoutMs: http.requestTimeoutMs, fetch: http.fetch });
  const models: ModelInfo[] = [
    // The jobs API echoes prompts; the videos API on Azure does not (sora-api.md).
    { id: settings.jobsDeployment, ...SORA_JOBS_CAPABILITIES, promptEcho: true },
    { id: settings.videosDeployment, ...SORA_2_CAPABILITIES, promptEcho: false },
  ];
  const familyOf = (model: string): SoraFamily => {
    if (model === settings.jobsDeployment) return 'jobs';
    if (model === settings.videosDeployment) return 'videos';
    throw new ProviderPermanentError(`${name} has no deployment named ${model}`, 400, 'unknown_model');
  };
  const withTypeFixed = (content: OutputContent): OutputContent => ({ ...content, contentType: normaliseImageType(content.contentType) });

  return {
    name,
    kind: 'azure-openai',
    models,
    lostCreate: 'adopt',
    async createJob(spec: JobSpec): Promise<ProviderJob> {
      // Sora sizes are WIDTHxHEIGHT (its capability table lists no other form).
      const [width, height] = spec.size.split('x').map(Number);
      return toProviderJob(await sora.createJob({ family: familyOf(spec.model), model: spec.model, prompt: spec.prompt, width, height, seconds: spec.seconds, variants: spec.variants }));
    },
    getJob: async (job: JobAddress) => toProviderJob(await sora.getJob(familyOf(job.model), job.jobId)),
    openOutput: (job, outputId) => sora.openVideoContent(familyOf(job.model), job.jobId, outputId),
    openThumbnail: async (job, outputId) => withTypeFixed(await sora.openThumbnail(familyOf(job.model), job.jobId, outputId)),
    listRecentJobs: async (model, limit) => {
      const recent = await sora.listRecentJobs(familyOf(model), limit);
      return { jobs: recent.jobs.map(toProviderJob), providerNow: recent.providerNow };
    },
    cancelJob: (job) => sora.deleteJob(familyOf(job.model), job.jobId),
  };
}
