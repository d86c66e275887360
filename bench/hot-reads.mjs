// Issue 11: the two hot reads (cached `GET /products/:id`, `GET /users/me`) against bare Fastify
// and against their floors — the least NestJS-on-Fastify code doing the same work — in one run;
// plus the API's idle RSS and its ready time on PostgreSQL.
import { freePort, json, load, rssMb, sleep, startCatalogueApi, startNode, stop, waitForReady } from './lib.mjs';

const ROUNDS = 3;
const SECONDS = 5;

/**
 * Each target warmed up for 2 s, then ROUNDS rounds taken round-robin across all targets (all
 * servers up, idle while another is loaded), so a noisy moment on the machine hits every target
 * rather than one; the median round of each.
 */
async function measureAll(targets) {
  for (const { url, headers } of targets) await load({ url, headers, duration: 2 });
  const rounds = targets.map(() => []);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [index, { url, headers }] of targets.entries()) rounds[index].push(await load({ url, headers, duration: SECONDS }));
  }
  return rounds.map((results, index) => {
    const failed = results.reduce((sum, result) => sum + result.non2xx + result.errors, 0);
    if (failed) throw new Error(`${targets[index].url}: ${failed} failed responses`);
    return results.sort((a, b) => a.rps - b.rps)[Math.floor(ROUNDS / 2)];
  });
}

async function startServer(script, env, readyPath = '/api/v1/products/x', headers) {
  const port = await freePort();
  const child = startNode(script, { PORT: String(port), ...env });
  const url = `http://127.0.0.1:${port}`;
  await waitForReady(`${url}${readyPath}`, 20_000, headers).catch((error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}\n${child.stderrText()}`);
  });
  return { child, url };
}

export async function run() {
  const first = await startCatalogueApi('hot_reads', 1_000);
  await stop(first.api);
  // Ready time and idle RSS on the migrated database: spawn to the first 200 of /health/ready.
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const api = startNode('dist/main.js', { ...first.env, PORT: String(port) });
  const readyMs = await waitForReady(`${base}/health/ready`);
  await sleep(2_000);
  const idleRss = rssMb(api.pid);

  const productPath = `/api/v1/products/${first.ids[0]}`;
  const product = await json(`${base}${productPath}`);
  const registered = await json(`${base}/api/v1/auth/register`, {
    method: 'POST',
    body: { email: 'hot@bench.example', password: 'bench password', name: 'Hot Reader' },
  });
  const headers = { authorization: `Bearer ${registered.accessToken}` };
  const profile = await json(`${base}/api/v1/users/me`, { headers });
  const productBody = JSON.stringify(product);
  const profileBody = JSON.stringify(profile);

  const bare = await startServer('bench/bare-server.mjs', { BARE_BODY: productBody });
  const floorA = await startServer('bench/floor-product.mjs', { REDIS_URL: first.env.REDIS_URL, FLOOR_BODY: productBody });
  const floorB = await startServer(
    'bench/floor-me.mjs',
    { REDIS_URL: first.env.REDIS_URL, JWT_SECRET: first.env.JWT_SECRET, FLOOR_BODY: profileBody },
    '/api/v1/users/me',
    headers,
  );
  const [bareResult, floorAResult, productResult, floorBResult, meResult] = await measureAll([
    { url: `${bare.url}${productPath}` },
    { url: `${floorA.url}${productPath}` },
    { url: `${base}${productPath}` },
    { url: `${floorB.url}/api/v1/users/me`, headers },
    { url: `${base}/api/v1/users/me`, headers },
  ]);
  await Promise.all([stop(bare.child), stop(floorA.child), stop(floorB.child)]);
  await stop(api);

  const row = (name, result, floor) => [
    name,
    result.rps.toLocaleString('en'),
    result.p50,
    result.p99,
    (result.rps / bareResult.rps).toFixed(2),
    floor ? `**${(result.rps / floor.rps).toFixed(2)}**` : '',
  ];
  return {
    title: 'Hot reads against the floor of the stack (issue 11)',
    command: 'npm run bench -- hot-reads',
    sections: [
      {
        heading: `Throughput (autocannon, 50 connections, median of ${ROUNDS} × ${SECONDS} s rounds taken round-robin across the five servers after a 2 s warm-up each; each server pinned to CPU 1, load generator on CPU 0)`,
        columns: ['what', 'req/s', 'p50 ms', 'p99 ms', '× bare Fastify', '× floor'],
        rows: [
          row('bare Fastify returning the same JSON (the product)', bareResult),
          [
            ...row(
              '**floor A** (`bench/floor-product.mjs`): Nest on Fastify, one Redis `MGET` (value + version) via node-redis, the stored string returned',
              floorAResult,
            ).slice(0, 5),
            '1.00',
          ],
          row('Orderly cached `GET /products/:id`', productResult, floorAResult),
          [
            ...row(
              '**floor B** (`bench/floor-me.mjs`): Nest on Fastify, cached `fast-jwt` verify + one Redis `GET` via node-redis',
              floorBResult,
            ).slice(0, 5),
            '1.00',
          ],
          row('Orderly `GET /users/me`', meResult, floorBResult),
        ],
      },
      {
        heading: 'Start-up and memory (PostgreSQL + Redis, migrated database)',
        columns: ['measure', 'value', 'note'],
        rows: [
          ['ready after spawn', `${Math.round(readyMs)} ms`, 'spawn to the first 200 of `/health/ready`'],
          ['idle RSS, API process', `${idleRss.toFixed(0)} MB`, 'after ready and 2 s idle, before any load'],
        ],
      },
    ],
  };
}
