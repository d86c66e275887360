import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { newAccount, TEST_ADMIN, uniqueRedisPrefix, withAdmin } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { freePort } from '../support/private-redis';
import { apiProcessEnvironment, ROOT, RunningProcess, startProcess, waitForHttp } from '../support/process';
import { SmtpSink } from '../support/smtp-sink';
import { startWorker, stopWorker, WorkerProcess } from '../support/worker';

/** Debian's package; CHROMIUM_PATH points elsewhere on machines that have it elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = resolve(ROOT, 'test-artifacts/queue-dashboard');

/**
 * An operator in a real browser: the API and the worker run as real processes with Redis, a
 * welcome mail is sent by a job, and chromium signs in to /admin/queues through the form.
 * Every step leaves a screenshot under test-artifacts/.
 */
describe('Queue dashboard in a browser', () => {
  let database: TestDatabase;
  let smtp: SmtpSink;
  let api: RunningProcess;
  let worker: WorkerProcess | undefined;
  let browser: Browser;
  let page: Page;
  let base: string;
  const customer = newAccount();

  const screenshot = (name: string) => page.screenshot({ path: resolve(ARTIFACTS, `${name}.png`), fullPage: true });
  const heading = () => page.locator('h1').first().innerText();

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    database = await createTestDatabase();
    smtp = await SmtpSink.start();
    const port = await freePort();
    // localhost, not 127.0.0.1: chromium keeps a Secure cookie from plain http only for localhost.
    base = `http://localhost:${port}`;
    const shared = { DATABASE_URL: database.url, REDIS_PREFIX: uniqueRedisPrefix(), SMTP_URL: smtp.url };
    api = startProcess('dist/main.js', apiProcessEnvironment({ ...shared, ...withAdmin, PORT: String(port), RATE_LIMIT_PER_IP: '0' }));
    await waitForHttp(`${base}/health/ready`, 60_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${api.output()}`);
    });
    worker = await startWorker({ ...shared, REDIS_URL: apiProcessEnvironment({}).REDIS_URL });
    // The API listens on 127.0.0.1 only; without the rule chromium may try ::1 for localhost and fail.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--host-resolver-rules=MAP localhost 127.0.0.1'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });

  afterAll(async () => {
    await browser?.close();
    await stopWorker(worker);
    if (api && api.child.exitCode === null) {
      api.child.kill('SIGTERM');
      await api.exited;
    }
    await smtp?.close();
    await database?.drop();
  });

  it('shows an admin the mail queue with its completed job, then signs out; a customer is refused', async () => {
    // A customer registers: the welcome mail is a job the worker completes.
    const registered = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(customer),
    });
    expect(registered.status).toBe(201);
    await smtp.waitFor(() => smtp.to(customer.email).length === 1);

    // An operator opens the bookmark: the sign-in form.
    await page.goto(`${base}/admin/queues`);
    expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    expect(await heading()).toContain('sign in');
    await screenshot('01-sign-in');

    await page.fill('input[name=email]', TEST_ADMIN.email);
    await page.fill('input[name=password]', TEST_ADMIN.password);
    await Promise.all([page.waitForURL(`${base}/admin/queues`), page.click('button[type=submit]')]);
    const [cookie] = await page.context().cookies(`${base}/admin/queues`);
    expect(cookie).toMatchObject({ name: 'orderly_admin_session', httpOnly: true, sameSite: 'Strict', path: '/admin' });
    await page.getByText('mail', { exact: true }).first().waitFor();
    await screenshot('02-dashboard');

    // The mail queue's completed jobs: the welcome mail sent above is there.
    await page.goto(`${base}/admin/queues/queue/mail?status=completed`);
    await page.getByText('welcome-mail').first().waitFor();
    await screenshot('03-mail-completed');

    // The dashboard's own state-changing calls (here "Retry all", confirmed) pass the Origin check.
    await page.getByRole('button', { name: 'Retry all', exact: true }).click();
    const [retried] = await Promise.all([
      page.waitForResponse((response) => response.request().method() === 'PUT' && response.url().endsWith('/retry/completed')),
      page.getByRole('button', { name: 'Confirm', exact: true }).click(),
    ]);
    expect(retried.status()).toBe(200);

    // Sign out from the dashboard's menu: the session ends and the bookmark leads to sign-in again.
    // Bull Board lists its links (ours: "Sign out") in the menu behind the header's last button.
    await page.locator('ul[class*="actions"] > li').last().locator('button').click();
    await Promise.all([page.waitForURL(`${base}/admin/sign-out`), page.getByText('Sign out').first().click()]);
    await screenshot('04-sign-out');
    await Promise.all([page.waitForURL(/\/admin\/sign-in$/), page.click('button[type=submit]')]);
    expect(await page.context().cookies(`${base}/admin/queues`)).toEqual([]);
    await page.goto(`${base}/admin/queues`);
    expect(new URL(page.url()).pathname).toBe('/admin/sign-in');
    const refused = await page.request.get(`${base}/admin/queues/api/queues`, {
      headers: { cookie: `orderly_admin_session=${cookie.value}` },
    });
    expect(refused.status()).toBe(401);
    await screenshot('05-signed-out');

    // A customer's correct password opens nothing.
    await page.fill('input[name=email]', customer.email);
    await page.fill('input[name=password]', customer.password);
    const [response] = await Promise.all([page.waitForResponse(`${base}/admin/sign-in`), page.click('button[type=submit]')]);
    expect(response.status()).toBe(403);
    expect(await page.getByRole('alert').innerText()).toContain('not an admin');
    expect(await page.context().cookies(`${base}/admin/queues`)).toEqual([]);
    await screenshot('06-customer-refused');
  });
});
