// local.settings.json handling, as `func start` does it: its `Values` become the app's settings.
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { StackError } from './local-stack.js';

export function readValues(file: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new StackError(`${path.basename(file)} is not valid JSON: ${(error as Error).message}`);
  }
  const values = (parsed as { Values?: unknown } | null)?.Values;
  if (values === null || typeof values !== 'object')
    throw new StackError(`${path.basename(file)} has no "Values" object.`);
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, String(value)]));
}

/** Creates local.settings.json from the sample on first run; returns whether it was created. */
export function ensureLocalSettings(dir: string): boolean {
  const settings = path.join(dir, 'local.settings.json');
  if (existsSync(settings)) return false;
  const sample = path.join(dir, 'local.settings.sample.json');
  if (!existsSync(sample))
    throw new StackError(
      'local.settings.json is missing and there is no local.settings.sample.json to create it from.',
    );
  copyFileSync(sample, settings);
  return true;
}

/** The sample's values (deployment names, container...) or none: the stack fills in the rest. */
export function sampleValues(dir: string): Record<string, string> {
  const sample = path.join(dir, 'local.settings.sample.json');
  return existsSync(sample) ? readValues(sample) : {};
}
