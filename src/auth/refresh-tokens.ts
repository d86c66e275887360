import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EntityManager, IsNull, Repository } from 'typeorm';
import { ENVIRONMENT } from '../shared/config/config.module';
import type { Environment } from '../shared/config/environment';
import { RefreshToken, RefreshTokenRevocation } from './entities/refresh-token.entity';

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Opaque refresh tokens, stored only as a SHA-256 digest. Each login starts a family; each refresh
 * revokes the presented token and issues its successor in the same family. Presenting a token that
 * was already rotated means a copy leaked, so the whole family is revoked.
 */
@Injectable()
export class RefreshTokens {
  constructor(
    @InjectRepository(RefreshToken) private readonly tokens: Repository<RefreshToken>,
    @Inject(ENVIRONMENT) private readonly env: Environment,
  ) {}

  /** Issues a token; `familyId` continues a rotation, its absence starts a new login. */
  async issue(manager: EntityManager, userId: string, familyId: string = randomUUID()): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await manager.insert(RefreshToken, {
      userId,
      familyId,
      tokenHash: digest(token),
      expiresAt: new Date(Date.now() + this.env.jwtRefreshTtl * 1000),
    });
    return token;
  }

  /**
   * Revokes `token` as rotated and returns its owner and family. The conditional UPDATE is the
   * fence: of two concurrent refreshes with one token, exactly one wins.
   */
  async rotate(manager: EntityManager, token: string): Promise<{ userId: string; familyId: string }> {
    const tokenHash = digest(token);
    const [rows] = (await manager.query(
      `UPDATE refresh_tokens SET revoked_at = now(), revoked_reason = 'rotated'
       WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()
       RETURNING user_id, family_id`,
      [tokenHash],
    )) as [{ user_id: string; family_id: string }[], number];
    const rotated = rows[0];
    if (rotated) return { userId: rotated.user_id, familyId: rotated.family_id };
    throw new UnauthorizedException('This refresh token is not valid.');
  }

  /** Called after a failed rotation: if the token was already rotated, revoke its family (outside the failed transaction). */
  async revokeFamilyIfReused(token: string): Promise<void> {
    const presented = await this.tokens.findOneBy({ tokenHash: digest(token) });
    if (presented?.revokedReason === 'rotated') {
      await this.tokens.update({ familyId: presented.familyId, revokedAt: IsNull() }, this.revocation('reuse'));
    }
  }

  async revoke(userId: string, token: string): Promise<void> {
    await this.tokens.update({ tokenHash: digest(token), userId, revokedAt: IsNull() }, this.revocation('logout'));
  }

  async revokeAllOf(manager: EntityManager, userId: string): Promise<void> {
    await manager.update(RefreshToken, { userId, revokedAt: IsNull() }, this.revocation('password-reset'));
  }

  private revocation(reason: RefreshTokenRevocation): Partial<RefreshToken> {
    return { revokedAt: new Date(), revokedReason: reason };
  }
}
