import type { Environment } from './environment';

/** One start-up line saying which embedded stand-ins replace production services in this process. */
export function describeEmbeddedParts(env: Environment): string {
  const parts = [
    !env.databaseUrl && `PostgreSQL → embedded PGlite in ${env.dataDir}/pgdata`,
    !env.cacheRedisUrl && 'cache → process memory',
    !env.redisUrl && 'rate limits and jobs → in-process',
    !env.smtpUrl && `mail → .eml files in ${env.dataDir}/mail`,
  ].filter(Boolean);
  return parts.length === 0 ? 'Production services: PostgreSQL, Redis and SMTP' : `Embedded mode: ${parts.join('; ')}`;
}
