import { TEST_JWT_SECRET } from './app';
import { freePort } from './private-redis';
import { RunningProcess, startProcess, waitForHttp } from './process';

export interface WorkerProcess extends RunningProcess {
  port: number;
}

/** Starts `dist/worker.js` as a separate process and waits until its readiness probe answers. */
export async function startWorker(variables: Record<string, string | undefined>): Promise<WorkerProcess> {
  const port = await freePort();
  const worker = startProcess('dist/worker.js', {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    JWT_SECRET: TEST_JWT_SECRET,
    HOST: '127.0.0.1',
    WORKER_PORT: String(port),
    MIGRATIONS_RUN: 'false',
    ...variables,
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health/ready`, 30_000);
  } catch (error) {
    worker.child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${worker.output()}`);
  }
  return { ...worker, port };
}

export async function stopWorker(worker: WorkerProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (!worker || worker.child.exitCode !== null || worker.child.signalCode !== null) return worker?.child.exitCode ?? null;
  worker.child.kill(signal);
  return worker.exited;
}
