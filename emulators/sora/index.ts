// Programmatic start of the Sora emulator, for tests, benchmarks and the local stack.
import type { AddressInfo } from 'node:net';
import { createSoraServer, type SoraEmulatorOptions } from './server.js';

export type { SoraEmulatorOptions } from './server.js';

export interface RunningSoraEmulator {
  /** `http://127.0.0.1:N`; the API base is `${url}/openai/v1` (AZURE_OPENAI_ENDPOINT = url). */
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
