// @ai-sdk/fal's video model calls https://queue.fal.run itself (3.0.41: its `baseURL` is for
// images only), so tests point it at the emulator's fal dialect through fetch, never through the
// app's settings (issue 26: "its fetch option, pointed at the emulator in tests only"):
// - a request to fal's queue goes to the emulator's /fal instead;
// - the queue URLs in the JSON answers are written back as fal's, so the package sees the origin
//   it submitted to (it sends the key only there, and checks a status URL on another origin as a
//   download, which refuses loopback);
// - output files keep the emulator's loopback address (fal serves them from another host,
//   fal.media), where the app's download rule allows them in local development.
// Guard: every request through this fetch, mapped or not, goes to a loopback IP literal, or is
// refused before any connection (tests send traffic only to 127.0.0.0/8 or ::1).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isLoopbackAddress } from '../../src/net/address-rule.js';

export const FAL_QUEUE = 'https://queue.fal.run';

/** The environment variable the host preload (fal-loopback-preload.ts) reads the emulator's fal
 * dialect from (test-only: the app never reads it). */
export const FAL_EMULATOR_VARIABLE = 'TEST_FAL_EMULATOR_URL';

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `base` with fal's queue mapped to `emulatorFal` (e.g. http://127.0.0.1:7071/fal) and back. */
export function loopbackFalFetch(emulatorFal: string, base: typeof fetch): typeof fetch {
  const emulatorOrigin = new URL(emulatorFal);
  if (!isLoopbackAddress(emulatorOrigin.hostname))
    throw new Error(`the fal emulator must be at a loopback address, not ${emulatorOrigin.host}`);
  // The emulator's queue URLs (not its files) as they appear in its answers.
  const queueUrls = new RegExp(`${escaped(emulatorFal)}/(?!files/)`, 'g');
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    const mapped = url === FAL_QUEUE || url.startsWith(`${FAL_QUEUE}/`);
    const target = mapped ? emulatorFal + url.slice(FAL_QUEUE.length) : url;
    const host = new URL(target).hostname;
    if (!isLoopbackAddress(host))
      throw new TypeError(`test fetch refused ${host}: tests reach loopback addresses only (${target})`);
    if (!mapped) return base(input, init);
    const response = await base(input instanceof Request ? new Request(target, input) : target, init);
    if (!/json/.test(response.headers.get('content-type') ?? '')) return response;
    const text = (await response.text()).replace(queueUrls, `${FAL_QUEUE}/`);
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    headers.delete('content-encoding');
    return new Response(text, { status: response.status, statusText: response.statusText, headers });
  };
}

/** Settings for a host (test/integration/pipeline-stack.ts) whose fetch maps fal's queue to the
 * emulator at `emulatorUrl`: the preload, given to node by NODE_OPTIONS, and where it points. */
export function falLoopbackSettings(emulatorUrl: string): Record<string, string> {
  const preload = pathToFileURL(path.join(__dirname, 'fal-loopback-preload.ts')).href;
  return {
    // tsx first: the host's own `--import tsx` comes after NODE_OPTIONS' imports.
    NODE_OPTIONS: [process.env.NODE_OPTIONS, '--import tsx', `--import ${preload}`].filter(Boolean).join(' '),
    [FAL_EMULATOR_VARIABLE]: `${emulatorUrl}/fal`,
  };
}
