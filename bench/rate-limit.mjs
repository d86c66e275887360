// The per-IP limit's cost: a bare Fastify route with no limiter, with ours (src/shared/http/client-rate-limit.ts
// over the Redis counter store, from dist/) and with @fastify/rate-limit and its Redis store, all
// against the same Redis, with the limit set high so every request takes the counted (allowed) path
// and both send the RateLimit-* draft headers. Rounds alternate the variants so drift on a shared
// machine hits each alike; besides req/s it reports the server's CPU time per request
// (process.cpuUsage), which other load on the machine distorts much less than throughput.
//
//   npx tsc -p tsconfig.json && node bench/rate-limit.mjs [rounds] [seconds]
//   node bench/rate-limit.mjs paired [rounds] [seconds]
//
// `paired` runs ours and the plugin at the same moment, both pinned to the same CPU, each loaded by
// its own 25 connections: whatever else runs on the machine then hits both alike, and the ratio of
// their CPU per request (and req/s) is the comparison.
//
// @fastify/rate-limit is not a dependency (we kept ours); install it somewhere and point at it:
//   npm install --prefix /tmp/rl @fastify/rate-limit@11.2.0
//   FASTIFY_RATE_LIMIT=/tmp/rl/node_modules/@fastify/rate-limit/index.js node bench/rate-limit.mjs
import { createRequire } from 'node:module';
import autocannon from 'autocannon';
import { freePort, load, machine, REDIS, ROOT, startNode, stop, waitForReady } from './lib.mjs';

const cpuMicros = async (port) => (await (await fetch(`http://127.0.0.1:${port}/__cpu`)).json()).micros;

const VARIANTS = ['none', 'ours', 'plugin'];
const PER_SECOND = 1_000_000_000;

async function serve(variant) {
  const require = createRequire(`${ROOT}/package.json`);
  const { default: Fastify } = await import('fastify');
  const { Redis } = await import('ioredis');
  const app = Fastify({ logger: false });
  const redis = new Redis(REDIS, { keyPrefix: `bench-rl-${process.pid}:` });
  if (variant === 'ours') {
    const { RedisCounterStore } = require(`${ROOT}/dist/shared/rate-limit/redis-counter-store.js`);
    const { registerClientRateLimit } = require(`${ROOT}/dist/shared/http/client-rate-limit.js`);
    registerClientRateLimit(app, new RedisCounterStore(redis), PER_SECOND);
  } else if (variant === 'plugin') {
    const { default: rateLimit } = await import(process.env.FASTIFY_RATE_LIMIT ?? '@fastify/rate-limit');
    await app.register(rateLimit, { max: PER_SECOND, timeWindow: 1_000, redis, enableDraftSpec: true, skipOnError: true });
  }
  app.get('/__cpu', { config: { rateLimit: false } }, async () => {
    const { user, system } = process.cpuUsage();
    return { micros: user + system };
  });
  app.get('/*', async () => ({ ok: true }));
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
}

