// Programmatic start of the provider emulator (Azure OpenAI Sora, OpenAI videos, fal, Replicate,
// Gemini API, xAI, AI Gateway on one port), for tests, benchmarks and the local stack.
import type { AddressInfo } from 'node:net';
import { createProviderEmulatorServer, type ProviderEmulatorOptions } from './server.js';

export type { ProviderEmulatorOptions } from './server.js';

export interface RunningProviderEmulator {
  /** `http://127.0.0.1:N`; API bases: `${url}/openai/v1` (AZURE_OPENAI_ENDPOINT = url), `${url}/v1` (OpenAI),
   * `${url}/fal` (for https://queue.fal.run), `${url}/replicate/v1` (for https://api.replicate.com/v1),
   * `${url}/v1beta` (for https://generativelanguage.googleapis.com/v1beta), `${url}/xai/v1` (for https://api.x.ai/v1),
   * `${url}/gateway/v4/ai` (for https://ai-gateway.vercel.sh/v4/ai). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startProviderEmulator(
  options: ProviderEmulatorOptions = {},
): Promise<RunningProviderEmulator> {
  const server = createProviderEmulatorServer(options);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
