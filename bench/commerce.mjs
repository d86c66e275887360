// Issue "Commerce": product reads (cached, uncached, list, search at 100k products) and POST /orders,
// each against bare Fastify returning the same body in the same run.
import pg from 'pg';
import { REDIS, freePort, freshDatabase, json, load, startNode, stop, waitForReady } from './lib.mjs';

const JWT_SECRET = 'bench-secret-that-is-at-least-32-characters';
const ADMIN = { email: 'admin@bench.example', password: 'bench admin password' };
const PRODUCTS = 100_000;

export async function run() {
  const databaseUrl = await freshDatabase('orderly_bench_commerce');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: REDIS,
    REDIS_PREFIX: `orderly-bench-commerce-${Date.now()}`,
    JWT_SECRET,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_IP: '0',
    SEED_ADMIN_EMAIL: ADMIN.email,
    SEED_ADMIN_PASSWORD: ADMIN.password,
    PORT: String(port),
    HOST: '127.0.0.1',
  };
  const api = startNode('dist/main.js', env);
  await waitForReady(`${base}/health/ready`);

  const client = new pg.Client(databaseUrl);
  await client.connect();
  await client.query(
    `INSERT INTO products (sku, name, description, price_cents, currency, stock, created_at)
     SELECT 'BENCH-' || n, 'Bench product ' || md5(n::text), 'A product for load tests', 100 + n % 5000, 'USD', 1000000000,
            now() - make_interval(secs => n)
     FROM generate_series(1, $1) AS n`,
    [PRODUCTS],
  );
  // Settle the bulk load first, so autovacuum and the checkpoint do not run during the measurements.
  await client.query('VACUUM ANALYZE products');
  await client.query('CHECKPOINT');
  const ids = (await client.query('SELECT id FROM products ORDER BY created_at DESC')).rows.map((row) => row.id);
  await client.end();

  const admin = (await json(`${base}/api/v1/auth/login`, { method: 'POST', body: ADMIN })).accessToken;
  const buyer = (
    await json(`${base}/api/v1/auth/register`, {
      method: 'POST',
      body: { email: 'buyer@bench.example', password: 'bench password', name: 'Buyer' },
    })
  ).accessToken;
  const hot = ids[0];
  const product = await json(`${base}/api/v1/products/${hot}`);
  const list = await json(`${base}/api/v1/products?limit=20`);
  const sampleOrder = await json(`${base}/api/v1/orders`, {
    method: 'POST',
    token: buyer,
    body: { items: [{ productId: ids[1], quantity: 1 }] },
  });

  const barePort = await freePort();
  const rows = [];
  const measure = async (name, body, options) => {
    await load({ url: `${base}${options.path}`, duration: 3, method: options.method, body: options.body, headers: options.headers });
    const bare = startNode('bench/bare-server.mjs', { PORT: String(barePort), BARE_BODY: JSON.stringify(body) });
    await waitForReady(`http://127.0.0.1:${barePort}/x`);
    const baseline = await load({
      url: `http://127.0.0.1:${barePort}/x`,
      method: options.method,
      body: options.body,
      headers: options.headers,
    });
    await stop(bare);
    const { path, setupRequest, method, body: requestBody, headers } = options;
    const result = await load({
      url: `${base}${path}`,
      ...(setupRequest
        ? { requests: [{ method: method ?? 'GET', path, headers, body: requestBody, setupRequest }] }
        : { method, body: requestBody, headers }),
    });
    rows.push([name, result.rps, result.p50, result.p99, result.non2xx, baseline.rps, (result.rps / baseline.rps).toFixed(2)]);
  };

  await measure('`GET /products/:id`, cached (one hot product)', product, { path: `/api/v1/products/${hot}` });
  let next = 1_000;
  await measure('`GET /products/:id`, uncached (a different product each request)', product, {
    path: `/api/v1/products/${hot}`,
    setupRequest: (request) => ({ ...request, path: `/api/v1/products/${ids[next++ % ids.length]}` }),
  });
  await measure('`GET /products?limit=20`, cached', list, { path: '/api/v1/products?limit=20' });
  let term = 0;
  await measure(`\`GET /products?q=…&limit=20\`, a new search each request (${PRODUCTS / 1000}k products)`, list, {
    path: '/api/v1/products?q=ab&limit=20',
    setupRequest: (request) => ({ ...request, path: `/api/v1/products?q=${(term++ % 4096).toString(16).padStart(3, '0')}&limit=20` }),
  });
  let pick = 0;
  await measure('`POST /orders`, one line, random product of 1,000', sampleOrder, {
    path: '/api/v1/orders',
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${buyer}` },
    body: JSON.stringify({ items: [{ productId: ids[0], quantity: 1 }] }),
    setupRequest: (request) => ({ ...request, body: JSON.stringify({ items: [{ productId: ids[1 + (pick++ % 1000)], quantity: 1 }] }) }),
  });
  void admin;
  await stop(api);

  return {
    title: 'Commerce: products and orders',
    command: 'npm run bench -- commerce',
    sections: [
      {
        heading: `Throughput (autocannon, 50 connections, 10 s; API pinned to CPU 1 with PostgreSQL and Redis sharing the machine; ${PRODUCTS.toLocaleString('en')} products)`,
        columns: ['route', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'bare Fastify req/s', '× bare'],
        rows,
      },
    ],
  };
}
