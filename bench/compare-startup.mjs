// Start-up of several builds of Orderly side by side (issue 11): each round starts every build once,
// in turn, on one migrated PostgreSQL database and Redis, and takes spawn → first 200 of
// /health/ready and RSS at given seconds after ready. Interleaved, so a busy moment on the machine
// falls on every build alike. Each argument is a checkout with a built dist/ (see compare-builds.mjs), e.g.
//   node bench/compare-startup.mjs /tmp/before .
// `ROUNDS` (default 5, after one unmeasured round), `BENCH_NODE` another Node.js binary,
// `RSS_AT` the seconds after ready to read RSS at (default 2; `RSS_AT=2,30` also once V8's memory
// reducer has had time to return start-up garbage).
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort, freshDatabase, REDIS, rssMb, sleep, startNode, stop, waitForReady } from './lib.mjs';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const RSS_AT = (process.env.RSS_AT ?? '2').split(',').map(Number);
const node = process.env.BENCH_NODE ?? process.execPath;
const builds = process.argv.slice(2).map((dir) => resolve(dir));
if (builds.length === 0) throw new Error('usage: node bench/compare-startup.mjs <checkout with dist/>...');

const env = {
  DATABASE_URL: await freshDatabase('orderly_bench_startup'),
  REDIS_URL: REDIS,
  REDIS_PREFIX: `orderly-bench-startup-${Date.now()}`,
  JWT_SECRET: 'bench-secret-that-is-at-least-32-characters',
  LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
};

const measured = builds.map(() => ({ ready: [], rss: RSS_AT.map(() => []) }));
// Round 0 migrates the database and warms the page cache; it is not counted.
for (let round = 0; round <= ROUNDS; round += 1) {
  for (const [index, dir] of builds.entries()) {
    const port = await freePort();
    const api = startNode(`${dir}/dist/main.js`, { ...env, PORT: String(port) }, { node });
    const readyMs = await waitForReady(`http://127.0.0.1:${port}/health/ready`);
    const readyAt = performance.now();
    for (const [at, seconds] of RSS_AT.entries()) {
      await sleep(readyAt + seconds * 1_000 - performance.now());
      if (round > 0) measured[index].rss[at].push(Math.round(rssMb(api.pid)));
    }
    if (round > 0) measured[index].ready.push(Math.round(readyMs));
    await stop(api);
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const cell = (values) => `${median(values)} (${values.join(', ')})`;
console.log(`Node ${execFileSync(node, ['--version']).toString().trim()}, ${ROUNDS} rounds`);
console.log(
  `| build | ready ms, median (each round) | ${RSS_AT.map((s) => `RSS ${s} s after ready, MB, median (each round)`).join(' | ')} |`,
);
console.log(`| --- | --- | ${RSS_AT.map(() => '---').join(' | ')} |`);
for (const [index, dir] of builds.entries()) {
  const { ready, rss } = measured[index];
  console.log(`| ${dir} | ${cell(ready)} | ${rss.map(cell).join(' | ')} |`);
}
