// Issue 11: the two hot reads (cached `GET /products/:id`, `GET /users/me`) against bare Fastify
// and against their floors — the least NestJS-on-Fastify code doing the same work — in one run;
// plus the API's ready time and idle memory. Everything runs on this process's Node.js and, with
// `BENCH_NODES=/path/to/node24[,…]`, again on each binary named (the images run Node 24).
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import {
  apiPodMemoryLimitMib,
  cpuMicros,
  freePort,
  json,
  load,
  nodeInMemoryLimit,
  rssMb,
  sleep,
  startCatalogueApi,
  startNode,
  startServer,
  stop,
  waitForReady,
} from './lib.mjs';

const ROUNDS = 3;
const SECONDS = 5;
const STARTS = 3;

const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Each target warmed up for 2 s, then ROUNDS rounds taken round-robin across all targets (all
 * servers up, idle while another is loaded), so a noisy moment on the machine hits every target
 * rather than one; the median round of each. Besides req/s, the CPU time the server process used
 * per request, which other load on the machine disturbs far less.
 */
async function measureAll(targets) {
  for (const { url, headers } of targets) await load({ url, headers, duration: 2 });
  const rounds = targets.map(() => []);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [index, { url, headers, pid }] of targets.entries()) {
      const cpuBefore = cpuMicros(pid);
      const result = await load({ url, headers, duration: SECONDS });
      rounds[index].push({ ...result, cpuPerRequest: (cpuMicros(pid) - cpuBefore) / (result.rps * SECONDS) });
    }
  }
  return rounds.map((results, index) => {
    const failed = results.reduce((sum, result) => sum + result.non2xx + result.errors, 0);
    if (failed)
      throw new Error(`${targets[index].url}: ${failed} failed responses ${JSON.stringify(results.map((result) => result.failures))}`);
    return {
      ...results.sort((a, b) => a.rps - b.rps)[Math.floor(ROUNDS / 2)],
      cpuPerRequest: median(results.map((result) => result.cpuPerRequest)),
    };
  });
}

/** Spawn to the first 200 of /health/ready, STARTS times; RSS 2 s after ready and once V8 has settled. */
async function startUp(node, env) {
  const readyTimes = [];
  const early = [];
  const settled = [];
  for (let start = 0; start < STARTS; start += 1) {
    const port = await freePort();
    const api = startNode('dist/main.js', { ...env, PORT: String(port) }, { node });
    readyTimes.push(await waitForReady(`http://127.0.0.1:${port}/health/ready`));
    await sleep(2_000);
    early.push(rssMb(api.pid));
    if (start === 0) {
      // V8's memory reducer collects start-up garbage once the process has been idle a while.
      await sleep(28_000);
      settled.push(rssMb(api.pid));
    }
    await stop(api);
  }
  return { readyMs: median(readyTimes), readyAll: readyTimes, earlyRss: median(early), settledRss: settled[0] };
}

/**
 * The same start once more inside the API pod's memory limit (deploy/k8s/base), as it runs when
 * deployed: V8 sizes its heap and young generation from the limit, not from this machine's memory.
 * `undefined` where no memory cgroup can be made here.
 */
async function startUpInPodLimit(node, env) {
  const limitMib = apiPodMemoryLimitMib();
  const limited = nodeInMemoryLimit(node, limitMib);
  if (!limited) return undefined;
  const port = await freePort();
  const api = startNode('dist/main.js', { ...env, PORT: String(port) }, { node: limited });
  const readyMs = await waitForReady(`http://127.0.0.1:${port}/health/ready`);
  await sleep(2_000);
  const earlyRss = rssMb(api.pid);
  await sleep(28_000);
  const settledRss = rssMb(api.pid);
  await stop(api);
  return { limitMib, readyMs, earlyRss, settledRss };
}

/** An OTLP/HTTP endpoint that takes every export and keeps nothing: what a collector costs the API, not the collector. */
async function traceSink() {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise((listening) => server.listen(0, '127.0.0.1', listening));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((closed) => server.close(closed)) };
}

/** The API with tracing on, every trace or a tenth of them sampled, exporting to `sink`. */
function startTracedApi(node, env, sink, ratio) {
  const tracing = {
    OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: String(ratio),
  };
  return startServer('dist/main.js', { ...env, ...tracing }, { node });
}

