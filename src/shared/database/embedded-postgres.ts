import { Logger } from '@nestjs/common';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Real PostgreSQL (PGlite, compiled to WebAssembly) inside this process, stored under
 * `DATA_DIR/pgdata`, served on a loopback socket so the application talks to it through the same
 * `pg` driver, entities and migrations as production.
 *
 * PGlite is a single session: the socket server accepts one connection at a time and the pool is
 * capped at one connection, so transactions are serialised rather than interleaved on one session.
 */
export class EmbeddedPostgres {
  private static readonly logger = new Logger(EmbeddedPostgres.name);

  private constructor(
    private readonly database: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly url: string,
  ) {}

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    const directory = join(dataDir, 'pgdata');
    mkdirSync(directory, { recursive: true });
    const database = await PGlite.create(directory, { extensions: { pg_trgm } });
    const server = new PGLiteSocketServer({ db: database, host: '127.0.0.1', port: 0 });
    await server.start();
    EmbeddedPostgres.logger.log(`Embedded PostgreSQL (PGlite) stored in ${directory}`);
    return new EmbeddedPostgres(database, server, `postgres://postgres@${server.getServerConn()}/postgres`);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.database.close();
  }
}
