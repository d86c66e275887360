import { Logger } from '@nestjs/common';
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
  private constructor(
    private readonly database: { close(): Promise<void> },
    private readonly server: { stop(): Promise<void> },
    readonly url: string,
  ) {}

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    const directory = join(dataDir, 'pgdata');
    mkdirSync(directory, { recursive: true });
    // Loaded only here, so processes on a real PostgreSQL never load PGlite.
    const [{ PGlite }, { pg_trgm }, { PGLiteSocketServer }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('@electric-sql/pglite/contrib/pg_trgm'),
      import('@electric-sql/pglite-socket'),
    ]);
    const database = await PGlite.create(directory, { extensions: { pg_trgm } });
    const server = new PGLiteSocketServer({ db: database, host: '127.0.0.1', port: 0 });
    await server.start();
    new Logger(EmbeddedPostgres.name).log(`Embedded PostgreSQL (PGlite) stored in ${directory}`);
    return new EmbeddedPostgres(database, server, `postgres://postgres@${server.getServerConn()}/postgres`);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.database.close();
  }
}
