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
  trustProxy: boolean;
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
}

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
    trustProxy: boolean('TRUST_PROXY', false),
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
  };
  if (problems.length > 0) throw new ConfigurationError(problems);
  return environment;
}
