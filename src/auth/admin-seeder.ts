import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { ENVIRONMENT } from '../shared/config/config.module';
import type { Environment } from '../shared/config/environment';
import { UsersService } from '../users/users.service';
import { PasswordHasher } from './password-hasher';

/** Ensures `SEED_ADMIN_EMAIL` is an administrator once migrations have run; an existing password is kept. */
@Injectable()
export class AdminSeeder implements OnApplicationBootstrap {
  constructor(
    @Inject(ENVIRONMENT) private readonly env: Environment,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.env.seedAdminEmail || !this.env.seedAdminPassword) return;
    await this.users.ensureAdmin(this.env.seedAdminEmail, await this.hasher.hash(this.env.seedAdminPassword));
  }
}