async function measureOn(node, env, ids) {
  const version = execFileSync(node, ['--version']).toString().trim();
  const startup = await startUp(node, env);
  const inPod = await startUpInPodLimit(node, env);
  const { child: api, url: base } = await startServer('dist/main.js', env, { node });
  const productPath = `/api/v1/products/${ids[0]}`;
  const product = await json(`${base}${productPath}`);
  const email = `hot-${version}@bench.example`;
  const password = 'bench password';
  let signedIn = await json(`${base}/api/v1/auth/register`, { method: 'POST', body: { email, password, name: 'Hot Reader' } });
  if (!signedIn.accessToken) signedIn = await json(`${base}/api/v1/auth/login`, { method: 'POST', body: { email, password } });
  const headers = { authorization: `Bearer ${signedIn.accessToken}` };
  const profile = await json(`${base}/api/v1/users/me`, { headers });

  const bare = await startServer('bench/bare-server.mjs', { BARE_BODY: JSON.stringify(product) }, { node, readyPath: productPath });
  const floorA = await startServer(
    'bench/floor-product.mjs',
    { REDIS_URL: env.REDIS_URL, FLOOR_BODY: JSON.stringify(product) },
    { node, readyPath: productPath },
  );
  const floorB = await startServer(
    'bench/floor-me.mjs',
    { REDIS_URL: env.REDIS_URL, JWT_SECRET: env.JWT_SECRET, FLOOR_BODY: JSON.stringify(profile) },
    { node, readyPath: '/api/v1/users/me', headers },
  );
  const sink = await traceSink();
  const tracedAll = await startTracedApi(node, env, sink, 1);
  const tracedTenth = await startTracedApi(node, env, sink, 0.1);
  const [bareResult, floorAResult, productResult, productAll, productTenth, floorBResult, meResult, meAll, meTenth] = await measureAll([
    { url: `${bare.url}${productPath}`, pid: bare.child.pid },
    { url: `${floorA.url}${productPath}`, pid: floorA.child.pid },
    { url: `${base}${productPath}`, pid: api.pid },
    { url: `${tracedAll.url}${productPath}`, pid: tracedAll.child.pid },
    { url: `${tracedTenth.url}${productPath}`, pid: tracedTenth.child.pid },
    { url: `${floorB.url}/api/v1/users/me`, headers, pid: floorB.child.pid },
    { url: `${base}/api/v1/users/me`, headers, pid: api.pid },
    { url: `${tracedAll.url}/api/v1/users/me`, headers, pid: tracedAll.child.pid },
    { url: `${tracedTenth.url}/api/v1/users/me`, headers, pid: tracedTenth.child.pid },
  ]);
  await Promise.all([bare.child, floorA.child, floorB.child, api, tracedAll.child, tracedTenth.child].map(stop));
  await sink.close();

  const row = (name, result, floor) => [
    name,
    result.rps.toLocaleString('en'),
    result.p50,
    result.p99,
    result.cpuPerRequest.toFixed(1),
    (result.rps / bareResult.rps).toFixed(2),
    floor ? `**${(result.rps / floor.rps).toFixed(2)}**` : '1.00',
    floor ? (floor.cpuPerRequest / result.cpuPerRequest).toFixed(2) : '1.00',
  ];
  const floorANote =
    '**floor A** (`bench/floor-product.mjs`): Nest on Fastify, one Redis `MGET` (value + version) via node-redis, the stored string returned';
  const floorBNote = '**floor B** (`bench/floor-me.mjs`): Nest on Fastify, cached `fast-jwt` verify + one Redis `GET` via node-redis';
  return [
    {
      heading: `Node ${version}: throughput (autocannon, 50 connections, median of ${ROUNDS} × ${SECONDS} s rounds taken round-robin across the servers after a 2 s warm-up each; each server pinned to CPU 1, load generator on CPU 0)`,
      columns: ['what', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', '× bare Fastify', '× floor (req/s)', '× floor (CPU/req)'],
      rows: [
        [...row('bare Fastify returning the same JSON (the product)', bareResult).slice(0, 6), '', ''],
        row(floorANote, floorAResult),
        row('Orderly cached `GET /products/:id`', productResult, floorAResult),
        row('… with tracing on, every trace sampled (OTLP/HTTP to a local sink)', productAll, floorAResult),
        row('… with tracing on, 10 % of traces sampled', productTenth, floorAResult),
        row(floorBNote, floorBResult),
        row('Orderly `GET /users/me`', meResult, floorBResult),
        row('… with tracing on, every trace sampled', meAll, floorBResult),
        row('… with tracing on, 10 % of traces sampled', meTenth, floorBResult),
      ],
    },
    {
      heading: `Node ${version}: start-up and memory (PostgreSQL + Redis, migrated database)`,
      columns: ['measure', 'value', 'note'],
      rows: [
        [
          'ready after spawn',
          `${Math.round(startup.readyMs)} ms`,
          `median of ${STARTS} starts (${startup.readyAll.map(Math.round).join(', ')} ms): spawn to the first 200 of \`/health/ready\``,
        ],
        ['idle RSS, API process, 2 s after ready', `${startup.earlyRss.toFixed(0)} MB`, `median of ${STARTS}, before any load`],
        [
          'idle RSS, API process, 30 s after ready',
          `${startup.settledRss.toFixed(0)} MB`,
          'once V8 has collected start-up garbage, before any load',
        ],
        ...(inPod
          ? [
              [
                `idle RSS in the API pod's memory limit (${inPod.limitMib} MiB), 2 s / 30 s after ready`,
                `${inPod.earlyRss.toFixed(0)} / ${inPod.settledRss.toFixed(0)} MB`,
                `one start in a memory cgroup of that size (ready after ${Math.round(inPod.readyMs)} ms): V8 sizes its heap from the limit, as when deployed`,
              ],
            ]
          : [["idle RSS in the API pod's memory limit", 'not measured', 'no memory cgroup could be made on this machine (needs root)']]),
      ],
    },
  ];
}

export async function run() {
  const first = await startCatalogueApi('hot_reads', 1_000);
  await stop(first.api);
  const nodes = [process.execPath, ...(process.env.BENCH_NODES ?? '').split(',').filter(Boolean)];
  const sections = [];
  for (const node of nodes) sections.push(...(await measureOn(node, first.env, first.ids)));
  return {
    title: 'Hot reads against the floor of the stack (issue 11)',
    command: 'npm run bench -- hot-reads (BENCH_NODES=/path/to/node24 npm run bench -- hot-reads adds Node 24)',
    sections,
  };
}
