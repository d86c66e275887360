import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';

/**
 * The validated, typed configuration of one process (CONTRACT §2).
 * Every variable is parsed once at start-up; a bad value throws with the variable's name.
 */
export interface Environment {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  databasePoolSize: number;
  redisUrl: string | undefined;
  cacheRedisUrl: string | undefined;
  redisPrefix: string;
  workerConcurrency: number;
  jwtSecret: string;
  jwtAccessTtl: number;
  jwtRefreshTtl: number;
  smtpUrl: string | undefined;
  mailFrom: string;
  seedAdminEmail: string | undefined;
  seedAdminPassword: string | undefined;
  paymentWebhookSecret: string;
  orderPaymentTimeout: number;
  migrationsRun: boolean;
  /** `false`, a hop count (proxies in front, each appending to `X-Forwarded-For`), or trusted proxy addresses/CIDRs. */
  trustProxy: TrustProxy;
  rateLimitPerIp: number;
  corsOrigins: string[];
  storeCurrency: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  shutdownDrainMs: number;
  outboxSweepIntervalMs: number;
  outboxRedeliverAfterMs: number;
  workerPort: number;
  workerShutdownGraceMs: number;
  workerLockDurationMs: number;
  orderSweepIntervalMs: number;
  /** When set, `/metrics` is served on this port only (not on PORT, nor on the worker's WORKER_PORT). */
  metricsPort: number | undefined;
  storagePurgeIntervalMs: number;
}

export type TrustProxy = false | number | string[];

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigurationError';
  }
}

type RawEnv = Record<string, string | undefined>;

