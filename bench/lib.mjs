import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import os from 'node:os';
import pg from 'pg';

export const ROOT = new URL('..', import.meta.url).pathname;
export const POSTGRES = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

export async function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function freshDatabase(name) {
  const client = new pg.Client(POSTGRES);
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(POSTGRES);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs a node script pinned to CPU 1 (the load generator gets CPU 0), when the machine has two. */
export function startNode(script, env, { cpu = '1', nodeArgs = [], node: binary = process.execPath } = {}) {
  const node = [binary, ...nodeArgs, script];
  const args = os.cpus().length > 1 ? ['taskset', '-c', cpu, ...node] : node;
  const child = spawn(args[0], args.slice(1), {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.stdout.on('data', (chunk) => (stderr += chunk));
  child.stderrText = () => stderr;
  return child;
}

export async function waitForReady(url, timeoutMs = 60_000, headers) {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    try {
      if ((await fetch(url, { headers })).ok) return performance.now() - started;
    } catch {
      // not yet
    }
    await sleep(20);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

/**
 * A server script on a free port, ready once `readyPath` answers 2xx (with `headers`); on failure
 * it is killed and its output told. `node` picks another Node.js binary.
 */
export async function startServer(script, env, { readyPath = '/health/ready', headers, node, timeoutMs = 60_000 } = {}) {
  const port = await freePort();
  const child = startNode(script, { ...env, PORT: String(port) }, { node });
  const url = `http://127.0.0.1:${port}`;
  await waitForReady(`${url}${readyPath}`, timeoutMs, headers).catch((error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}\n${child.stderrText()}`);
  });
  return { child, url };
}

export async function stop(child) {
  if (child.exitCode !== null) return;
  await new Promise((done) => {
    child.once('exit', done);
    child.kill('SIGTERM');
  });
}

/** CPU time (user + system) the process has used so far, in microseconds. */
export function cpuMicros(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

export function rssMb(pid) {
  // taskset execs node in place, so the pid is node's.
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

export async function load(options) {
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const result = await autocannon({ connections: 50, duration: 10, ...defined });
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    // What failed, when something did: status code → count, and how many timed out.
    failures: { statuses: result.statusCodeStats, timeouts: result.timeouts },
  };
}

export function machine() {
  return `${os.cpus().length} × ${os.cpus()[0].model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

export async function json(url, { method = 'GET', body, token } = {}) {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: body && JSON.stringify(body),
  });
  return response.json();
}

export const BENCH_ADMIN = { email: 'admin@bench.example', password: 'bench admin password' };

/**
 * The API from dist/main.js (pinned) on a fresh database named `orderly_bench_<name>`, with the
 * bench admin seeded and `products` bulk-inserted then settled (VACUUM ANALYZE and a checkpoint,
 * so neither runs during the measurements). `ids` are the products newest first; `env` starts it again.
 */
export async function startCatalogueApi(name, products, { nodeArgs } = {}) {
  const databaseUrl = await freshDatabase(`orderly_bench_${name}`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: REDIS,
    REDIS_PREFIX: `orderly-bench-${name}-${Date.now()}`,
    JWT_SECRET: 'bench-secret-that-is-at-least-32-characters',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_IP: '0',
    SEED_ADMIN_EMAIL: BENCH_ADMIN.email,
    SEED_ADMIN_PASSWORD: BENCH_ADMIN.password,
    PORT: String(port),
    HOST: '127.0.0.1',
  };
  const api = startNode('dist/main.js', env, { nodeArgs });
  await waitForReady(`${base}/health/ready`);
  const client = new pg.Client(databaseUrl);
  await client.connect();
  try {
    await client.query(
      `INSERT INTO products (sku, name, description, price_cents, currency, stock, created_at)
       SELECT 'BENCH-' || n, 'Bench product ' || md5(n::text), 'A product for load tests', 100 + n % 5000, 'USD', 1000000000,
              now() - make_interval(secs => n)
       FROM generate_series(1, $1) AS n`,
      [products],
    );
    await client.query('VACUUM ANALYZE products');
    await client.query('CHECKPOINT');
    const ids = (await client.query('SELECT id FROM products ORDER BY created_at DESC')).rows.map((row) => row.id);
    return { api, base, databaseUrl, ids, env };
  } finally {
    await client.end();
  }
}

/**
 * A command that runs `node` inside a memory cgroup limited to `mib` MiB, as a Kubernetes memory
 * limit does (V8 sizes its heap, young generation included, from that limit), or `null` where this
 * process cannot make one (not root, or no memory controller). cgroup v1 and v2.
 */
export function nodeInMemoryLimit(node, mib) {
  const name = `orderly-bench-${mib}m`;
  const groups = [
    { dir: `/sys/fs/cgroup/memory/${name}`, limit: 'memory.limit_in_bytes' },
    { dir: `/sys/fs/cgroup/${name}`, limit: 'memory.max' },
  ];
  for (const { dir, limit } of groups) {
    try {
      if (!existsSync(dirname(dir))) continue;
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${dir}/${limit}`, String(mib * 1024 * 1024));
      const wrapper = join(os.tmpdir(), `${name}-${node.replace(/\W+/g, '_')}.sh`);
      // Fails the start rather than measure outside the limit when the process cannot join the group.
      writeFileSync(wrapper, `#!/bin/sh\necho $$ > ${dir}/cgroup.procs || exit 1\nexec ${node} "$@"\n`, { mode: 0o755 });
      return wrapper;
    } catch {
      // not this cgroup layout, or not allowed
    }
  }
  return null;
}

/** The memory limit of the API container in the base Kubernetes manifests, in MiB. */
export function apiPodMemoryLimitMib() {
  const manifest = readFileSync(`${ROOT}deploy/k8s/base/api-deployment.yaml`, 'utf8');
  return Number(/limits:\s*\n\s*cpu:[^\n]*\n\s*memory:\s*(\d+)Mi/.exec(manifest)[1]);
}
