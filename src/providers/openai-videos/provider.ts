// Any OpenAI-compatible /v1/videos endpoint: a base URL, `Authorization: Bearer <key>`, and
// the OpenAI videos API's wire shape (the same one Sora 2 speaks on Azure).
import { classifyFailedResponse } from '../http/classify-response.js';
import { createTransport } from '../http/transport.js';
import { normaliseImageType, toProviderJob } from '../azure-openai/provider-job.js';
import type { ModelInfo, VideoProvider } from '../provider.js';
import { SORA_2_CAPABILITIES, SORA_2_PRO_CAPABILITIES } from './models.js';
import { createVideosFamily } from './videos-api.js';

export interface OpenAiVideosSettings {
  /** e.g. https://api.openai.com/v1 */
  baseUrl: string;
  apiKey: string;
}

export function createOpenAiVideosProvider(name: string, settings: OpenAiVideosSettings, http: { requestTimeoutMs: number; fetch?: typeof fetch }): VideoProvider {
  const videos = createVideosFamily(createTransport({
    service: name, baseUrl: settings.baseUrl, auth: { headers: async () => ({ authorization: `Bearer ${settings.apiKey}` }) },
    requestTimeoutMs: http.requestTimeoutMs, fetch: http.fetch, classify: classifyFailedResponse,
  }));
  const models: ModelInfo[] = [
    // OpenAI's Video object carries the prompt (openai-node's Video type: prompt: string | null).
    { id: 'sora-2', ...SORA_2_CAPABILITIES, promptEcho: true },
    { id: 'sora-2-pro', ...SORA_2_PRO_CAPABILITIES, promptEcho: true },
  ];
  return {
    name,
    kind: 'openai-videos',
    models,
    lostCreate: 'adopt',
    createJob: async (spec) => {
      const [width, height] = spec.size.split('x').map(Number);
      return toProviderJob(await videos.createJob({ family: 'videos', model: spec.model, prompt: spec.prompt, width, height, seconds: spec.seconds, variants: spec.variants }));
    },
    getJob: async (job) => toProviderJob(await videos.getJob(job.jobId)),
    openOutput: (job) => videos.openVideoContent(job.jobId, job.jobId),
    openThumbnail: async (job) => {
      const content = await videos.openThumbnail(job.jobId, job.jobId);
      return { ...content, contentType: normaliseImageType(content.contentType) };
    },
    listRecentJobs: async (_model, limit) => {
      const recent = await videos.listRecentJobs(limit);
      return { jobs: recent.jobs.map(toProviderJob), providerNow: recent.providerNow };
    },
    cancelJob: (job) => videos.deleteJob(job.jobId),
  };
}
