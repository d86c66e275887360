import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/private-redis';
import { startProcess, waitForHttp } from './support/process';

/** `npm start` on a fresh machine: no DATABASE_URL, REDIS_URL or SMTP_URL — embedded everything. */
describe('Embedded mode (npm start)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'orderly-embedded-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('registers, keeps the account across a restart, and logs in', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir };
    const account = { email: 'embedded@example.com', password: 'embedded password', name: 'Embedded' };

    const first = startProcess('dist/main.js', env);
    await waitForHttp(`${base}/health/ready`, 60_000);
    expect(first.output()).toContain('Embedded mode');
    // Its log lines are named after the class that wrote them, bundled or not (scripts/bundle.mjs).
    expect(first.output()).toContain('"context":"EmbeddedPostgres"');
    const registered = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(account),
    });
    expect(registered.status).toBe(201);
    const { accessToken } = (await registered.json()) as { accessToken: string };
    expect((await fetch(`${base}/api/v1/users/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(200);
    const mailDir = join(dataDir, 'mail');
    await expect.poll(() => (existsSync(mailDir) ? readdirSync(mailDir).length : 0), { timeout: 15_000 }).toBeGreaterThan(0);
    const [file] = readdirSync(mailDir).filter((name) => name.endsWith('.eml'));
    const eml = readFileSync(join(mailDir, file), 'utf8');
    expect(eml).toContain('Subject: Welcome to Orderly');
    expect(eml).toContain('To: embedded@example.com');
    expect(first.output()).toContain('jobs → in-process');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = startProcess('dist/main.js', env);
    try {
      await waitForHttp(`${base}/health/ready`, 60_000);
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: account.email, password: account.password }),
      });
      expect(login.status).toBe(200);
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  }, 180_000);
});
