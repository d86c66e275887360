import { createHmac } from 'node:crypto';
import { adminToken, createProduct, register, startApp, TestApp, uniqueRedisPrefix, withAdmin } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';
import { SmtpSink } from './support/smtp-sink';
import { startWorker, stopWorker, WorkerProcess } from './support/worker';

const SECRET = 'webhook-secret-for-tests';

describe('Payments webhook', () => {
  let database: TestDatabase;
  let smtp: SmtpSink;
  let api: TestApp;
  let worker: WorkerProcess;
  let admin: string;

  const sign = (raw: string) => `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
  const deliver = (event: object, signature?: string) => {
    const raw = JSON.stringify(event);
    return api.request({
      method: 'POST',
      url: '/api/v1/payments/webhook',
      body: raw,
      headers: { 'content-type': 'application/json', ...(signature !== '' && { 'x-signature': signature ?? sign(raw) }) },
    });
  };

  async function pendingOrder(priceCents = 2500) {
    const buyer = await register(api);
    const product = await createProduct(api, admin, { priceCents });
    const order = await api.request({
      method: 'POST',
      url: '/api/v1/orders',
      token: buyer.accessToken,
      body: { items: [{ productId: product.id, quantity: 2 }] },
    });
    return { buyer, order: order.body as { id: string; totalCents: number } };
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    smtp = await SmtpSink.start();
    const variables = {
      DATABASE_URL: database.url,
      REDIS_PREFIX: uniqueRedisPrefix(),
      SMTP_URL: smtp.url,
      PAYMENT_WEBHOOK_SECRET: SECRET,
      OUTBOX_SWEEP_INTERVAL_MS: '200',
    };
    api = await startApp({ ...variables, ...withAdmin });
    worker = await startWorker({ ...variables, REDIS_URL: 'redis://127.0.0.1:6379' });
    admin = await adminToken(api);
  });

  afterAll(async () => {
    await stopWorker(worker);
    await api?.close();
    await smtp?.close();
    await database?.drop();
  });

  it('marks a pending order paid and sends one order-confirmation mail; the same event again changes nothing', async () => {
    const { buyer, order } = await pendingOrder();
    const event = { eventId: `evt-${order.id}`, type: 'payment.succeeded', orderId: order.id, amountCents: order.totalCents };
    const first = await deliver(event);
    expect(first.status).toBe(200);
    const paid = await api.request({ url: `/api/v1/orders/${order.id}`, token: buyer.accessToken });
    expect(paid.body.status).toBe('paid');
    expect(paid.body.paidAt).not.toBeNull();

    await smtp.waitFor(() => smtp.to(buyer.email).some((mail) => mail.subject.includes('Order confirmed')));
    const replay = await deliver(event);
    expect(replay.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const confirmations = smtp.to(buyer.email).filter((mail) => mail.subject.includes('Order confirmed'));
    expect(confirmations).toHaveLength(1);
    expect(confirmations[0].subject).toContain(order.id);
    expect((await api.request({ url: `/api/v1/orders/${order.id}`, token: buyer.accessToken })).body.paidAt).toBe(paid.body.paidAt);
  });

  it('returns 401 and changes nothing for a missing or bad signature', async () => {
    const { buyer, order } = await pendingOrder();
    const event = { eventId: `evt-bad-${order.id}`, type: 'payment.succeeded', orderId: order.id, amountCents: order.totalCents };
    expect((await deliver(event, '')).status).toBe(401);
    expect((await deliver(event, `sha256=${'0'.repeat(64)}`)).status).toBe(401);
    expect((await deliver(event, sign(JSON.stringify({ ...event, amountCents: 1 })))).status).toBe(401);
    expect((await deliver({ garbage: true }, 'sha256=zz')).status).toBe(401);
    expect((await api.request({ url: `/api/v1/orders/${order.id}`, token: buyer.accessToken })).body.status).toBe('pending');
    // The event id was not consumed by the rejected attempts.
    expect((await deliver(event)).status).toBe(200);
  });

  it('returns 409 and changes nothing when the amount differs or the order is not pending', async () => {
    const { buyer, order } = await pendingOrder();
    const wrongAmount = await deliver({
      eventId: `evt-amount-${order.id}`,
      type: 'payment.succeeded',
      orderId: order.id,
      amountCents: order.totalCents - 1,
    });
    expect(wrongAmount.status).toBe(409);
    expect((await api.request({ url: `/api/v1/orders/${order.id}`, token: buyer.accessToken })).body.status).toBe('pending');
    await api.request({ method: 'POST', url: `/api/v1/orders/${order.id}/cancel`, token: buyer.accessToken });
    const cancelled = await deliver({
      eventId: `evt-late-${order.id}`,
      type: 'payment.succeeded',
      orderId: order.id,
      amountCents: order.totalCents,
    });
    expect(cancelled.status).toBe(409);
    expect((await api.request({ url: `/api/v1/orders/${order.id}`, token: buyer.accessToken })).body.status).toBe('cancelled');
  });

  it('accepts payment.failed without changing the order, and validates signed bodies (400)', async () => {
    const { buyer, order } = await pendingOrder();
    expect(
      (await deliver({ eventId: `evt-failed-${order.id}`, type: 'payment.failed', orderId: order.id, amountCents: order.totalCents }))
        .status,
    ).toBe(200);
    expect((await api.request({ url: `/api/v1/orders/${order.id}`, token: buyer.accessToken })).body.status).toBe('pending');
    expect((await deliver({ eventId: 'x', type: 'payment.refunded', orderId: order.id, amountCents: 1 })).status).toBe(400);
    expect((await deliver({ eventId: 'x', type: 'payment.succeeded', orderId: 'nope', amountCents: 1 })).status).toBe(400);
    expect(
      (await deliver({ eventId: 'x', type: 'payment.succeeded', orderId: '00000000-0000-4000-8000-000000000000', amountCents: 1 })).status,
    ).toBe(404);
  });
});
