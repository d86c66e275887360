// Issue "Commerce": product reads (cached, uncached, list, search at 100k products) and POST /orders,
// each against bare Fastify returning the same body in the same run.
import { BENCH_ADMIN as ADMIN, freePort, json, load, startCatalogueApi, startNode, stop, waitForReady } from './lib.mjs';

const PRODUCTS = 100_000;

export async function run() {
  const { api, base, ids } = await startCatalogueApi('commerce', PRODUCTS);

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
