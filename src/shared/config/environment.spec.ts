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

  it('reads TRUST_PROXY as a hop count or a list of trusted addresses/CIDRs, 1 being one hop', () => {
    expect(loadEnvironment({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadEnvironment({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadEnvironment({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadEnvironment({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadEnvironment({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,fd00::/8,loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.7',
      'fd00::/8',
      'loopback',
    ]);
  });

  it.each(['true', 'TRUE', 'yes'])('refuses TRUST_PROXY=%s, naming TRUST_PROXY', (value) => {
    expect(problemsOf({ TRUST_PROXY: value })).toMatch(/TRUST_PROXY=true is refused/);
  });

  it.each(['10.0.0.0/33', '10.0.0.1,', 'proxy.internal', '17'])('refuses a malformed TRUST_PROXY (%s)', (value) => {
    expect(problemsOf({ TRUST_PROXY: value })).toContain('TRUST_PROXY');
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
