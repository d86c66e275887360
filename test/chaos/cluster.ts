import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../support/private-redis';
import { ROOT, RunningProcess, startProcess } from '../support/process';
import type { FaultWindow } from './faults';

interface LoadBalancer {
  port: number;
  backends: { host: string; port: number; ready: boolean }[];
  close(): Promise<void>;
}

type StartLoadBalancer = (options: { backends: { host: string; port: number }[]; healthIntervalMs?: number }) => Promise<LoadBalancer>;

/** One API process or worker of the cluster; it keeps its port across restarts, as a pod keeps its Service. */
export interface Member {
  name: string;
  script: 'dist/main.js' | 'dist/worker.js';
  port: number;
  process: RunningProcess;
  /** Every process it ran, the current one last: their output is kept for a failed run. */
  history: RunningProcess[];
  /** How each process the run stopped ended: the signal it was sent and its exit code. */
  endings: { signal: NodeJS.Signals; code: number | null }[];
  /** Stops and restarts of this member, one at a time. */
  turn: Promise<unknown>;
}

/** A process that ended without the run stopping it, restarted as Kubernetes would restart a pod. */
export interface UnplannedEnding {
  member: string;
  /** Exit code or signal. */
  ending: number | string;
  /** The signal it logged receiving, if any: sent by something outside the run. */
  signal: string | undefined;
  window: FaultWindow;
  /** Why it could not be started again, if it could not. */
  restartFailure?: string;
}

