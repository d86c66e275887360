// Promises created per request on the two hot reads and their floors (issue 11): a count, not a
// timing, so it is the same on a busy machine. Each promise costs its allocation and a microtask,
// and on Node 20 also AsyncLocalStorage's promise hooks (the request context of every log line).
// `npm run build` first; `node bench/profile/promises.mjs [sites]` (`sites`: where they come from).
import { fileURLToPath } from 'node:url';
import { freePort, json, load, sleep, startCatalogueApi, startNode, stop, waitForReady } from '../lib.mjs';

const REQUESTS = 200;
const counter = fileURLToPath(new URL('./promise-counter.mjs', import.meta.url));

const first = await startCatalogueApi('promises', 10);
const registered = await json(`${first.base}/api/v1/auth/register`, {
  method: 'POST',
  body: { email: 'promises@bench.example', password: 'bench password', name: 'Counter' },
});
await stop(first.api);
const headers = { authorization: `Bearer ${registered.accessToken}` };
const productRoute = `/api/v1/products/${first.ids[0]}`;
const floorEnv = { REDIS_URL: first.env.REDIS_URL, JWT_SECRET: first.env.JWT_SECRET, FLOOR_BODY: '{"id":"x"}' };

/** Requests one at a time, so every promise counted belongs to one of them. */
async function promisesPerRequest(script, env, route, routeHeaders) {
  const port = await freePort();
  const server = startNode(script, { ...env, PORT: String(port) }, { nodeArgs: ['--import', counter] });
  const url = `http://127.0.0.1:${port}${route}`;
  try {
    await waitForReady(url, 30_000, routeHeaders);
    await load({ url, headers: routeHeaders, duration: 1, connections: 4 });
    server.kill('SIGUSR2');
    await sleep(200);
    for (let i = 0; i < REQUESTS; i += 1) await (await fetch(url, { headers: routeHeaders })).arrayBuffer();
    server.kill('SIGUSR1');
    await sleep(500);
    const output = server.stderrText();
    const [head, ...sites] = output.slice(output.lastIndexOf('PROMISES')).split('\nEND')[0].split('\n');
    return { perRequest: Number(head.split(' ')[1]) / REQUESTS, sites };
  } finally {
    await stop(server);
  }
}

for (const [name, script, env, route, routeHeaders] of [
  ['cached GET /products/:id', 'dist/main.js', first.env, productRoute, undefined],
  ['floor A (product)', 'bench/floor-product.mjs', floorEnv, productRoute, undefined],
  ['GET /users/me', 'dist/main.js', first.env, '/api/v1/users/me', headers],
  ['floor B (/users/me)', 'bench/floor-me.mjs', floorEnv, '/api/v1/users/me', headers],
]) {
  const { perRequest, sites } = await promisesPerRequest(script, env, route, routeHeaders);
  console.log(`${name.padEnd(26)} ${perRequest.toFixed(1)} promises per request`);
  if (process.argv.includes('sites')) {
    for (const line of sites.slice(0, 25)) {
      const [count, site] = line.split('\t');
      console.log(`  ${(Number(count) / REQUESTS).toFixed(1).padStart(5)}  ${site}`);
    }
  }
}
