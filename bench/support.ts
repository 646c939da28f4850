// Helpers the benches that run the built app share: JSON over fetch, and an app folder per arm.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..');

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** One HTTP exchange with a JSON answer (or none); throws after `timeoutMs`. */
export async function json<T = any>(
  url: string,
  init?: RequestInit,
  timeoutMs = 30_000,
): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : undefined) as T,
    headers: response.headers,
  };
}

/** The app's package.json and host.json in a temp folder with its own task hub (hosts may share
 * one Azurite), `main` pointing at the repository's built app. The caller removes the folder. */
export function appDirFor(prefix: string, hub: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-${hub}-`));
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { main: string };
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ ...pkg, main: path.join(repoRoot, pkg.main) }, null, 2),
  );
  const host = JSON.parse(readFileSync(path.join(repoRoot, 'host.json'), 'utf8')) as {
    extensions: { durableTask: Record<string, unknown> };
  };
  host.extensions.durableTask.hubName = hub;
  writeFileSync(path.join(dir, 'host.json'), JSON.stringify(host, null, 2));
  return dir;
}
