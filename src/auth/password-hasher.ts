import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';

/**
 * argon2id at the OWASP minimum (19 MiB, 2 iterations, 1 lane). argon2 hashes on libuv's thread
 * pool, so the event loop keeps serving other requests while a login is being verified.
 */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

@Injectable()
export class PasswordHasher {
  /** Verified against when the e-mail is unknown, so a miss costs what a wrong password costs. */
  private readonly decoy = argon2.hash('orderly-decoy-password', OPTIONS);

  hash(password: string): Promise<string> {
    return argon2.hash(password, OPTIONS);
  }

  async verify(hash: string | undefined, password: string): Promise<boolean> {
    try {
      const matches = await argon2.verify(hash ?? (await this.decoy), password);
      return matches && hash !== undefined;
    } catch {
      return false;
    }
  }
}
