// Any OpenAI-compatible /v1/videos endpoint: a base URL, `Authorization: Bearer <key>`, and
// the OpenAI videos API's wire shape (videos-api.ts).
import type { OpenAiVideosSettings } from '../../config.js';
import { classifyFailedResponse } from '../http/classify-response.js';
import { createTransport, type HttpOptions } from '../http/transport.js';
import type { ModelInfo, VideoProvider } from '../provider.js';
import { VIDEOS_API_MODELS } from './models.js';
import { createVideosApi } from './videos-api.js';

export function createOpenAiVideosProvider(
  name: string,
  settings: OpenAiVideosSettings,
  http: HttpOptions,
): VideoProvider {
  const videos = createVideosApi(
    createTransport({
      service: name,
      baseUrl: settings.baseUrl,
      auth: { headers: async () => ({ authorization: `Bearer ${settings.apiKey}` }) },
      requestTimeoutMs: http.requestTimeoutMs,
      idleTimeoutMs: http.idleTimeoutMs,
      fetch: http.fetch,
      classify: classifyFailedResponse,
    }),
    'video',
    { rule: http.foreignUrls, fetch: http.fetch, requestTimeoutMs: http.requestTimeoutMs },
  );
  // OpenAI's Video object carries the prompt, or null (docs/providers/openai-videos.md#video-object).
  const models: ModelInfo[] = Object.entries(VIDEOS_API_MODELS).map(([id, capabilities]) => ({
    id,
    ...capabilities,
    promptEcho: true,
  }));
  return { name, kind: 'openai-videos', models, lostCreate: 'adopt', ...videos };
}