/** The last `SIGTERM received` (or SIGINT) line a process logged, and when. */
function lastSignal(output: string): { signal: string; at: number } | undefined {
  const matches = [...output.matchAll(/"time":(\d+),[^\n]*"msg":"(SIG[A-Z]+) received/g)];
  const last = matches.at(-1);
  return last && { signal: last[2], at: Number(last[1]) };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function waitReady(member: Member, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { child } = member.process;
    if (child.exitCode !== null || child.signalCode !== null) {
      await sleep(500); // the last of its output
      throw new Error(`${member.name} ended while starting (${child.exitCode ?? child.signalCode}):\n${member.process.output()}`);
    }
    try {
      if ((await fetch(`http://127.0.0.1:${member.port}/health/ready`, { signal: AbortSignal.timeout(1_000) })).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${member.name} not ready after ${timeoutMs} ms:\n${member.process.output().slice(-4_000)}`);
}

/**
 * Two APIs behind the local load balancer (scripts/cluster/load-balancer.mjs) and two workers, as
 * real processes that the fault schedule may stop, kill and start again.
 */
export class ChaosCluster {
  /** Processes the run itself is stopping: their ending is no surprise. */
  private readonly stopping = new Set<RunningProcess>();
  private closing = false;
  readonly unplanned: UnplannedEnding[] = [];

  private constructor(
    readonly apis: Member[],
    readonly workers: Member[],
    private readonly balancer: LoadBalancer,
    private readonly env: Record<string, string>,
  ) {
    for (const member of [...apis, ...workers]) this.supervise(member, member.process);
  }

  /**
   * Restarts a process that ends without the run stopping it, and records the gap as a window of
   * its own. On a shared machine something else may signal it; a process that dies by itself (not
   * exit 0 after a logged signal) is a failure the audit reports.
   */
  private supervise(member: Member, process: RunningProcess): void {
    void process.exited.then(async () => {
      if (this.stopping.has(process) || this.closing) return;
      const signalled = lastSignal(process.output());
      const window = {
        name: `${member.name} ended unplanned`,
        startedAt: signalled?.at ?? Date.now(),
        recoveredAt: Number.POSITIVE_INFINITY,
      };
      const ending: UnplannedEnding = {
        member: member.name,
        ending: process.child.exitCode ?? process.child.signalCode ?? '?',
        signal: signalled?.signal,
        window,
      };
      this.unplanned.push(ending);
      await this.restart(member).catch((error: Error) => (ending.restartFailure = error.message.split('\n')[0]));
      window.recoveredAt = Date.now();
    });
  }

  private exclusive<T>(member: Member, work: () => Promise<T>): Promise<T> {
    const turn = member.turn.then(work, work);
    member.turn = turn.catch(() => undefined);
    return turn;
  }

  get url(): string {
    return `http://127.0.0.1:${this.balancer.port}`;
  }

  static async start(env: Record<string, string>, counts = { apis: 2, workers: 2 }): Promise<ChaosCluster> {
    const launch = async (name: string, script: Member['script']): Promise<Member> => {
      const port = await freePort();
      const process = ChaosCluster.spawn(script, port, env);
      return { name, script, port, process, history: [process], endings: [], turn: Promise.resolve() };
    };
    // The APIs start together (their migrations race as on a real cluster); workers once the schema exists.
    const apis = await Promise.all(Array.from({ length: counts.apis }, (_, index) => launch(`api-${index + 1}`, 'dist/main.js')));
    await Promise.all(apis.map((api) => waitReady(api)));
    const workers = await Promise.all(
      Array.from({ length: counts.workers }, (_, index) => launch(`worker-${index + 1}`, 'dist/worker.js')),
    );
    await Promise.all(workers.map((worker) => waitReady(worker)));
    const modulePath = pathToFileURL(resolve(ROOT, 'scripts/cluster/load-balancer.mjs')).href;
    const { startLoadBalancer } = (await import(modulePath)) as { startLoadBalancer: StartLoadBalancer };
    const balancer = await startLoadBalancer({ backends: apis.map((api) => ({ host: '127.0.0.1', port: api.port })) });
    return new ChaosCluster(apis, workers, balancer, env);
  }

  private static spawn(script: Member['script'], port: number, env: Record<string, string>): RunningProcess {
    const own = script === 'dist/main.js' ? { PORT: String(port) } : { WORKER_PORT: String(port), MIGRATIONS_RUN: 'false' };
    return startProcess(script, { ...env, ...own });
  }

  /** Sends `signal` and waits for the process to end; the ending is recorded for the audit. */
  stop(member: Member, signal: NodeJS.Signals): Promise<number | null> {
    return this.exclusive(member, async () => {
      const { child, exited } = member.process;
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      this.stopping.add(member.process);
      child.kill(signal);
      const code = await exited;
      member.endings.push({ signal, code });
      return code;
    });
  }

  restart(member: Member): Promise<void> {
    return this.exclusive(member, async () => {
      const { child } = member.process;
      if (child.exitCode === null && child.signalCode === null) return; // restarted meanwhile
      member.process = ChaosCluster.spawn(member.script, member.port, this.env);
      member.history.push(member.process);
      this.supervise(member, member.process);
      await waitReady(member);
      if (member.script === 'dist/main.js') await this.waitRouted(member);
    });
  }

  /** Until the balancer's own health poll routes to `member` again. */
  async waitRouted(member: Member, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const backend = this.balancer.backends.find((candidate) => candidate.port === member.port)!;
    while (!backend.ready) {
      if (Date.now() > deadline) throw new Error(`the load balancer does not route to ${member.name}`);
      await sleep(50);
    }
  }

  /** Until every process answers its readiness probe (after Redis came back, for instance). */
  async waitAllReady(): Promise<void> {
    await Promise.all([...this.apis, ...this.workers].map((member) => waitReady(member)));
    await Promise.all(this.apis.map((api) => this.waitRouted(api)));
  }

  /** The end of the run: the balancer, then every process with SIGTERM (their exit codes are audited). */
  async shutdown(): Promise<void> {
    this.closing = true;
    await this.balancer.close();
    await Promise.all([...this.apis, ...this.workers].map((member) => this.stop(member, 'SIGTERM')));
  }

  /** For a failed run: everything each process wrote, one file per process, in `directory`. */
  async saveOutput(directory: string): Promise<void> {
    await mkdir(directory, { recursive: true });
    for (const member of [...this.apis, ...this.workers]) {
      for (const [index, process] of member.history.entries()) {
        const ending = `exit ${process.child.exitCode ?? '-'} signal ${process.child.signalCode ?? '-'}`;
        await writeFile(join(directory, `${member.name}.${index + 1}.log`), `${process.output()}\n[${ending}]\n`);
      }
    }
  }

  killEverything(): void {
    this.closing = true;
    for (const member of [...this.apis, ...this.workers]) {
      if (member.process.child.exitCode === null && member.process.child.signalCode === null) member.process.child.kill('SIGKILL');
    }
  }
}
