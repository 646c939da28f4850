// Starts the emulator's CLI as a child process (to measure it apart, or to test the CLI
// itself) and resolves with its URL once the documented ready line appears.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export async function spawnProviderEmulatorCli(
  args: string[],
): Promise<{ url: string; child: ChildProcess }> {
  const root = path.resolve(__dirname, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', 'emulators/providers/cli.ts', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { url: await readyUrl(child), child };
}

/** The URL in the CLI's ready line, however the CLI was started (directly, or by an npm script);
 * rejects with everything it printed if it exits first. */
export function readyUrl(child: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match) resolve(match[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the provider emulator exited with code ${code}: ${out}`)));
  });
}
