// `npm run cluster -- --api 2 --workers 2 [--port 8080]`: Orderly as several pods on one machine.
import { parseArgs } from 'node:util';
import { startCluster } from './cluster.mjs';

const { values } = parseArgs({
  options: { api: { type: 'string', default: '2' }, workers: { type: 'string', default: '2' }, port: { type: 'string', default: '8080' } },
});
const env = {
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/orderly',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  JWT_SECRET: process.env.JWT_SECRET ?? 'local-cluster-secret-change-me-0123456789abcdef',
  DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? '5',
  SHUTDOWN_DRAIN_MS: process.env.SHUTDOWN_DRAIN_MS ?? '1000',
};
if (!process.env.DATABASE_URL) {
  const { default: pg } = await import('pg');
  const admin = new pg.Client('postgres://postgres@127.0.0.1:5432/postgres');
  await admin.connect();
  const exists = await admin.query(`SELECT 1 FROM pg_database WHERE datname = 'orderly'`);
  if (exists.rowCount === 0) await admin.query('CREATE DATABASE orderly');
  await admin.end();
}
const cluster = await startCluster({
  api: Number(values.api),
  workers: Number(values.workers),
  port: Number(values.port),
  env,
  onLine: (line) => process.stdout.write(line),
});
process.stdout.write(
  `\nOrderly cluster: ${values.api} API process(es) on ports ${cluster.apis.map((one) => one.port).join(', ')}, ` +
    `${values.workers} worker(s), load balancer at ${cluster.url} (Ctrl-C stops everything)\n`,
);
const shutdown = async () => {
  await cluster.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
