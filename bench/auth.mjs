// Issue "Foundation": start-up, idle RSS, argon2 cost, login/s, and GET /users/me against bare Fastify.
import argon2 from 'argon2';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, freshDatabase, load, REDIS, rssMb, sleep, startNode, stop, waitForReady } from './lib.mjs';

const JWT_SECRET = 'bench-secret-that-is-at-least-32-characters';

async function startApi(env, options) {
  const port = await freePort();
  const child = startNode('dist/main.js', { PORT: String(port), HOST: '127.0.0.1', JWT_SECRET, LOG_LEVEL: 'warn', ...env }, options);
  const readyMs = await waitForReady(`http://127.0.0.1:${port}/health/ready`).catch((error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}\n${child.stderrText()}`);
  });
  return { child, base: `http://127.0.0.1:${port}`, readyMs };
}

async function post(url, body, token) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
  return response.json();
}

async function argon2HashMs() {
  const options = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 };
  await argon2.hash('warm-up', options);
  const rounds = 20;
  const started = performance.now();
  for (let i = 0; i < rounds; i += 1) await argon2.hash(`password-${i}`, options);
  return (performance.now() - started) / rounds;
}

async function startupEmbedded() {
  const dataDir = mkdtempSync(join(tmpdir(), 'orderly-bench-'));
  try {
    const first = await startApi({ DATA_DIR: dataDir });
    await stop(first.child);
    const second = await startApi({ DATA_DIR: dataDir });
    await stop(second.child);
    return { fresh: first.readyMs, restart: second.readyMs };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function run() {
  const rows = [];
  const hashMs = await argon2HashMs();
  rows.push(['argon2id hash (m=19 MiB, t=2, p=1)', `${hashMs.toFixed(1)} ms`, 'mean of 20 sequential hashes']);

  const embedded = await startupEmbedded();
  rows.push(['start-up to ready, embedded, fresh data dir', `${Math.round(embedded.fresh)} ms`, 'PGlite initdb + migrations']);
  rows.push(['start-up to ready, embedded, existing data', `${Math.round(embedded.restart)} ms`, '']);

  const databaseUrl = await freshDatabase('orderly_bench_auth');
  const env = { DATABASE_URL: databaseUrl, REDIS_URL: REDIS, REDIS_PREFIX: 'orderly-bench-auth', RATE_LIMIT_PER_IP: '0' };
  const migrating = await startApi(env);
  await stop(migrating.child);
  const api = await startApi(env);
  rows.push(['start-up to ready, PostgreSQL + Redis, empty database', `${Math.round(migrating.readyMs)} ms`, 'includes migrations']);
  rows.push(['start-up to ready, PostgreSQL + Redis, migrated', `${Math.round(api.readyMs)} ms`, 'spawn to first 200 of /health/ready']);
  await sleep(2_000);
  rows.push(['idle RSS, API process (PostgreSQL + Redis)', `${rssMb(api.child.pid).toFixed(0)} MB`, 'after start-up and 2 s idle']);

  const account = { email: 'bench@example.com', password: 'bench password', name: 'Bench' };
  const registered = await post(`${api.base}/api/v1/auth/register`, account);
  const profile = await (
    await fetch(`${api.base}/api/v1/users/me`, { headers: { authorization: `Bearer ${registered.accessToken}` } })
  ).json();

  const barePort = await freePort();
  const bare = startNode('bench/bare-server.mjs', { PORT: String(barePort), BARE_BODY: JSON.stringify(profile) });
  await waitForReady(`http://127.0.0.1:${barePort}/x`);
  const headers = { authorization: `Bearer ${registered.accessToken}` };
  const bareResult = await load({ url: `http://127.0.0.1:${barePort}/api/v1/users/me`, headers });
  const meResult = await load({ url: `${api.base}/api/v1/users/me`, headers });
  await stop(bare);
  await stop(api.child);
  const limited = await startApi({ ...env, RATE_LIMIT_PER_IP: '1000000' });
  const meLimited = await load({ url: `${limited.base}/api/v1/users/me`, headers });
  await stop(limited.child);

  const throughput = [
    ['bare Fastify, same JSON body', bareResult, '1.00'],
    ['`GET /api/v1/users/me` (JWT + Redis-cached profile)', meResult, (meResult.rps / bareResult.rps).toFixed(2)],
    ['`GET /api/v1/users/me` with the per-IP limit on (Redis)', meLimited, (meLimited.rps / bareResult.rps).toFixed(2)],
  ];

  // Login uses both cores: argon2 runs on libuv's thread pool beside the event loop.
  const loginApi = await startApi(env, { cpu: '0,1' });
  const login = await load({
    url: `${loginApi.base}/api/v1/auth/login`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: account.email, password: account.password }),
    duration: 10,
  });
  await stop(loginApi.child);
  throughput.push(['`POST /api/v1/auth/login` (argon2id verify, one process, both cores)', login, '']);

  return {
    title: 'Foundation: accounts and auth',
    command: 'npm run bench -- auth',
    sections: [
      { heading: 'Start-up, memory and hashing', columns: ['measure', 'value', 'note'], rows },
      {
        heading: 'Throughput (autocannon, 50 connections, 10 s; server pinned to CPU 1, load generator on CPU 0)',
        columns: ['route', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', '× bare Fastify'],
        rows: throughput.map(([name, r, ratio]) => [name, r.rps, r.p50, r.p99, r.non2xx, ratio]),
      },
    ],
  };
}