/** A development-only key, so `npm start` works on a fresh machine; production refuses it. */
const DEVELOPMENT_JWT_SECRET = 'orderly-development-secret-change-me-0123456789';
const DEVELOPMENT_WEBHOOK_SECRET = 'orderly-development-webhook-secret';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const TRUSTED_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function isAddressOrCidr(value: string): boolean {
  if (TRUSTED_RANGE_NAMES.includes(value)) return true;
  const [address, prefix, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/**
 * `TRUST_PROXY`: `true` is refused — it makes the left-most `X-Forwarded-For` entry, which the
 * client writes, the client's IP (and `1`, read as a boolean, did the same in v1).
 */
function trustProxyOf(value: string | undefined, problems: string[]): TrustProxy {
  const lower = value?.toLowerCase();
  if (lower === undefined || lower === 'false' || lower === '0') return false;
  if (['true', 'yes', 'on'].includes(lower)) {
    problems.push(
      'TRUST_PROXY=true is refused: it lets every client choose its own IP through X-Forwarded-For; ' +
        'set the number of proxies in front (1 = one load balancer) or their addresses/CIDRs',
    );
    return false;
  }
  if (/^\d+$/.test(lower)) {
    if (Number(lower) <= 16) return Number(lower);
    problems.push(`TRUST_PROXY must be a hop count between 0 and 16 (got "${value}")`);
    return false;
  }
  const entries = lower.split(',').map((entry) => entry.trim());
  const bad = entries.filter((entry) => !isAddressOrCidr(entry));
  if (bad.length === 0) return entries;
  problems.push(`TRUST_PROXY must be false, a hop count, or proxy addresses/CIDRs (not "${bad.join('", "')}")`);
  return false;
}

export function loadEnvironment(raw: RawEnv = process.env): Environment {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = raw[name]?.trim();
    return value === '' ? undefined : value;
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const value = read(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${value}")`);
      return fallback;
    }
    return Number(value);
  };
  const boolean = (name: string, fallback: boolean): boolean => {
    const value = read(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    problems.push(`${name} must be true or false (got "${value}")`);
    return fallback;
  };
  const url = (name: string, protocols: string[]): string | undefined => {
    const value = read(name);
    if (value === undefined) return undefined;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return value;
    } catch {
      problems.push(`${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
      return undefined;
    }
  };

  const nodeEnvRaw = read('NODE_ENV') ?? 'development';
  let nodeEnv: Environment['nodeEnv'] = 'development';
  if (nodeEnvRaw === 'production' || nodeEnvRaw === 'test' || nodeEnvRaw === 'development') {
    nodeEnv = nodeEnvRaw;
  } else {
    problems.push(`NODE_ENV must be development, production or test (got "${nodeEnvRaw}")`);
  }
  const production = nodeEnv === 'production';

  const secret = (name: string, developmentValue: string, minLength: number): string => {
    const value = read(name);
    if (value === undefined) {
      if (production) problems.push(`${name} is required when NODE_ENV=production`);
      return developmentValue;
    }
    if (value.length < minLength) problems.push(`${name} must be at least ${minLength} characters`);
    return value;
  };

  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);
  const logLevel = (read('LOG_LEVEL') ?? 'info') as Environment['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const storeCurrency = read('STORE_CURRENCY') ?? 'USD';
  if (!/^[A-Z]{3}$/.test(storeCurrency)) problems.push('STORE_CURRENCY must be an ISO 4217 code such as USD');
  const seedAdminEmail = read('SEED_ADMIN_EMAIL')?.toLowerCase();
  const seedAdminPassword = read('SEED_ADMIN_PASSWORD');
  if ((seedAdminEmail === undefined) !== (seedAdminPassword === undefined)) {
    problems.push('SEED_ADMIN_EMAIL and SEED_ADMIN_PASSWORD must be set together');
  }
  if (seedAdminPassword !== undefined && (seedAdminPassword.length < 8 || seedAdminPassword.length > 128)) {
    problems.push('SEED_ADMIN_PASSWORD must be 8..128 characters');
  }
  const dataDir = read('DATA_DIR') ?? './.data';

  const environment: Environment = {
    nodeEnv,
    port: integer('PORT', 3000, 0, 65535),
    host: read('HOST') ?? '0.0.0.0',
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(dataDir),
    databasePoolSize: integer('DATABASE_POOL_SIZE', 10, 1, 500),
    redisUrl,
    cacheRedisUrl: url('CACHE_REDIS_URL', ['redis:', 'rediss:']) ?? redisUrl,
    redisPrefix: read('REDIS_PREFIX') ?? 'orderly',
    workerConcurrency: integer('WORKER_CONCURRENCY', 10, 1, 1000),
    jwtSecret: secret('JWT_SECRET', DEVELOPMENT_JWT_SECRET, 32),
    jwtAccessTtl: integer('JWT_ACCESS_TTL', 900, 1, 86_400),
    jwtRefreshTtl: integer('JWT_REFRESH_TTL', 2_592_000, 60, 31_536_000),
    smtpUrl: url('SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: read('MAIL_FROM') ?? 'Orderly <no-reply@orderly.local>',
    seedAdminEmail,
    seedAdminPassword,
    paymentWebhookSecret: secret('PAYMENT_WEBHOOK_SECRET', DEVELOPMENT_WEBHOOK_SECRET, 16),
    orderPaymentTimeout: integer('ORDER_PAYMENT_TIMEOUT', 900, 1, 31_536_000),
    migrationsRun: boolean('MIGRATIONS_RUN', true),
    trustProxy: trustProxyOf(read('TRUST_PROXY'), problems),
    rateLimitPerIp: integer('RATE_LIMIT_PER_IP', 100, 0, 1_000_000),
    corsOrigins: (read('CORS_ORIGINS') ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    storeCurrency,
    logLevel,
    shutdownDrainMs: integer('SHUTDOWN_DRAIN_MS', production ? 5000 : 0, 0, 120_000),
    outboxSweepIntervalMs: integer('OUTBOX_SWEEP_INTERVAL_MS', 5_000, 50, 3_600_000),
    outboxRedeliverAfterMs: integer('OUTBOX_REDELIVER_AFTER_MS', 60_000, 100, 86_400_000),
    workerPort: integer('WORKER_PORT', 3001, 0, 65535),
    workerShutdownGraceMs: integer('WORKER_SHUTDOWN_GRACE_MS', 25_000, 0, 600_000),
    workerLockDurationMs: integer('WORKER_LOCK_DURATION_MS', 30_000, 500, 600_000),
    orderSweepIntervalMs: integer('ORDER_SWEEP_INTERVAL_MS', 10_000, 100, 3_600_000),
    metricsPort: read('METRICS_PORT') === undefined ? undefined : integer('METRICS_PORT', 0, 1, 65535),
    storagePurgeIntervalMs: integer('STORAGE_PURGE_INTERVAL_MS', 3_600_000, 1_000, 86_400_000),
  };
  if (environment.metricsPort !== undefined && [environment.port, environment.workerPort].includes(environment.metricsPort)) {
    problems.push('METRICS_PORT must differ from PORT and WORKER_PORT');
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return environment;
}
