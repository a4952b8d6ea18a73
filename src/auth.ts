import { createHash, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import { unauthenticated } from './errors.ts';

/**
 * Who made a request (the subject of a JWT, or a static token known by its hash only), and
 * from where.
 */
export interface Principal {
  kind: 'token' | 'jwt' | 'anonymous';
  /** Stable, secret-free identity for rate limits and logs. */
  id: string;
  /** The client's address, after the trusted proxies (TRUST_PROXY): see clientAddress.ts. */
  clientAddress: string;
}

export interface Authenticator {
  readonly enabled: boolean;
  /**
   * Checks an `Authorization` header value. Resolves to the principal, or rejects with
   * UNAUTHENTICATED. With auth off, everyone is anonymous (`clientAddress` tells them apart).
   */
  authenticate(authorization: string | null | undefined, clientAddress: string): Promise<Principal>;
}

export interface AuthOptions {
  tokens: string[];
  jwtSecret: string | undefined;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function createAuthenticator(options: AuthOptions): Authenticator {
  const tokenDigests = options.tokens.map(sha256);
  const jwtKey = options.jwtSecret ? new TextEncoder().encode(options.jwtSecret) : undefined;
  const enabled = tokenDigests.length > 0 || jwtKey !== undefined;

  return {
    enabled,
    async authenticate(authorization, clientAddress) {
      if (!enabled) return { kind: 'anonymous', id: `address:${clientAddress}`, clientAddress };
      const token = authorization ? BEARER.exec(authorization)?.[1] : undefined;
      if (!token)
        throw unauthenticated('Missing bearer token: send "Authorization: Bearer <token>".');

      const digest = sha256(token);
      if (tokenDigests.some((known) => timingSafeEqual(known, digest))) {
        return { kind: 'token', id: `token:${digest.toString('hex').slice(0, 16)}`, clientAddress };
      }
      if (jwtKey && token.split('.').length === 3) {
        try {
          const { payload } = await jwtVerify(token, jwtKey, {
            algorithms: ['HS256'],
            requiredClaims: ['exp'],
          });
          const subject =
            typeof payload.sub === 'string' ? payload.sub : digest.toString('hex').slice(0, 16);
          return { kind: 'jwt', id: `jwt:${subject}`, clientAddress };
        } catch (error) {
          if (error instanceof joseErrors.JWTExpired)
            throw unauthenticated('The bearer token has expired.');
          throw unauthenticated('The bearer token is not valid.');
        }
      }
      throw unauthenticated('The bearer token is not valid.');
    },
  };
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
