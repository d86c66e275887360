import { Injectable, UnauthorizedException } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Outbox } from '../shared/queue/outbox';
import { CounterStore } from '../shared/rate-limit/counter-store';
import { TooManyRequestsException } from '../shared/http/too-many-requests.exception';
import { UserResponse } from '../users/dto/user.response';
import { User } from '../users/entities/user.entity';
import { UsersService } from '../users/users.service';
import { AccessTokens, Principal } from './access-tokens';
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

  async login(dto: LoginDto): Promise<AuthResponse> {
    const user = await this.checkCredentials(dto);
    return this.dataSource.transaction((manager) => this.signIn(manager, user));
  }

  /**
   * Who these credentials prove, for sign-ins other than the API's (the queue dashboard's form):
   * the same lockout and the same refusals as `login`, since a second door must not give a second
   * set of guesses.
   */
  async authenticate(dto: LoginDto): Promise<Principal> {
    const user = await this.checkCredentials(dto);
    return { id: user.id, role: user.role };
  }

  /**
   * Every attempt is counted, in the store all API processes share, before its password is checked:
   * the increment is atomic, so however many guesses race, at most FAILED_LOGIN_LIMIT per e-mail are
   * checked in a window, and once they failed even the right password waits for the window to end.
   * A success takes its own attempt back: signing in uses up nothing, and erases no failure either.
   */
  private async checkCredentials(dto: LoginDto): Promise<User> {
    const key = failedLoginsKey(dto.email);
    const attempts = await this.counters.hit(key, FAILED_LOGIN_WINDOW_MS);
    if (attempts.count > FAILED_LOGIN_LIMIT) {
      throw new TooManyRequestsException(attempts.resetInMs / 1000, 'Too many failed logins for this e-mail; retry later.');
    }
    const user = await this.users.findByEmail(dto.email);
    if (!(await this.hasher.verify(user?.passwordHash, dto.password)) || !user) throw new UnauthorizedException(INVALID_CREDENTIALS);
    await this.counters.undo(key);
    return user;
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
