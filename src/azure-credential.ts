// The managed identity's credential (@azure/identity's DefaultAzureCredential), loaded when the
// first token is asked for rather than at app load: @azure/identity brings MSAL, jsonwebtoken and
// semver, which the worker would otherwise run at every cold start, while a start-up with keys or
// a connection string (every local run) never asks for a token (bench/README.md "App load time").
import type { DefaultAzureCredentialClientIdOptions, TokenCredential } from '@azure/identity';

export function lazyDefaultAzureCredential(
  options: DefaultAzureCredentialClientIdOptions = {},
): TokenCredential {
  let credential: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes, getTokenOptions) {
      credential ??= import('@azure/identity').then(
        ({ DefaultAzureCredential }) => new DefaultAzureCredential(options),
      );
      return (await credential).getToken(scopes, getTokenOptions);
    },
  };
}
