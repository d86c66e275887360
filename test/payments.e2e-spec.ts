import { createHmac, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { OrdersService } from '../src/orders/orders.service';
import { PaymentLedger } from '../src/payments/ledger/payment-ledger';
import { adminToken, createProduct, register, startApp, TestApp, uniqueRedisPrefix, withAdmin } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';
import { SmtpSink } from './support/smtp-sink';
import { startWorker, stopWorker, WorkerProcess } from './support/worker';

const SECRET = 'webhook-secret-for-tests';

interface LedgerEntry {
  id: string;
  eventId: string | null;
  orderId: string;
  type: string;
  amountCents: number;
  outcome: string;
  reason: string | null;
  createdAt: string;
}

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
  const succeeded = (order: { id: string; totalCents: number }, overrides: object = {}) => ({
    eventId: `evt-${randomUUID()}`,
    type: 'payment.succeeded',
    orderId: order.id,
    amountCents: order.totalCents,
    ...overrides,
  });

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

  const orderOf = async (buyer: { accessToken: string }, id: string) =>
    (await api.request({ url: `/api/v1/orders/${id}`, token: buyer.accessToken })).body as { status: string; paidAt: string | null };

  async function ledgerFor(orderId: string): Promise<LedgerEntry[]> {
    const response = await api.request({ url: `/api/v1/payments?orderId=${orderId}&limit=100`, token: admin });
    expect(response.status).toBe(200);
    return response.body.data as LedgerEntry[];
  }

  /** Rows only ever added to the outbox by this file's webhook calls: a deterministic "no second e-mail queued". */
  const confirmationsQueued = async () =>
    (
      (await api.app.get(DataSource).query(`SELECT count(*)::int AS n FROM outbox WHERE name = 'order-confirmation-mail'`)) as {
        n: number;
      }[]
    )[0].n;

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
    // The expiry test expires its order itself; no background sweep in between.
    api = await startApp({ ...variables, ...withAdmin, ORDER_SWEEP_INTERVAL_MS: '3600000' });
    worker = await startWorker({ ...variables, REDIS_URL: 'redis://127.0.0.1:6379' });
    admin = await adminToken(api);
  });

  afterAll(async () => {
    await stopWorker(worker);
    await api?.close();
    await smtp?.close();
    await database?.drop();
  });

  describe('outcomes', () => {
    it('applies a payment to its pending order: paid, one order-confirmation mail; the same event again changes nothing', async () => {
      const { buyer, order } = await pendingOrder();
      const event = succeeded(order);
      const queuedBefore = await confirmationsQueued();
      const first = await deliver(event);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ status: 'processed', outcome: 'applied', reason: null });
      const paid = await orderOf(buyer, order.id);
      expect(paid.status).toBe('paid');
      expect(paid.paidAt).not.toBeNull();

      await smtp.waitFor(() => smtp.to(buyer.email).some((mail) => mail.subject.includes('Order confirmed')));
      const replay = await deliver(event);
      expect(replay.status).toBe(200);
      expect(replay.body).toEqual({ status: 'duplicate', outcome: 'applied', reason: null });
      expect(await confirmationsQueued()).toBe(queuedBefore + 1);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const confirmations = smtp.to(buyer.email).filter((mail) => mail.subject.includes('Order confirmed'));
      expect(confirmations).toHaveLength(1);
      expect(confirmations[0].subject).toContain(order.id);
      expect((await orderOf(buyer, order.id)).paidAt).toBe(paid.paidAt);

      const entries = await ledgerFor(order.id);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toEqual({
        id: expect.any(String),
        eventId: event.eventId,
        orderId: order.id,
        type: 'payment.succeeded',
        amountCents: order.totalCents,
        outcome: 'applied',
        reason: null,
        createdAt: expect.any(String),
      });
    });

    it('records one entry and queues one mail when the same event is delivered five times at once', async () => {
      const { buyer, order } = await pendingOrder();
      const event = succeeded(order);
      const queuedBefore = await confirmationsQueued();
      const responses = await Promise.all(Array.from({ length: 5 }, () => deliver(event)));
      expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
      expect(responses.filter((response) => response.body.status === 'processed')).toHaveLength(1);
      for (const response of responses) expect(response.body).toMatchObject({ outcome: 'applied', reason: null });
      expect(await ledgerFor(order.id)).toHaveLength(1);
      expect((await orderOf(buyer, order.id)).status).toBe('paid');
      expect(await confirmationsQueued()).toBe(queuedBefore + 1);
      await smtp.waitFor(() => smtp.to(buyer.email).some((mail) => mail.subject.includes('Order confirmed')));
    });

    it('answers 200 and owes a refund when the amount differs; the order stays pending', async () => {
      const { buyer, order } = await pendingOrder();
      const response = await deliver(succeeded(order, { amountCents: order.totalCents - 1 }));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'processed', outcome: 'refund_due', reason: 'amount_mismatch' });
      expect((await orderOf(buyer, order.id)).status).toBe('pending');
      expect(await ledgerFor(order.id)).toMatchObject([
        { outcome: 'refund_due', reason: 'amount_mismatch', amountCents: order.totalCents - 1 },
      ]);
    });

    it('answers 200 and owes a refund for a payment after the order was cancelled; the order stays cancelled', async () => {
      const { buyer, order } = await pendingOrder();
      expect((await api.request({ method: 'POST', url: `/api/v1/orders/${order.id}/cancel`, token: buyer.accessToken })).status).toBe(200);
      const response = await deliver(succeeded(order));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'processed', outcome: 'refund_due', reason: 'order_cancelled' });
      expect(await orderOf(buyer, order.id)).toMatchObject({ status: 'cancelled', paidAt: null });
      expect(await ledgerFor(order.id)).toMatchObject([{ outcome: 'refund_due', reason: 'order_cancelled' }]);
    });

    it('answers 200 and owes a refund for a payment after the order expired; the order stays expired', async () => {
      const { buyer, order } = await pendingOrder();
      await api.app.get(DataSource).query(`UPDATE orders SET created_at = now() - interval '1 day' WHERE id = $1`, [order.id]);
      await api.app.get(OrdersService).expireUnpaidOrders();
      expect((await orderOf(buyer, order.id)).status).toBe('expired');
      const response = await deliver(succeeded(order));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'processed', outcome: 'refund_due', reason: 'order_expired' });
      expect(await orderOf(buyer, order.id)).toMatchObject({ status: 'expired', paidAt: null });
    });

    it('owes a refund for a second payment of an order already paid or shipped, and sends no second mail', async () => {
      const { buyer, order } = await pendingOrder();
      expect((await deliver(succeeded(order))).body.outcome).toBe('applied');
      const paidAt = (await orderOf(buyer, order.id)).paidAt;
      const queuedBefore = await confirmationsQueued();
      const second = await deliver(succeeded(order));
      expect(second.body).toEqual({ status: 'processed', outcome: 'refund_due', reason: 'order_already_paid' });
      expect((await api.request({ method: 'POST', url: `/api/v1/orders/${order.id}/ship`, token: admin })).status).toBe(200);
      const third = await deliver(succeeded(order));
      expect(third.body).toEqual({ status: 'processed', outcome: 'refund_due', reason: 'order_already_paid' });
      expect(await orderOf(buyer, order.id)).toMatchObject({ status: 'shipped', paidAt });
      expect(await confirmationsQueued()).toBe(queuedBefore);
      expect((await ledgerFor(order.id)).map((entry) => entry.outcome).sort()).toEqual(['applied', 'refund_due', 'refund_due']);
    });

    it('answers 200 and owes a refund for an unknown order', async () => {
      const orderId = randomUUID();
      const response = await deliver({ eventId: `evt-${orderId}`, type: 'payment.succeeded', orderId, amountCents: 999 });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'processed', outcome: 'refund_due', reason: 'unknown_order' });
      expect(await ledgerFor(orderId)).toMatchObject([{ orderId, outcome: 'refund_due', reason: 'unknown_order', amountCents: 999 }]);
    });

    it('records payment.failed as ignored without changing the order', async () => {
      const { buyer, order } = await pendingOrder();
      const response = await deliver(succeeded(order, { type: 'payment.failed' }));
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'processed', outcome: 'ignored', reason: null });
      expect((await orderOf(buyer, order.id)).status).toBe('pending');
      expect(await ledgerFor(order.id)).toMatchObject([{ type: 'payment.failed', outcome: 'ignored', reason: null }]);
    });
  });

  describe('refunds the store owes', () => {
    // Needs OrdersModule to call PaymentLedger.recordRefundForCancelledOrder in the cancel transaction.
    it('records a refund_due entry for the total when a paid order is cancelled', async () => {
      const { buyer, order } = await pendingOrder();
      expect((await deliver(succeeded(order))).body.outcome).toBe('applied');
      expect((await api.request({ method: 'POST', url: `/api/v1/orders/${order.id}/cancel`, token: buyer.accessToken })).status).toBe(200);
      const refunds = (await ledgerFor(order.id)).filter((entry) => entry.outcome === 'refund_due');
      expect(refunds).toEqual([
        expect.objectContaining({
          eventId: null,
          type: 'order.cancelled',
          orderId: order.id,
          amountCents: order.totalCents,
          reason: 'paid_order_cancelled',
        }),
      ]);
    });

    it('records the refund for a cancelled order once, however often it is recorded', async () => {
      const orderId = randomUUID();
      const ledger = api.app.get(PaymentLedger);
      const dataSource = api.app.get(DataSource);
      await Promise.all(
        Array.from({ length: 3 }, () => dataSource.transaction((manager) => ledger.recordRefundForCancelledOrder(manager, orderId, 5000))),
      );
      expect(await ledgerFor(orderId)).toMatchObject([{ type: 'order.cancelled', outcome: 'refund_due', amountCents: 5000 }]);
    });
  });

  describe('GET /payments', () => {
    it('filters by order and outcome, newest first, and walks every entry once by cursor', async () => {
      const { order } = await pendingOrder();
      await deliver(succeeded(order));
      for (let i = 0; i < 4; i += 1) await deliver(succeeded(order));
      await deliver(succeeded(order, { type: 'payment.failed' }));

      const all = await ledgerFor(order.id);
      expect(all).toHaveLength(6);
      const positions = all.map((entry) => [entry.createdAt, entry.id].join(' '));
      expect([...positions].sort().reverse()).toEqual(positions);

      const walked: LedgerEntry[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const response = await api.request({
          url: `/api/v1/payments?orderId=${order.id}&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
          token: admin,
        });
        expect(response.status).toBe(200);
        walked.push(...(response.body.data as LedgerEntry[]));
        cursor = response.body.nextCursor as string | null;
        pages += 1;
      } while (cursor);
      expect(pages).toBe(2);
      expect(walked).toEqual(all);

      const refunds = await api.request({ url: `/api/v1/payments?orderId=${order.id}&outcome=refund_due`, token: admin });
      expect(refunds.body.data).toHaveLength(4);
      expect(refunds.body.data.every((entry: LedgerEntry) => entry.reason === 'order_already_paid')).toBe(true);
      const ignored = await api.request({ url: `/api/v1/payments?orderId=${order.id}&outcome=ignored`, token: admin });
      expect(ignored.body.data).toMatchObject([{ type: 'payment.failed' }]);
      const everyRefund = await api.request({ url: '/api/v1/payments?outcome=refund_due&limit=100', token: admin });
      expect(everyRefund.body.data.length).toBeGreaterThanOrEqual(4);
      expect(everyRefund.body.data.every((entry: LedgerEntry) => entry.outcome === 'refund_due')).toBe(true);

      expect((await api.request({ url: '/api/v1/payments?outcome=refunded', token: admin })).status).toBe(400);
      expect((await api.request({ url: '/api/v1/payments?orderId=nope', token: admin })).status).toBe(400);
    });

    it('is for admins only: 403 for a customer, 401 anonymous', async () => {
      const customer = await register(api);
      expect((await api.request({ url: '/api/v1/payments', token: customer.accessToken })).status).toBe(403);
      expect((await api.request({ url: '/api/v1/payments' })).status).toBe(401);
    });
  });

  describe('rejected deliveries', () => {
    it('returns 401 and records nothing for a missing or bad signature', async () => {
      const { buyer, order } = await pendingOrder();
      const event = succeeded(order);
      expect((await deliver(event, '')).status).toBe(401);
      expect((await deliver(event, `sha256=${'0'.repeat(64)}`)).status).toBe(401);
      expect((await deliver(event, sign(JSON.stringify({ ...event, amountCents: 1 })))).status).toBe(401);
      expect((await deliver({ garbage: true }, 'sha256=zz')).status).toBe(401);
      expect((await orderOf(buyer, order.id)).status).toBe('pending');
      expect(await ledgerFor(order.id)).toEqual([]);
      // The event id was not consumed by the rejected attempts.
      expect((await deliver(event)).body).toEqual({ status: 'processed', outcome: 'applied', reason: null });
    });

    it('returns 400 and records nothing for a signed but malformed body', async () => {
      const { buyer, order } = await pendingOrder();
      expect((await deliver(succeeded(order, { type: 'payment.refunded' }))).status).toBe(400);
      expect((await deliver(succeeded(order, { amountCents: -1 }))).status).toBe(400);
      expect((await deliver(succeeded(order, { eventId: '' }))).status).toBe(400);
      expect(await deliver({ eventId: 'x', type: 'payment.succeeded', orderId: order.id })).toMatchObject({ status: 400 });
      expect((await deliver(succeeded(order, { orderId: 'nope' }))).status).toBe(400);
      expect((await orderOf(buyer, order.id)).status).toBe('pending');
      expect(await ledgerFor(order.id)).toEqual([]);
    });
  });
});
