import { ConfigurationError, loadEnvironment } from './environment';

const problemsOf = (raw: Record<string, string>) => {
  try {
    loadEnvironment(raw);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems.join('\n');
    throw error;
  }
  throw new Error('expected a ConfigurationError');
};

describe('loadEnvironment', () => {
  it('applies the contract defaults with nothing set', () => {
    const env = loadEnvironment({});
    expect(env).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: undefined,
      databasePoolSize: 10,
      redisUrl: undefined,
      workerConcurrency: 10,
      jwtAccessTtl: 900,
      jwtRefreshTtl: 2_592_000,
      mailFrom: 'Orderly <no-reply@orderly.local>',
      orderPaymentTimeout: 900,
      migrationsRun: true,
      trustProxy: false,
      rateLimitPerIp: 100,
      corsOrigins: [],
      storeCurrency: 'USD',
      logLevel: 'info',
    });
  });

  it('refuses production without JWT_SECRET or PAYMENT_WEBHOOK_SECRET, naming them', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems).toContain('JWT_SECRET');
    expect(problems).toContain('PAYMENT_WEBHOOK_SECRET');
  });

  it('refuses a JWT_SECRET shorter than 32 characters', () => {
    expect(problemsOf({ JWT_SECRET: 'short' })).toContain('JWT_SECRET must be at least 32 characters');
  });

  it.each([
    ['PORT', 'eighty'],
    ['DATABASE_POOL_SIZE', '0'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['REDIS_URL', 'localhost:6379'],
    ['SMTP_URL', 'http://mail'],
    ['TRUST_PROXY', 'maybe'],
    ['RATE_LIMIT_PER_IP', '-1'],
    ['STORE_CURRENCY', 'dollars'],
    ['LOG_LEVEL', 'loud'],
    ['JWT_ACCESS_TTL', '1.5'],
  ])('names %s when it is malformed (%s)', (name, value) => {
    expect(problemsOf({ [name]: value })).toContain(name);
  });

  it('requires SEED_ADMIN_EMAIL and SEED_ADMIN_PASSWORD together', () => {
    expect(problemsOf({ SEED_ADMIN_EMAIL: 'admin@example.com' })).toContain('SEED_ADMIN_PASSWORD');
  });

  it('lets CACHE_REDIS_URL default to REDIS_URL and parses CORS_ORIGINS', () => {
    const env = loadEnvironment({ REDIS_URL: 'redis://localhost:6379', CORS_ORIGINS: 'https://a.example, https://b.example' });
    expect(env.cacheRedisUrl).toBe('redis://localhost:6379');
    expect(env.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });
});
