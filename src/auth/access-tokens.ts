import { Inject, Injectable } from '@nestjs/common';
import { createSigner, createVerifier } from 'fast-jwt';
import { ENVIRONMENT } from '../shared/config/config.module';
import type { Environment } from '../shared/config/environment';
import { Role } from '../users/entities/user.entity';

const ISSUER = 'orderly';
const AUDIENCE = 'orderly-api';

/** Who is calling, as proven by an access token. */
export interface Principal {
  id: string;
  role: Role;
}

/**
 * Stateless HS256 access tokens: any API process verifies a token another issued. The algorithm,
 * issuer and audience are pinned, so `alg: none` or a token minted for another service fails.
 * Verified tokens are cached (LRU, bounded by each token's own `exp`) to keep the hot path cheap.
 */
@Injectable()
export class AccessTokens {
  private readonly sign: (payload: Record<string, unknown>) => string;
  private readonly verify: (token: string) => { sub?: unknown; role?: unknown };

  constructor(@Inject(ENVIRONMENT) private readonly env: Environment) {
    this.sign = createSigner({
      key: env.jwtSecret,
      algorithm: 'HS256',
      iss: ISSUER,
      aud: AUDIENCE,
      expiresIn: env.jwtAccessTtl * 1000,
    });
    this.verify = createVerifier({
      key: env.jwtSecret,
      algorithms: ['HS256'],
      allowedIss: ISSUER,
      allowedAud: AUDIENCE,
      requiredClaims: ['exp', 'sub'],
      cache: 10_000,
    });
  }

  get ttlSeconds(): number {
    return this.env.jwtAccessTtl;
  }

  issue(principal: Principal): string {
    return this.sign({ sub: principal.id, role: principal.role });
  }

  /** The principal an `Authorization` header proves: a `Bearer` token of ours, else `null` (absent, another scheme, invalid). */
  principalOfHeader(authorization: string | undefined): Principal | null {
    return authorization?.startsWith('Bearer ') ? this.principalOf(authorization.slice(7)) : null;
  }

  /** The principal a token proves, or `null` for any invalid, expired or foreign token. */
  principalOf(token: string): Principal | null {
    try {
      const claims = this.verify(token);
      if (typeof claims.sub !== 'string' || (claims.role !== Role.Admin && claims.role !== Role.Customer)) return null;
      return { id: claims.sub, role: claims.role };
    } catch {
      return null;
    }
  }
}
