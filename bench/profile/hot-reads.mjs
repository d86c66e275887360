// Profiles the two hot reads (issue 11): runs the API (dist/, pinned like the bench) under
// `node --cpu-prof` while autocannon drives one route, once per route, then prints self time per
// request by layer and the top functions. Run `npm run build` first; `node bench/profile/hot-reads.mjs`.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, json, load, startCatalogueApi, startNode, stop, waitForReady } from '../lib.mjs';
import { summarise } from './summarise.mjs';

const SECONDS = Number(process.env.PROFILE_SECONDS ?? 8);

async function profiled(env, route, headers, script = 'dist/main.js', readyPath = '/health/ready') {
  const dir = mkdtempSync(join(tmpdir(), 'orderly-cpuprof-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const spawned = performance.now();
  const api = startNode(
    script,
    { ...env, PORT: String(port) },
    { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`], node: process.env.BENCH_NODE },
  );
  await waitForReady(`${base}${readyPath}`, 20_000, headers);
  await load({ url: `${base}${route}`, headers, duration: 2 });
  const from = performance.now() - spawned + 500;
  const result = await load({ url: `${base}${route}`, headers, duration: SECONDS });
  const to = performance.now() - spawned - 500;
  await stop(api);
  const file = join(
    dir,
    readdirSync(dir).find((name) => name.endsWith('.cpuprofile')),
  );
  // Only the samples of the measured load (less half a second each side) count, against the requests in that window.
  return { file, window: [from, to], requests: (result.rps * (to - from)) / 1000, rps: result.rps };
}

const first = await startCatalogueApi('hot_reads_profile', 100);
const base = `http://127.0.0.1:${new URL(first.base).port}`;
const registered = await json(`${base}/api/v1/auth/register`, {
  method: 'POST',
  body: { email: 'profile@bench.example', password: 'bench password', name: 'Profiler' },
});
await stop(first.api);
const headers = { authorization: `Bearer ${registered.accessToken}` };
const productRoute = `/api/v1/products/${first.ids[0]}`;
const floorEnv = { REDIS_URL: first.env.REDIS_URL, JWT_SECRET: first.env.JWT_SECRET, FLOOR_BODY: '{"id":"x"}' };
const targets = [
  ['cached GET /products/:id', productRoute, undefined],
  ['GET /users/me', '/api/v1/users/me', headers],
];
// `-- floors` profiles the two floor servers too, for a side-by-side reading.
if (process.argv.includes('floors')) {
  targets.push(['floor A (product)', productRoute, undefined, 'bench/floor-product.mjs', productRoute]);
  targets.push(['floor B (/users/me)', '/api/v1/users/me', headers, 'bench/floor-me.mjs', '/api/v1/users/me']);
}
for (const [name, route, routeHeaders, script, readyPath] of targets) {
  const env = script ? floorEnv : first.env;
  const { file, window, requests, rps } = await profiled(env, route, routeHeaders, script, readyPath);
  process.stdout.write(`\n## ${name}: ${rps} req/s under the profiler, ${file}\n`);
  process.stdout.write(summarise(JSON.parse(readFileSync(file, 'utf8')), requests, window));
}
