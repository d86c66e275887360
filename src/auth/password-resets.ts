import { BadRequestException, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TooManyRequestsException } from '../shared/http/too-many-requests.exception';
import { Outbox } from '../shared/queue/outbox';
import { CounterStore } from '../shared/rate-limit/counter-store';
import { User } from '../users/entities/user.entity';
import { UsersService } from '../users/users.service';
import { PasswordResetToken } from './entities/password-reset-token.entity';
import { PasswordHasher } from './password-hasher';
import { RefreshTokens } from './refresh-tokens';

const TOKEN_LIFETIME_MS = 60 * 60 * 1000;
const REQUESTS_PER_EMAIL = 3;
const REQUEST_WINDOW_MS = 60 * 60 * 1000;
const digest = (token: string) => createHash('sha256').update(token).digest('hex');

@Injectable()
export class PasswordResets {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly refreshTokens: RefreshTokens,
    private readonly outbox: Outbox,
    private readonly counters: CounterStore,
  ) {}

  /**
   * Sends a reset token when the account exists, and behaves identically when it does not; the
   * per-e-mail limit applies to both, so neither the answer nor the limit reveals an account.
   */
  async requestReset(email: string): Promise<void> {
    const requests = await this.counters.hit(`rl:password-forgot:${email.toLowerCase()}`, REQUEST_WINDOW_MS);
    if (requests.count > REQUESTS_PER_EMAIL) {
      throw new TooManyRequestsException(requests.resetInMs / 1000, 'Too many reset requests for this e-mail; retry later.');
    }
    const user = await this.users.findByEmail(email);
    if (!user) return;
    const token = randomBytes(32).toString('base64url');
    await this.dataSource.transaction(async (manager) => {
      await manager.insert(PasswordResetToken, {
        userId: user.id,
        tokenHash: digest(token),
        expiresAt: new Date(Date.now() + TOKEN_LIFETIME_MS),
      });
      await this.outbox.add(manager, 'password-reset-mail', { to: user.email, name: user.name, token });
    });
  }

  /** Uses the token once (the conditional UPDATE is the fence), sets the password and signs out every session. */
  async reset(token: string, password: string): Promise<void> {
    const passwordHash = await this.hasher.hash(password);
    await this.dataSource.transaction(async (manager) => {
      const [rows] = (await manager.query(
        `UPDATE password_reset_tokens SET used_at = now()
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
         RETURNING user_id`,
        [digest(token)],
      )) as [{ user_id: string }[], number];
      const userId = rows[0]?.user_id;
      if (!userId) throw new BadRequestException('This reset token is invalid, expired or already used.');
      await manager.update(User, { id: userId }, { passwordHash });
      await manager.query(`UPDATE password_reset_tokens SET used_at = now() WHERE user_id = $1 AND used_at IS NULL`, [userId]);
      await this.refreshTokens.revokeAllOf(manager, userId);
    });
  }
}
