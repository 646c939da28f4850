// Function keys for --require-keys, as `func` checks them: a master key opens everything, a
// function key opens function-level triggers, the durabletask_extension system key opens
// the durable management API and the rpc endpoint the durable client calls.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface Keys {
  master: string;
  function: string;
  system: string;
}

export function generateKeys(): Keys {
  const key = () => randomBytes(24).toString('base64url');
  return { master: key(), function: key(), system: key() };
}

/** Constant-time comparison, so a key cannot be guessed byte by byte from response timings. */
export function sameKey(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether `given` opens a function of `level` ('anonymous' | 'function' | 'system' | 'admin'). */
export function authorized(keys: Keys | undefined, level: string, given: string | undefined): boolean {
  if (!keys || level === 'anonymous') return true;
  if (sameKey(given, keys.master)) return true;
  if (level === 'function') return sameKey(given, keys.function);
  if (level === 'system') return sameKey(given, keys.system);
  return false;
}
