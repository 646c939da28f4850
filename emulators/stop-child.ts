// Stopping a local stand-in the same way everywhere: SIGTERM, then SIGKILL after a grace period.
import type { ChildProcess } from 'node:child_process';

export async function stopChildProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
