// One Azure OpenAI resource's two Sora APIs: the jobs API (Sora 1) and the OpenAI videos API
// (Sora 2), each on its own api-version, both answering the adapter interface's calls. The
// videos API is the openai-videos adapter's own; only the Azure address and auth differ.
import { classifyFailedResponse } from '../http/classify-response.js';
import { createTransport, type AuthHeaders, type HttpOptions } from '../http/transport.js';
import { createVideosApi, type JobsApiCalls } from '../openai-videos/videos-api.js';
import { createJobsApi } from './jobs-api.js';

export type SoraApi = 'jobs' | 'videos';

export interface SoraApiOptions extends HttpOptions {
  /** `https://<resource>.openai.azure.com` (no /openai suffix). */
  endpoint: string;
  auth: AuthHeaders;
}

/** Sora 1 samples send `preview`; the Sora 2 (OpenAI-compatible) API takes `v1`. */
const API_VERSIONS: Record<SoraApi, string> = { jobs: 'preview', videos: 'v1' };

export function createSoraApis(options: SoraApiOptions): Record<SoraApi, JobsApiCalls> {
  const baseUrl = `${options.endpoint.replace(/\/+$/, '')}/openai/v1`;
  // How a caller's image link is fetched: both APIs take only the image's bytes.
  const images = {
    rule: options.foreignUrls,
    fetch: options.fetch,
    requestTimeoutMs: options.requestTimeoutMs,
  };
  const transport = (api: SoraApi) =>
    createTransport({
      service: 'Sora',
      baseUrl,
      fixedQuery: { 'api-version': API_VERSIONS[api] },
      auth: options.auth,
      requestTimeoutMs: options.requestTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs,
      fetch: options.fetch,
      classify: classifyFailedResponse,
    });
  return {
    jobs: createJobsApi(transport('jobs'), images),
    videos: createVideosApi(transport('videos'), 'Sora video', images),
  };
}
