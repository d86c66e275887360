import { Client } from 'pg';
import type { PrivateRedis } from '../support/private-redis';
import type { ChaosCluster, Member } from './cluster';
import { Random } from './random';

/** A fault as it happened: from its start until everything it broke answered again. */
export interface FaultWindow {
  name: string;
  startedAt: number;
  recoveredAt: number;
}

export interface FaultTargets {
  cluster: ChaosCluster;
  redis: PrivateRedis;
  databaseUrl: string;
}

type Fault = (targets: FaultTargets, random: Random) => Promise<string>;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Stops one process of a group with `signal` and starts it again, after `pauseMs` down. */
const stopAndRestart =
  (group: (cluster: ChaosCluster) => Member[], signal: NodeJS.Signals, pauseMs = 0): Fault =>
  async ({ cluster }, random) => {
    const member = random.pick(group(cluster));
    await cluster.stop(member, signal);
    if (pauseMs > 0) await sleep(pauseMs);
    await cluster.restart(member);
    return member.name;
  };

/** The five faults of issue 14; each returns what exactly it did, for the log. */
const FAULTS: Record<string, Fault> = {
  'worker SIGKILL + restart': stopAndRestart((cluster) => cluster.workers, 'SIGKILL', 500),
  'Redis killed, restarted empty': async ({ cluster, redis }) => {
    await redis.stop();
    await sleep(1_000);
    await redis.start();
    await cluster.waitAllReady();
    return `port ${redis.port}`;
  },
  'every PostgreSQL connection terminated': async ({ databaseUrl }) => {
    const admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      const cut = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      return `${cut.rowCount} sessions`;
    } finally {
      await admin.end();
    }
  },
  'API SIGTERM + restart': stopAndRestart((cluster) => cluster.apis, 'SIGTERM'),
  'API SIGKILL + restart': stopAndRestart((cluster) => cluster.apis, 'SIGKILL', 500),
};

/**
 * Runs every fault once, in a seeded order, spread over the traffic: the first after 15 % of the
 * run, the last by 80 %, so traffic runs before, between and after them. Faults never overlap.
 */
export async function runFaults(
  targets: FaultTargets,
  random: Random,
  startedAt: number,
  durationMs: number,
  report: (line: string) => void,
): Promise<FaultWindow[]> {
  const order = random.shuffle(Object.keys(FAULTS));
  const windows: FaultWindow[] = [];
  for (const [index, name] of order.entries()) {
    const due = startedAt + durationMs * (0.15 + (0.65 * index) / Math.max(1, order.length - 1));
    if (due > Date.now()) await sleep(due - Date.now());
    const window = { name, startedAt: Date.now(), recoveredAt: Number.POSITIVE_INFINITY };
    windows.push(window);
    const what = await FAULTS[name](targets, random);
    window.recoveredAt = Date.now();
    report(
      `fault ${index + 1}/${order.length}: ${name} (${what}) at +${((window.startedAt - startedAt) / 1000).toFixed(1)} s, recovered in ${((window.recoveredAt - window.startedAt) / 1000).toFixed(1)} s`,
    );
  }
  return windows;
}
