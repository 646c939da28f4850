// Starts the emulator's CLI as a child process (to measure it apart, or to test the CLI
// itself) and resolves with its URL once the documented ready line appears.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export async function spawnProviderEmulatorCli(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const root = path.resolve(__dirname, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', 'emulators/providers/cli.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
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
  return { url, child };
}
