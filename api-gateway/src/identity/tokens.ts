// Tokens: signed, not stored. A token is `kova1.<payload>.<mac>`: the payload (user, project,
// methods, issue and expiry times, audit ids) as base64url JSON, and its HMAC-SHA256 under a key
// every gateway replica shares (the Secret kova-gateway-token-key in kova-system). Why signed like
// Keystone's Fernet tokens rather than stored: issuing and validating cost no Kubernetes write or
// read, any replica validates any token, and nothing piles up in etcd. A token's roles are not
// in it: validation recomputes them from the role assignments, and checks the user still exists
// and is enabled, so revoking a role or deleting a user takes effect at once.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface TokenPayload {
  /** User id. */
  u: string;
  /** Project id, when project-scoped. */
  p?: string;
  /** Authentication methods (password, token, application_credential). */
  m: string[];
  /** The application credential the token was issued for: its roles bound the token's. */
  c?: string;
  /** Issued at / expires at, ms since the epoch. */
  iat: number;
  exp: number;
  /** Audit ids: this token's, then the chain's first (Keystone's audit_ids). */
  a: string[];
}

const PREFIX = 'kova1';

export class TokenSigner {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length < 32) throw new Error('token key: at least 32 bytes');
    this.key = key;
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(`${PREFIX}.${payload}`).digest('base64url');
  }

  sign(payload: TokenPayload): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${PREFIX}.${body}.${this.mac(body)}`;
  }

  /** The payload of a well-signed, unexpired token; undefined otherwise. */
  verify(token: string, now: number): TokenPayload | undefined {
    const [prefix, body, mac] = token.split('.');
    if (prefix !== PREFIX || !body || !mac) return undefined;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as TokenPayload;
      if (typeof payload.u !== 'string' || typeof payload.exp !== 'number' || payload.exp <= now)
        return undefined;
      return payload;
    } catch {
      return undefined;
    }
  }
}

/** Keystone's audit id: 16 random bytes, urlsafe base64 without padding (22 characters). */
export function auditId(): string {
  return randomBytes(16).toString('base64url');
}
