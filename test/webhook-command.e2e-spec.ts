import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { adminToken, createProduct, register, useTestApp, withAdmin } from './support/app';
import { ROOT } from './support/process';

interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('npm run webhook', () => {
  // No PAYMENT_WEBHOOK_SECRET: the API and the command both fall back to the development secret.
  const context = useTestApp(withAdmin);
  let apiUrl: string;
  let admin: string;
  let workingDirectory: string;

  beforeAll(async () => {
    await context.api.app.listen({ port: 0, host: '127.0.0.1' });
    apiUrl = await context.api.app.getUrl();
    admin = await adminToken(context.api);
    // An empty working directory: no developer's .env is read.
    workingDirectory = mkdtempSync(join(tmpdir(), 'orderly-webhook-'));
  });
  afterAll(() => rmSync(workingDirectory, { recursive: true, force: true }));

  /** Runs `node scripts/webhook.mjs …` as `npm run webhook -- …` does, with only the given environment. */
  const webhook = (args: string[], env: Record<string, string> = { API_URL: apiUrl }) =>
    new Promise<CommandResult>((done) => {
      execFile(
        process.execPath,
        [resolve(ROOT, 'scripts/webhook.mjs'), ...args],
        { cwd: workingDirectory, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 30_000 },
        (error, stdout, stderr) => done({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });

  async function pendingOrder() {
    const buyer = await register(context.api);
    const product = await createProduct(context.api, admin, { priceCents: 1250 });
    const response = await context.api.request({
      method: 'POST',
      url: '/api/v1/orders',
      token: buyer.accessToken,
      body: { items: [{ productId: product.id, quantity: 2 }] },
    });
    expect(response.status).toBe(201);
    const order = response.body as { id: string; totalCents: number };
    const status = async () =>
      ((await context.api.request({ url: `/api/v1/orders/${order.id}`, token: buyer.accessToken })).body as { status: string }).status;
    return { order, status };
  }

  it('pay: signs with the development secret, the order becomes paid, and the answer is printed', async () => {
    const { order, status } = await pendingOrder();

    const result = await webhook(['pay', order.id, String(order.totalCents)]);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`POST ${apiUrl}/api/v1/payments/webhook`);
    expect(result.stdout).toContain('200 OK');
    expect(JSON.parse(result.stdout.slice(result.stdout.indexOf('{', result.stdout.indexOf('200 OK'))))).toEqual({
      status: 'processed',
      outcome: 'applied',
      reason: null,
    });
    expect(await status()).toBe('paid');
  });

  it('pay with another amount: recorded as a refund due, the order stays pending', async () => {
    const { order, status } = await pendingOrder();
    const result = await webhook(['pay', order.id, String(order.totalCents - 1)]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"reason": "amount_mismatch"');
    expect(await status()).toBe('pending');
  });

  it('fail: the event is recorded as ignored and the order stays pending', async () => {
    const { order, status } = await pendingOrder();
    const result = await webhook(['fail', order.id]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"outcome": "ignored"');
    expect(await status()).toBe('pending');
  });

  it('--event-id: the same event twice is a duplicate the second time', async () => {
    const { order } = await pendingOrder();
    const args = ['pay', order.id, String(order.totalCents), '--event-id', `evt-${order.id}`];
    expect((await webhook(args)).stdout).toContain('"status": "processed"');
    expect((await webhook(args)).stdout).toContain('"status": "duplicate"');
  });

  it('signs with PAYMENT_WEBHOOK_SECRET when it is set: a secret the API does not use is refused (401, exit 1)', async () => {
    const { order, status } = await pendingOrder();
    const result = await webhook(['pay', order.id, String(order.totalCents)], {
      API_URL: apiUrl,
      PAYMENT_WEBHOOK_SECRET: 'not-the-api-secret',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('401 Unauthorized');
    expect(await status()).toBe('pending');
  });

  it('finds the API on PORT (read like the API reads it) when API_URL is unset', async () => {
    const { order, status } = await pendingOrder();
    const result = await webhook(['pay', order.id, String(order.totalCents)], { PORT: new URL(apiUrl).port });
    expect(result.code).toBe(0);
    expect(await status()).toBe('paid');
  });

  it('explains what is wrong: usage errors exit 2, an API that is not running exits 1', async () => {
    const missingAmount = await webhook(['pay', '0b5e4c1e-3f4e-4b8e-9a51-1c2d3e4f5a6b']);
    expect(missingAmount.code).toBe(2);
    expect(missingAmount.stderr).toMatch(/the amount is missing[\s\S]*usage: npm run webhook -- pay <orderId> <amountCents>/);

    expect((await webhook(['refund', 'x'])).code).toBe(2);
    expect((await webhook(['pay', 'x', '12.50'])).stderr).toContain('amountCents must be a whole number of cents');

    const down = await webhook(['fail', '0b5e4c1e-3f4e-4b8e-9a51-1c2d3e4f5a6b'], { API_URL: 'http://127.0.0.1:1' });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('Could not reach the API at http://127.0.0.1:1');
  });
});
