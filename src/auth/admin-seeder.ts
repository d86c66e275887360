import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ENVIRONMENT } from '../shared/config/config.module';
import type { Environment } from '../shared/config/environment';
import { Role } from '../users/entities/user.entity';
import { UsersService } from '../users/users.service';
import { PasswordHasher } from './password-hasher';

/**
 * Makes `SEED_ADMIN_EMAIL` an administrator once migrations have run. An account that already
 * holds the e-mail is promoted only when its password is `SEED_ADMIN_PASSWORD`: whoever registered
 * the address first (a squatter) must not become admin by waiting for the deployment to seed it.
 */
@Injectable()
export class AdminSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminSeeder.name);

  constructor(
    @Inject(ENVIRONMENT) private readonly env: Environment,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { seedAdminEmail: email, seedAdminPassword: password } = this.env;
    if (!email || !password) return;
    // Looked up before hashing: on every start but the first the account exists, and an argon2
    // hash (19 MiB, tens of milliseconds) is then start-up time and memory spent for nothing.
    let existing = await this.users.findByEmail(email);
    if (!existing) {
      if (await this.users.createAdminIfAbsent(email, await this.hasher.hash(password))) {
        this.logger.log(`Seed administrator ${email} created`);
        return;
      }
      existing = await this.users.findByEmail(email); // another process created it meanwhile
    }
    if (!existing || existing.role === Role.Admin) {
      this.logger.log(`Seed administrator ${email} is present`);
      return;
    }
    if (!(await this.hasher.verify(existing.passwordHash, password))) {
      this.logger.error(
        `SEED_ADMIN_EMAIL ${email} belongs to an existing account whose password is not SEED_ADMIN_PASSWORD; it was left a ${existing.role}`,
      );
      return;
    }
    await this.users.promoteToAdmin(existing.id);
    this.logger.log(`Seed administrator ${email}: the existing account was promoted`);
  }
}
