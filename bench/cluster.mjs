// Issue "Operations and scale": GET /products/:id and POST /orders through the local load balancer
// with 1 and then 2 API processes (plus 1 worker), same machine, same run.
import pg from 'pg';
import { startCluster } from '../scripts/cluster/cluster.mjs';
import { REDIS, freshDatabase, json, load } from './lib.mjs';

const ADMIN = { email: 'admin@bench.example', password: 'bench admin password' };

async function scenario(apiCount) {
  const databaseUrl = await freshDatabase(`orderly_bench_cluster_${apiCount}`);
  const cluster = await startCluster({
    api: apiCount,
    workers: 1,
    env: {
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: '10',
      REDIS_URL: REDIS,
      REDIS_PREFIX: `orderly-bench-cluster-${apiCount}-${Date.now()}`,
      JWT_SECRET: 'bench-secret-that-is-at-least-32-characters',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_IP: '0',
      SEED_ADMIN_EMAIL: ADMIN.email,
      SEED_ADMIN_PASSWORD: ADMIN.password,
    },
  });
  try {
    const client = new pg.Client(databaseUrl);
    await client.connect();
    await client.query(
      `INSERT INTO products (sku, name, price_cents, currency, stock) SELECT 'B-' || n, 'Bench ' || n, 100, 'USD', 1000000000 FROM generate_series(1, 1000) n`,
    );
    const ids = (await client.query('SELECT id FROM products')).rows.map((row) => row.id);
    await client.end();
    const buyer = (
      await json(`${cluster.url}/api/v1/auth/register`, {
        method: 'POST',
        body: { email: 'b@bench.example', password: 'bench password', name: 'B' },
      })
    ).accessToken;
    await json(`${cluster.url}/api/v1/products/${ids[0]}`);
    const read = await load({ url: `${cluster.url}/api/v1/products/${ids[0]}` });
    let pick = 0;
    const write = await load({
      url: `${cluster.url}/api/v1/orders`,
      requests: [
        {
          method: 'POST',
          path: '/api/v1/orders',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${buyer}` },
          setupRequest: (request) => ({
            ...request,
            body: JSON.stringify({ items: [{ productId: ids[pick++ % ids.length], quantity: 1 }] }),
          }),
        },
      ],
    });
    return { read, write };
  } finally {
    await cluster.stop();
  }
}

export async function run() {
  const one = await scenario(1);
  const two = await scenario(2);
  const row = (name, a, b) => [name, a.rps, a.p99, b.rps, b.p99, (b.rps / a.rps).toFixed(2)];
  return {
    title: 'Operations and scale: 1 vs 2 API processes behind the load balancer',
    command: 'npm run bench -- cluster',
    sections: [
      {
        heading:
          'Through scripts/cluster/load-balancer.mjs (autocannon and the balancer share the benchmark process), 1 worker, 50 connections, 10 s',
        columns: ['route', '1 API req/s', '1 API p99 ms', '2 APIs req/s', '2 APIs p99 ms', '2 ÷ 1'],
        rows: [
          row('`GET /products/:id` (cached)', one.read, two.read),
          row('`POST /orders` (random product of 1,000)', one.write, two.write),
        ],
      },
    ],
  };
}
