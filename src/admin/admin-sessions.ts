import { ForbiddenException, Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { createHash, randomBytes } from 'node:crypto';
import type { Principal } from '../auth/access-tokens';
import { AuthService } from '../auth/auth.service';
import type { LoginDto } from '../auth/dto/auth.dto';
import { REDIS } from '../shared/redis/redis.module';
import { Role, User } from '../users/entities/user.entity';
import { UsersService } from '../users/users.service';

/** A working day: the contract's upper bound, enforced by Redis (the key's TTL) and by the cookie's Max-Age. */
export const SESSION_TTL_SECONDS = 8 * 60 * 60;

/** 32 random bytes in base64url; anything else cannot be a token this service issued. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Only a digest rests in Redis: a 256-bit random token needs no slow hash, and a leaked key opens nothing. */
export const sessionKey = (token: string) => `admin-session:${sha256(token)}`;

/**
 * What a session remembers of the password it was opened with: a digest of its (salted) hash, so
 * a new password, as a reset sets, ends every session opened with the old one, as it ends every
 * refresh token.
 */
const sessionValue = (user: User) => `${user.id} ${sha256(user.passwordHash)}`;

/**
 * Queue dashboard sessions for browsers, in the Redis every API process shares. Redis because the
 * dashboard exists only where Redis does, and a key's TTL bounds storage and lifetime without a
 * purge job. Each use re-reads the account, so a demoted or deleted admin, or one whose password
 * changed, is out at once.
 */
@Injectable()
export class AdminSessions {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  /** Checks the credentials through the API login's lockout; returns the new session's token for an admin. */
  async start(credentials: LoginDto): Promise<string> {
    const principal = await this.auth.authenticate(credentials);
    const user = await this.users.findById(principal.id);
    if (user?.role !== Role.Admin) throw new ForbiddenException('Only admins can open the queue dashboard.');
    const token = randomBytes(32).toString('base64url');
    await this.redis.set(sessionKey(token), sessionValue(user), 'EX', SESSION_TTL_SECONDS);
    return token;
  }

  /** The admin whose session this is, or `null`: unknown, expired, ended, no longer an admin, or the password changed. */
  async adminOf(token: string | undefined): Promise<Principal | null> {
    if (token === undefined || !TOKEN_SHAPE.test(token)) return null;
    const key = sessionKey(token);
    const value = await this.redis.get(key);
    if (value === null) return null;
    const user = await this.users.findById(value.split(' ')[0]);
    if (user?.role !== Role.Admin || sessionValue(user) !== value) {
      await this.redis.del(key);
      return null;
    }
    return { id: user.id, role: user.role };
  }

  async end(token: string | undefined): Promise<void> {
    if (token !== undefined && TOKEN_SHAPE.test(token)) await this.redis.del(sessionKey(token));
  }
}
