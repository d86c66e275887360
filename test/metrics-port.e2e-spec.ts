import { Client } from 'pg';
import { loadEnvironment } from '../src/shared/config/environment';
import { uniqueRedisPrefix } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';
import { freePort } from './support/private-redis';
import { apiProcessEnvironment, RunningProcess, startProcess, waitForHttp } from './support/process';
import { TEST_REDIS_URL } from './support/services';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const BACKLOG_QUERY = `SELECT status, count(*)::int AS count FROM outbox WHERE status <> 'done' GROUP BY status`;

/** METRICS_PORT (CONTRACT §2 v2) on a real API process, and what a scrape costs the database. */
describe('METRICS_PORT', () => {
  let database: TestDatabase;
  let sql: Client;
  let api: RunningProcess | undefined;
  let base: string;
  let metricsBase: string;

  /** Sequential and index scans of `outbox` so far, as PostgreSQL's statistics see them. */
  const outboxScans = async () => {
    // Backends flush their statistics at most once a second; a fresh snapshot is read after that.
    await sleep(1_500);
    await sql.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await sql.query(
      `SELECT seq_scan, coalesce(idx_scan, 0) AS idx_scan FROM pg_stat_user_tables WHERE relname = 'outbox'`,
    );
    return Number(rows[0].seq_scan) + Number(rows[0].idx_scan);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    const [port, metricsPort] = [await freePort(), await freePort()];
    api = startProcess(
      'dist/main.js',
      apiProcessEnvironment({
        DATABASE_URL: database.url,
        REDIS_PREFIX: uniqueRedisPrefix(),
        RATE_LIMIT_PER_IP: '0',
        HOST: '127.0.0.1',
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        // The relay's periodic sweep reads the outbox too; kept out of the measured window.
        OUTBOX_SWEEP_INTERVAL_MS: '3600000',
      }),
    );
    base = `http://127.0.0.1:${port}`;
    metricsBase = `http://127.0.0.1:${metricsPort}`;
    await waitForHttp(`${base}/health/ready`).catch((error: Error) => {
      throw new Error(`${error.message}\n${api!.output()}`);
    });
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    api?.child.kill('SIGTERM');
    await api?.exited;
    await database?.drop();
  });

  it('serves /metrics on METRICS_PORT only: 404 on PORT, 200 with the series there', async () => {
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(404);

    const scrape = await fetch(`${metricsBase}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toContain('text/plain');
    const text = await scrape.text();
    for (const series of ['http_requests_total', 'db_pool_connections{state="in_use"}', 'outbox_jobs{status="pending"}', 'queue_jobs']) {
      expect(text).toContain(series);
    }
    // The metrics listener serves nothing else.
    expect((await fetch(`${metricsBase}/health/live`)).status).toBe(404);
    expect((await fetch(`${metricsBase}/api/v1/products`)).status).toBe(404);
  });

  it('refuses a METRICS_PORT that is not a port or that PORT or WORKER_PORT already uses, naming it', () => {
    expect(loadEnvironment({ METRICS_PORT: '9464' }).metricsPort).toBe(9464);
    expect(loadEnvironment({}).metricsPort).toBeUndefined();
    for (const raw of [{ METRICS_PORT: '3000' }, { METRICS_PORT: '3001' }, { METRICS_PORT: 'metrics' }, { METRICS_PORT: '70000' }]) {
      expect(() => loadEnvironment(raw), JSON.stringify(raw)).toThrow(/METRICS_PORT/);
    }
  });

  it('moves the worker’s /metrics off WORKER_PORT too, keeping its health routes there', async () => {
    const [workerPort, workerMetricsPort] = [await freePort(), await freePort()];
    const worker = startProcess('dist/worker.js', {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: uniqueRedisPrefix(),
      MIGRATIONS_RUN: 'false',
      HOST: '127.0.0.1',
      WORKER_PORT: String(workerPort),
      METRICS_PORT: String(workerMetricsPort),
    });
    try {
      await waitForHttp(`http://127.0.0.1:${workerPort}/health/ready`).catch((error: Error) => {
        throw new Error(`${error.message}\n${worker.output()}`);
      });
      expect((await fetch(`http://127.0.0.1:${workerPort}/metrics`)).status).toBe(404);
      const scrape = await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`);
      expect(scrape.status).toBe(200);
      expect(await scrape.text()).toContain('outbox_jobs');
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  });

  it('answers scrapes without reading the outbox table (the backlog is refreshed in the background)', async () => {
    const before = await outboxScans();
    for (let scrape = 0; scrape < 20; scrape += 1) expect((await fetch(`${metricsBase}/metrics`)).status).toBe(200);
    const after = await outboxScans();
    // At most the background refreshes that fell in this window (one query each, every 15 s).
    expect(after - before).toBeLessThanOrEqual(2);

    // Control: the same measurement sees 20 backlog queries when they are made.
    for (let query = 0; query < 20; query += 1) await sql.query(BACKLOG_QUERY);
    expect((await outboxScans()) - after).toBeGreaterThanOrEqual(20);
  });

  it('counts the backlog through the partial index of unfinished rows, not by reading every finished row', async () => {
    await sql.query(
      `INSERT INTO outbox (queue, name, payload, status, completed_at)
       SELECT 'mail', 'welcome-mail', '{}', 'done', now() FROM generate_series(1, 20000)`,
    );
    await sql.query(
      `INSERT INTO outbox (queue, name, payload, status, available_at) VALUES ('mail', 'welcome-mail', '{}', 'failed', now())`,
    );
    await sql.query('ANALYZE outbox');
    const plan = (await sql.query(`EXPLAIN ${BACKLOG_QUERY}`)).rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n');
    expect(plan).toContain('outbox_unfinished');
    expect(plan).not.toContain('Seq Scan');
  });
});
