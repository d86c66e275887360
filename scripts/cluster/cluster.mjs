// Starts N API processes and M workers on one PostgreSQL and one Redis behind the local load balancer.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startLoadBalancer } from './load-balancer.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function launch(script, env, onLine) {
  const child = spawn(process.execPath, [`${ROOT}dist/${script}`], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      output += chunk;
      onLine?.(chunk.toString());
    });
  }
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, output: () => output };
}

async function waitReady(url, process, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (process.child.exitCode !== null) throw new Error(`process exited early:\n${process.output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet listening
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms:\n${process.output()}`);
}

/**
 * `env` is shared by every process (DATABASE_URL, REDIS_URL, secrets, ...). All processes start at
 * the same moment, so migrations and admin seeding race as they would on a cluster.
 */
export async function startCluster({ api = 2, workers = 2, env = {}, port = 0, onLine } = {}) {
  const shared = { TRUST_PROXY: '1', HOST: '127.0.0.1', ...env };
  const apis = [];
  for (let i = 0; i < api; i += 1) {
    const apiPort = await freePort();
    apis.push({ port: apiPort, ...launch('main.js', { ...shared, PORT: String(apiPort) }, onLine) });
  }
  const workerProcesses = [];
  for (let i = 0; i < workers; i += 1) {
    const workerPort = await freePort();
    workerProcesses.push({ port: workerPort, ...launch('worker.js', { ...shared, WORKER_PORT: String(workerPort) }, onLine) });
  }
  await Promise.all([
    ...apis.map((one) => waitReady(`http://127.0.0.1:${one.port}/health/ready`, one)),
    ...workerProcesses.map((one) => waitReady(`http://127.0.0.1:${one.port}/health/ready`, one)),
  ]);
  const balancer = await startLoadBalancer({ port, backends: apis.map((one) => ({ host: '127.0.0.1', port: one.port })) });
  return {
    url: `http://127.0.0.1:${balancer.port}`,
    balancer,
    apis,
    workers: workerProcesses,
    async stop() {
      await balancer.close();
      const all = [...apis, ...workerProcesses].filter((one) => one.child.exitCode === null && one.child.signalCode === null);
      for (const one of all) one.child.kill('SIGTERM');
      await Promise.all(all.map((one) => one.exited));
    },
  };
}
