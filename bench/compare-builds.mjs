// What each change bought (issue 11): the two hot reads on several builds of Orderly side by side,
// in one run, with the floors. Each argument is a checkout with a built dist/ and its own
// node_modules, e.g. for commits A and B:
//   git worktree add /tmp/a A && (cd /tmp/a && npm install && npx tsc -p tsconfig.json)   (same for B)
//   npm run build && node bench/compare-builds.mjs /tmp/a /tmp/b .
// Prints server CPU time per request (median of rounds taken round-robin; other load on the
// machine disturbs it far less than req/s) and the floor's CPU time over each build's.
// `RATE_LIMIT_PER_IP=100000 node bench/compare-builds.mjs …` measures with the per-IP limit on.
import { resolve } from 'node:path';
import { BENCH_ADMIN, cpuMicros, freshDatabase, json, load, REDIS, startServer, stop } from './lib.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SECONDS = 3;
const node = process.env.BENCH_NODE; // another Node.js binary for every server, e.g. Node 24
const builds = process.argv.slice(2).map((dir) => resolve(dir));
if (builds.length === 0) throw new Error('usage: node bench/compare-builds.mjs <checkout with dist/>...');

const databaseUrl = await freshDatabase('orderly_bench_compare');
const env = (index) => ({
  DATABASE_URL: databaseUrl,
  REDIS_URL: REDIS,
  REDIS_PREFIX: `orderly-bench-compare-${index}-${Date.now()}`,
  JWT_SECRET: 'bench-secret-that-is-at-least-32-characters',
  LOG_LEVEL: 'warn',
  RATE_LIMIT_PER_IP: process.env.RATE_LIMIT_PER_IP ?? '0',
  SEED_ADMIN_EMAIL: BENCH_ADMIN.email,
  SEED_ADMIN_PASSWORD: BENCH_ADMIN.password,
  HOST: '127.0.0.1',
});

// The first build migrates the database; the others start on it in turn (one migrator at a time).
const apis = [];
for (const [index, dir] of builds.entries()) apis.push(await startServer(`${dir}/dist/main.js`, env(index), { node }));
const admin = await json(`${apis[0].url}/api/v1/auth/login`, { method: 'POST', body: BENCH_ADMIN });
const product = await json(`${apis[0].url}/api/v1/products`, {
  method: 'POST',
  token: admin.accessToken,
  body: { sku: `CMP-${Date.now()}`, name: 'Compared product', priceCents: 1234, stock: 1_000_000 },
});
const headers = { authorization: `Bearer ${admin.accessToken}` };
const productPath = `/api/v1/products/${product.id}`;
const floorA = await startServer(
  'bench/floor-product.mjs',
  { REDIS_URL: REDIS, FLOOR_BODY: JSON.stringify(product) },
  { readyPath: productPath, node },
);
const floorB = await startServer(
  'bench/floor-me.mjs',
  { REDIS_URL: REDIS, JWT_SECRET: env(0).JWT_SECRET, FLOOR_BODY: '{}' },
  { readyPath: '/api/v1/users/me', headers, node },
);

async function measure(targets) {
  for (const target of targets) await load({ url: target.url, headers: target.headers, duration: 1 });
  const perRequest = targets.map(() => []);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [index, { url, headers: sent, pid }] of targets.entries()) {
      const before = cpuMicros(pid);
      const result = await load({ url, headers: sent, duration: SECONDS });
      if (result.non2xx + result.errors > 0) throw new Error(`${url}: ${result.non2xx + result.errors} failed responses`);
      perRequest[index].push((cpuMicros(pid) - before) / (result.rps * SECONDS));
    }
  }
  return perRequest.map((values) => values.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]);
}

for (const [route, path, floor, sent] of [
  ['cached GET /products/:id', productPath, floorA, undefined],
  ['GET /users/me', '/api/v1/users/me', floorB, headers],
]) {
  const targets = [floor, ...apis].map(({ child, url }) => ({ url: `${url}${path}`, headers: sent, pid: child.pid }));
  const [floorCpu, ...buildCpu] = await measure(targets);
  console.log(`\n${route}: server CPU µs per request (median of ${ROUNDS} × ${SECONDS} s rounds), × floor = floor's CPU / this`);
  console.log(`  floor                ${floorCpu.toFixed(1)}`);
  builds.forEach((dir, index) =>
    console.log(`  ${dir.padEnd(20)} ${buildCpu[index].toFixed(1)}  × floor ${(floorCpu / buildCpu[index]).toFixed(2)}`),
  );
}
await Promise.all([floorA, floorB, ...apis].map(({ child }) => stop(child)));
