// fal's webhook signature (docs/providers/fal.md#webhooks): Ed25519 over
// "request_id\nuser_id\ntimestamp\nsha256hex(body)", hex-encoded; the public key is
// published as a JWKS. The emulator has its own key pair, made at start.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';

export interface FalSigner {
  jwks: { keys: Array<{ kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; use: 'sig'; alg: 'EdDSA' }> };
  /** The four X-Fal-Webhook-* headers for this body. */
  headers(requestId: string, userId: string, body: string, nowMs: number): Record<string, string>;
}

export function createFalSigner(): FalSigner {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x!;
  const kid = createHash('sha256').update(x).digest('hex').slice(0, 16);
  return {
    jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x, kid, use: 'sig', alg: 'EdDSA' }] },
    headers(requestId, userId, body, nowMs) {
      const timestamp = String(Math.floor(nowMs / 1000));
      const message = [requestId, userId, timestamp, createHash('sha256').update(body).digest('hex')].join(
        '\n',
      );
      const signature = sign(null, Buffer.from(message, 'utf8'), privateKey).toString('hex');
      return {
        'x-fal-webhook-request-id': requestId,
        'x-fal-webhook-user-id': userId,
        'x-fal-webhook-timestamp': timestamp,
        'x-fal-webhook-signature': signature,
      };
    },
  };
}
