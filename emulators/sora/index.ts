// Programmatic start of the provider emulator (Azure Sora, OpenAI videos, fal, Replicate on one
// port), for tests, benchmarks and the local stack. `startSoraEmulator` is its first name and stays.
import type { AddressInfo } from 'node:net';
import { createSoraServer, type SoraEmulatorOptions } from './server.js';

export type { SoraEmulatorOptions, EmulatorOptions } from './server.js';

export interface RunningSoraEmulator {
  /** `http://127.0.0.1:N`; API bases: `${url}/openai/v1` (AZURE_OPENAI_ENDPOINT = url), `${url}/v1` (OpenAI),
   * `${url}/fal` (for https://queue.fal.run), `${url}/replicate/v1` (for https://api.replicate.com/v1). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startSoraEmulator(options: SoraEmulatorOptions = {}): Promise<RunningSoraEmulator> {
  const server = createSoraServer(options);
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

/** The same emulator under a name that covers every dialect it serves. */
export const startVideoEmulator = startSoraEmulator;
export type RunningVideoEmulator = RunningSoraEmulator;
