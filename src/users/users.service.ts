import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import type { Principal } from '../auth/access-tokens';
import { AppCache } from '../shared/cache/app-cache';
import { isUniqueViolation } from '../shared/database/postgres-errors';
import { JsonBody } from '../shared/http/json-body';
import { decodeCursor, PageQuery, toPage } from '../shared/http/pagination';
import { UserPage, UserResponse } from './dto/user.response';
import { Role, User } from './entities/user.entity';

const PROFILE_TTL_MS = 60_000;
/** The profile's JSON as answered (`j1`: the text itself, so a hit is sent without a parse). */
const profileKey = (userId: string) => `user:${userId}:profile:j1`;
/**
 * Invalidation also drops the previous release's entry (an object, under the bare key), so its
 * processes read fresh during a rolling deploy; drop it from the list one release later.
 */
const profileKeys = (userId: string) => [profileKey(userId), `user:${userId}:profile`];

export interface NewAccount {
  email: string;
  name: string;
  passwordHash: string;
}

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly cache: AppCache,
  ) {}

  /** Creates a customer inside the caller's transaction; a taken e-mail is a 409, also under a race. */
  async createCustomer(manager: EntityManager, account: NewAccount): Promise<User> {
    try {
      return await manager.save(manager.create(User, { ...account, email: account.email.toLowerCase(), role: Role.Customer }));
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_unique')) throw new ConflictException('This e-mail is already registered.');
      throw error;
    }
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email: email.toLowerCase() });
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** The caller's own profile; read on every `GET /users/me`, so it is cached and invalidated on change. */
  async profile(caller: Principal): Promise<JsonBody<UserResponse>> {
    const cached = await this.cache.get('profile', profileKey(caller.id));
    if (cached !== undefined) return new JsonBody(cached);
    const user = await this.findById(caller.id);
    if (!user) throw new NotFoundException('This account no longer exists.');
    const profile = JsonBody.of(UserResponse.of(user));
    await this.cache.set(profileKey(caller.id), profile.text, PROFILE_TTL_MS);
    return profile;
  }

  async rename(caller: Principal, name: string): Promise<UserResponse> {
    const result = await this.users.update({ id: caller.id }, { name });
    if (result.affected === 0) throw new NotFoundException('This account no longer exists.');
    await this.cache.delete(...profileKeys(caller.id));
    return this.get(caller.id);
  }

  async list(query: PageQuery): Promise<UserPage> {
    const after = decodeCursor(query.cursor);
    const builder = this.users.createQueryBuilder('user').orderBy('user.createdAt', 'DESC').addOrderBy('user.id', 'DESC');
    if (after) builder.where('(user.createdAt, user.id) < (:createdAt, :id)', after);
    const rows = await builder.take(query.limit + 1).getMany();
    return toPage(rows, query.limit, UserResponse.of);
  }

  async get(id: string): Promise<UserResponse> {
    const user = await this.findById(id);
    if (!user) throw new NotFoundException('No such user.');
    return UserResponse.of(user);
  }

  /** Creates the seed administrator unless the e-mail is taken (by anyone: the unique e-mail decides, also across pods). */
  async createAdminIfAbsent(email: string, passwordHash: string): Promise<boolean> {
    const created = (await this.users.query(
      `INSERT INTO users (email, name, password_hash, role) VALUES ($1, 'Administrator', $2, 'admin')
       ON CONFLICT (email) DO NOTHING RETURNING id`,
      [email.toLowerCase(), passwordHash],
    )) as { id: string }[];
    return created.length > 0;
  }

  async promoteToAdmin(id: string): Promise<void> {
    await this.users.update({ id }, { role: Role.Admin });
    await this.cache.delete(...profileKeys(id));
  }
}
