// Request authentication for Azure OpenAI: the `api-key` header when a key is configured
// (local emulator, or accounts that still allow keys), otherwise an Entra ID bearer token
// from the managed identity (keyless, as infra/ deploys it).
import type { TokenCredential } from '@azure/identity';
import { lazyDefaultAzureCredential } from '../../azure-credential.js';
import type { AzureOpenAiSettings } from '../../config.js';
import type { AuthHeaders } from '../http/transport.js';

export const COGNITIVE_SERVICES_SCOPE = 'https://cognitiveservices.azure.com/.default';
/** Refresh this long before expiry, so a token never expires in flight. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;

export function apiKeyAuth(apiKey: string): AuthHeaders {
  return { headers: async () => ({ 'api-key': apiKey }) };
}

/** Bearer tokens, cached until shortly before they expire; concurrent callers share one fetch. */
export function tokenAuth(credential: TokenCredential, now: () => number = Date.now): AuthHeaders {
  let cached: { token: string; expiresOnTimestamp: number } | undefined;
  let pending: Promise<string> | undefined;
  const fetchToken = async () => {
    const token = await credential.getToken(COGNITIVE_SERVICES_SCOPE);
    if (!token) throw new Error('The Azure credential returned no token for Azure OpenAI');
    cached = { token: token.token, expiresOnTimestamp: token.expiresOnTimestamp };
    return token.token;
  };
  return {
    async headers() {
      if (!cached || cached.expiresOnTimestamp - now() < REFRESH_MARGIN_MS) {
        pending ??= fetchToken().finally(() => (pending = undefined));
        await pending;
      }
      return { authorization: `Bearer ${cached!.token}` };
    },
  };
}

/** The app's choice: a key when AZURE_OPENAI_API_KEY is set, else the (user-assigned) managed identity. */
export function authFromSettings(
  settings: Pick<AzureOpenAiSettings, 'apiKey' | 'managedIdentityClientId'>,
): AuthHeaders {
  if (settings.apiKey) return apiKeyAuth(settings.apiKey);
  return tokenAuth(
    lazyDefaultAzureCredential(
      settings.managedIdentityClientId ? { managedIdentityClientId: settings.managedIdentityClientId } : {},
    ),
  );
}
