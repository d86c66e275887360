import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { TEST_JWT_SECRET } from './app';
import { TEST_REDIS_URL } from './services';

export const ROOT = resolve(__dirname, '../..');

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts a built entrypoint (`dist/main.js`, `dist/worker.js`) as a real process with its own environment. */
export function startProcess(script: string, env: Record<string, string | undefined>): RunningProcess {
  const child = spawn(process.execPath, [resolve(ROOT, script)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => output, exited };
}

export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** What every real API process of the tests runs with; `variables` add to it or override it. */
export const apiProcessEnvironment = (variables: Record<string, string | undefined>): Record<string, string | undefined> => ({
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  JWT_SECRET: TEST_JWT_SECRET,
  REDIS_URL: TEST_REDIS_URL,
  HOST: '127.0.0.1',
  ...variables,
});