async function measure(rounds, seconds) {
  const results = Object.fromEntries(VARIANTS.map((variant) => [variant, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (const variant of VARIANTS) {
      const port = await freePort();
      const child = startNode(new URL(import.meta.url).pathname, { PORT: String(port), BENCH_SERVE: variant, ...pass() });
      try {
        await waitForReady(`http://127.0.0.1:${port}/ready`);
        const url = `http://127.0.0.1:${port}/items`;
        await load({ url, duration: 1 }); // warm-up
        const cpuBefore = await cpuMicros(port);
        const result = await autocannon({ url, connections: 50, duration: seconds });
        const cpuPerRequest = ((await cpuMicros(port)) - cpuBefore) / result.requests.total;
        if (result.non2xx) throw new Error(`${variant}: ${result.non2xx} non-2xx responses`);
        const rps = Math.round(result.requests.average);
        results[variant].push({ rps, cpu: cpuPerRequest });
        console.log(
          `round ${round + 1} ${variant.padEnd(6)} ${rps} req/s  ${cpuPerRequest.toFixed(1)} µs CPU/request  p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms`,
        );
      } finally {
        await stop(child);
      }
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const rps = (variant) => median(results[variant].map((one) => one.rps));
  const cpu = (variant) => median(results[variant].map((one) => one.cpu));
  console.log(`\n${machine()}\nmedians over ${rounds} rounds of ${seconds} s:`);
  for (const variant of VARIANTS) {
    console.log(
      `  ${variant.padEnd(6)} ${rps(variant)} req/s (${(rps(variant) / rps('none')).toFixed(2)} ×)  ` +
        `${cpu(variant).toFixed(1)} µs CPU/request (+${(cpu(variant) - cpu('none')).toFixed(1)} over none)`,
    );
  }
}

async function measurePaired(rounds, seconds) {
  const pairs = [];
  for (let round = 0; round < rounds; round += 1) {
    const servers = [];
    try {
      for (const variant of ['ours', 'plugin']) {
        const port = await freePort();
        const child = startNode(new URL(import.meta.url).pathname, { PORT: String(port), BENCH_SERVE: variant, ...pass() });
        servers.push({ variant, port, child });
        await waitForReady(`http://127.0.0.1:${port}/ready`);
      }
      await Promise.all(servers.map(({ port }) => load({ url: `http://127.0.0.1:${port}/items`, duration: 1, connections: 25 })));
      const before = await Promise.all(servers.map(({ port }) => cpuMicros(port)));
      const results = await Promise.all(
        servers.map(({ port }) => autocannon({ url: `http://127.0.0.1:${port}/items`, connections: 25, duration: seconds })),
      );
      const after = await Promise.all(servers.map(({ port }) => cpuMicros(port)));
      const [ours, plugin] = servers.map((server, i) => ({
        rps: Math.round(results[i].requests.average),
        cpu: (after[i] - before[i]) / results[i].requests.total,
        non2xx: results[i].non2xx,
      }));
      if (ours.non2xx || plugin.non2xx) throw new Error('non-2xx responses');
      pairs.push({ ours, plugin });
      console.log(
        `round ${round + 1}  ours ${ours.rps} req/s ${ours.cpu.toFixed(1)} µs/request   ` +
          `plugin ${plugin.rps} req/s ${plugin.cpu.toFixed(1)} µs/request   ours/plugin CPU ${(ours.cpu / plugin.cpu).toFixed(2)}`,
      );
    } finally {
      await Promise.all(servers.map(({ child }) => stop(child)));
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(`\n${machine()}\nmedians over ${rounds} paired rounds of ${seconds} s:`);
  for (const variant of ['ours', 'plugin']) {
    console.log(
      `  ${variant.padEnd(6)} ${median(pairs.map((pair) => pair[variant].rps))} req/s  ` +
        `${median(pairs.map((pair) => pair[variant].cpu)).toFixed(1)} µs CPU/request`,
    );
  }
  console.log(`  ours/plugin CPU per request: ${median(pairs.map((pair) => pair.ours.cpu / pair.plugin.cpu)).toFixed(2)}`);
  console.log(`  ours/plugin req/s:           ${median(pairs.map((pair) => pair.ours.rps / pair.plugin.rps)).toFixed(2)}`);
}

function pass() {
  return Object.fromEntries(
    ['TEST_REDIS_URL', 'FASTIFY_RATE_LIMIT'].filter((name) => process.env[name]).map((name) => [name, process.env[name]]),
  );
}

if (process.env.BENCH_SERVE) await serve(process.env.BENCH_SERVE);
else if (process.argv[2] === 'paired') await measurePaired(Number(process.argv[3] ?? 5), Number(process.argv[4] ?? 8));
else await measure(Number(process.argv[2] ?? 3), Number(process.argv[3] ?? 8));
