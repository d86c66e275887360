import { Injectable, UnauthorizedException } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Outbox } from '../shared/queue/outbox';
import { CounterStore } from '../shared/rate-limit/counter-store';
import { TooManyRequestsException } from '../shared/http/too-many-requests.exception';
import { UserResponse } from '../users/dto/user.response';
import { User } from '../users/entities/user.entity';
import { UsersService } from '../users/users.service';
import { AccessTokens } from './access-tokens';
import { AuthResponse, LoginDto, RefreshTokenDto, RegisterDto } from './dto/auth.dto';
import { PasswordHasher } from './password-hasher';
import { RefreshTokens } from './refresh-tokens';

const FAILED_LOGIN_LIMIT = 5;
const FAILED_LOGIN_WINDOW_MS = 15 * 60 * 1000;
const failedLoginsKey = (email: string) => `rl:login:${email.toLowerCase()}`;
const INVALID_CREDENTIALS = 'The e-mail or password is wrong.';

@Injectable()
export class AuthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly accessTokens: AccessTokens,
    private readonly refreshTokens: RefreshTokens,
    private readonly counters: CounterStore,
    private readonly outbox: Outbox,
  ) {}

  async register(dto: RegisterDto): Promise<AuthResponse> {
    const passwordHash = await this.hasher.hash(dto.password);
    return this.dataSource.transaction(async (manager) => {
      const user = await this.users.createCustomer(manager, { email: dto.email, name: dto.name, passwordHash });
      await this.outbox.add(manager, 'welcome-mail', { to: user.email, name: user.name });
      return this.signIn(manager, user);
    });
  }

  /** Failed attempts are counted per e-mail in the shared counter store, so every API process sees them. */
  async login(dto: LoginDto): Promise<AuthResponse> {
    const key = failedLoginsKey(dto.email);
    const failures = await this.counters.peek(key);
    if (failures.count >= FAILED_LOGIN_LIMIT) {
      throw new TooManyRequestsException(failures.resetInMs / 1000, 'Too many failed logins for this e-mail; retry later.');
    }
    const user = await this.users.findByEmail(dto.email);
    if (!(await this.hasher.verify(user?.passwordHash, dto.password)) || !user) {
      await this.counters.hit(key, FAILED_LOGIN_WINDOW_MS);
      throw new UnauthorizedException(INVALID_CREDENTIALS);
    }
    await this.counters.reset(key);
    return this.dataSource.transaction((manager) => this.signIn(manager, user));
  }

  async refresh(dto: RefreshTokenDto): Promise<AuthResponse> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const { userId, familyId } = await this.refreshTokens.rotate(manager, dto.refreshToken);
        const user = await manager.findOneByOrFail(User, { id: userId });
        return this.signIn(manager, user, familyId);
      });
    } catch (error) {
      if (error instanceof UnauthorizedException) await this.refreshTokens.revokeFamilyIfReused(dto.refreshToken);
      throw error;
    }
  }

  logout(userId: string, dto: RefreshTokenDto): Promise<void> {
    return this.refreshTokens.revoke(userId, dto.refreshToken);
  }

  private async signIn(manager: EntityManager, user: User, familyId?: string): Promise<AuthResponse> {
    const refreshToken = await this.refreshTokens.issue(manager, user.id, familyId);
    return {
      user: UserResponse.of(user),
      accessToken: this.accessTokens.issue({ id: user.id, role: user.role }),
      refreshToken,
      expiresIn: this.accessTokens.ttlSeconds,
    };
  }
}
