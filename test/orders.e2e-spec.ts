import { DataSource } from 'typeorm';
import { OrdersService } from '../src/orders/orders.service';
import { adminToken, createProduct, register, startApp, TestApp, uniqueRedisPrefix, withAdmin } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';

describe('Orders', () => {
  let database: TestDatabase;
  let first: TestApp;
  let second: TestApp;
  let admin: string;

  const order = (app: TestApp, token: string, items: unknown, headers: Record<string, string> = {}) =>
    app.request({ method: 'POST', url: '/api/v1/orders', token, body: { items }, headers });
  const stockOf = async (id: string) => (await first.request({ url: `/api/v1/products/${id}`, token: admin })).body.stock as number;

  beforeAll(async () => {
    database = await createTestDatabase();
    const variables = {
      DATABASE_URL: database.url,
      REDIS_PREFIX: uniqueRedisPrefix(),
      ORDER_PAYMENT_TIMEOUT: '1',
      ORDER_SWEEP_INTERVAL_MS: '3600000',
    };
    first = await startApp({ ...variables, ...withAdmin });
    second = await startApp({ ...variables, MIGRATIONS_RUN: 'false' });
    admin = await adminToken(first);
  });

  afterAll(async () => {
    await second?.close();
    await first?.close();
    await database?.drop();
  });

  it('creates a pending order with prices copied from the products, and takes the stock', async () => {
    const buyer = await register(first);
    const mug = await createProduct(first, admin, { priceCents: 1200, stock: 10 });
    const pen = await createProduct(first, admin, { priceCents: 150, stock: 10 });
    const response = await order(first, buyer.accessToken, [
      { productId: mug.id, quantity: 2 },
      { productId: pen.id, quantity: 3 },
    ]);
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      userId: buyer.user.id,
      status: 'pending',
      totalCents: 2 * 1200 + 3 * 150,
      currency: 'USD',
      paidAt: null,
      items: [
        { productId: mug.id, sku: mug.sku, name: mug.name, unitPriceCents: 1200, quantity: 2, lineTotalCents: 2400 },
        { productId: pen.id, sku: pen.sku, name: pen.name, unitPriceCents: 150, quantity: 3, lineTotalCents: 450 },
      ],
    });
    expect(await stockOf(mug.id)).toBe(8);
    // A later price change does not rewrite the order.
    await first.request({ method: 'PATCH', url: `/api/v1/products/${mug.id}`, token: admin, body: { priceCents: 9999 } });
    const again = await first.request({ url: `/api/v1/orders/${response.body.id}`, token: buyer.accessToken });
    expect(again.body.items[0].unitPriceCents).toBe(1200);
  });

  it('returns 409 naming the product when stock runs out, and takes nothing', async () => {
    const buyer = await register(first);
    const plenty = await createProduct(first, admin, { stock: 10 });
    const scarce = await createProduct(first, admin, { stock: 1 });
    const response = await order(first, buyer.accessToken, [
      { productId: plenty.id, quantity: 1 },
      { productId: scarce.id, quantity: 2 },
    ]);
    expect(response.status).toBe(409);
    expect(response.body.detail).toContain(scarce.sku);
    expect(await stockOf(plenty.id)).toBe(10);
    expect(await stockOf(scarce.id)).toBe(1);
  });

  it('returns 400 for unknown or inactive products, duplicate lines and bad quantities', async () => {
    const buyer = await register(first);
    const product = await createProduct(first, admin);
    const retired = await createProduct(first, admin);
    await first.request({ method: 'DELETE', url: `/api/v1/products/${retired.id}`, token: admin });
    for (const items of [
      [{ productId: '00000000-0000-4000-8000-000000000000', quantity: 1 }],
      [{ productId: retired.id, quantity: 1 }],
      [
        { productId: product.id, quantity: 1 },
        { productId: product.id, quantity: 1 },
      ],
      [{ productId: product.id, quantity: 0 }],
      [{ productId: product.id, quantity: 1001 }],
      [{ productId: product.id, quantity: 1.5 }],
      [{ productId: 'nope', quantity: 1 }],
      [],
      Array.from({ length: 51 }, () => ({ productId: product.id, quantity: 1 })),
      'x',
    ]) {
      expect((await order(first, buyer.accessToken, items)).status, JSON.stringify(items).slice(0, 80)).toBe(400);
    }
    expect(await stockOf(product.id)).toBe(10);
  });

  it('sells exactly the stock to 200 concurrent buyers spread over two API instances', async () => {
    const product = await createProduct(first, admin, { stock: 50 });
    const buyers = await Promise.all(Array.from({ length: 8 }, () => register(first)));
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        order(i % 2 ? first : second, buyers[i % buyers.length].accessToken, [{ productId: product.id, quantity: 1 }]),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(50);
    expect(statuses.filter((status) => status === 409)).toHaveLength(150);
    expect(await stockOf(product.id)).toBe(0);
    expect((await second.request({ url: `/api/v1/products/${product.id}` })).body.stock).toBe(0);
  });

  describe('Idempotency-Key', () => {
    it('replays the first response for the same key and body, and creates nothing more', async () => {
      const buyer = await register(first);
      const product = await createProduct(first, admin, { stock: 5 });
      const items = [{ productId: product.id, quantity: 1 }];
      const original = await order(first, buyer.accessToken, items, { 'idempotency-key': 'key-1' });
      const retry = await order(second, buyer.accessToken, items, { 'idempotency-key': 'key-1' });
      expect(original.status).toBe(201);
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(original.headers['idempotent-replayed']).toBeUndefined();
      expect(retry.body).toEqual(original.body);
      expect(await stockOf(product.id)).toBe(4);
    });

    it('answers 422 for the same key with another body', async () => {
      const buyer = await register(first);
      const product = await createProduct(first, admin, { stock: 5 });
      await order(first, buyer.accessToken, [{ productId: product.id, quantity: 1 }], { 'idempotency-key': 'key-2' });
      const other = await order(first, buyer.accessToken, [{ productId: product.id, quantity: 2 }], { 'idempotency-key': 'key-2' });
      expect(other.status).toBe(422);
      expect(await stockOf(product.id)).toBe(4);
    });

    it('scopes keys per user', async () => {
      const [alice, bob] = await Promise.all([register(first), register(first)]);
      const product = await createProduct(first, admin, { stock: 5 });
      const items = [{ productId: product.id, quantity: 1 }];
      const a = await order(first, alice.accessToken, items, { 'idempotency-key': 'shared' });
      const b = await order(first, bob.accessToken, items, { 'idempotency-key': 'shared' });
      expect(b.status).toBe(201);
      expect(b.body.id).not.toBe(a.body.id);
      expect(b.body.userId).toBe(bob.user.id);
    });

    it('takes stock once when the same key hits two instances at the same moment', async () => {
      const buyer = await register(first);
      const product = await createProduct(first, admin, { stock: 20 });
      const items = [{ productId: product.id, quantity: 1 }];
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => order(i % 2 ? first : second, buyer.accessToken, items, { 'idempotency-key': 'race' })),
      );
      const created = responses.filter((response) => response.status === 201);
      expect(responses.every((response) => response.status === 201 || response.status === 409)).toBe(true);
      expect(new Set(created.map((response) => response.body.id)).size).toBe(1);
      expect(await stockOf(product.id)).toBe(19);
      const list = await first.request({ url: '/api/v1/orders', token: buyer.accessToken });
      expect(list.body.data).toHaveLength(1);
    });

    it('lets a failed request be retried with the same key', async () => {
      const buyer = await register(first);
      const product = await createProduct(first, admin, { stock: 1 });
      const tooMany = await order(first, buyer.accessToken, [{ productId: product.id, quantity: 2 }], {
        'idempotency-key': 'retry-after-409',
      });
      expect(tooMany.status).toBe(409);
      await first.request({ method: 'PATCH', url: `/api/v1/products/${product.id}`, token: admin, body: { stock: 5 } });
      const retried = await order(first, buyer.accessToken, [{ productId: product.id, quantity: 2 }], {
        'idempotency-key': 'retry-after-409',
      });
      expect(retried.status).toBe(201);
    });

    it('rejects an over-long key with 400', async () => {
      const buyer = await register(first);
      const product = await createProduct(first, admin);
      const response = await order(first, buyer.accessToken, [{ productId: product.id, quantity: 1 }], {
        'idempotency-key': 'k'.repeat(256),
      });
      expect(response.status).toBe(400);
    });
  });

  describe('ownership', () => {
    it("never shows user A's orders to user B (404 on GET, absent from lists), cache warm", async () => {
      const [alice, bob] = await Promise.all([register(first), register(first)]);
      const product = await createProduct(first, admin);
      const aliceOrder = (await order(first, alice.accessToken, [{ productId: product.id, quantity: 1 }])).body;
      const bobOrder = (await order(second, bob.accessToken, [{ productId: product.id, quantity: 1 }])).body;
      for (let round = 0; round < 3; round += 1) {
        const [aList, bList, bPeek, aOwn] = await Promise.all([
          first.request({ url: '/api/v1/orders', token: alice.accessToken }),
          second.request({ url: '/api/v1/orders', token: bob.accessToken }),
          second.request({ url: `/api/v1/orders/${aliceOrder.id}`, token: bob.accessToken }),
          first.request({ url: `/api/v1/orders/${aliceOrder.id}`, token: alice.accessToken }),
        ]);
        expect(aList.body.data.map((o: { id: string }) => o.id)).toEqual([aliceOrder.id]);
        expect(bList.body.data.map((o: { id: string }) => o.id)).toEqual([bobOrder.id]);
        expect(bPeek.status).toBe(404);
        expect(aOwn.status).toBe(200);
      }
      expect((await first.request({ method: 'POST', url: `/api/v1/orders/${aliceOrder.id}/cancel`, token: bob.accessToken })).status).toBe(
        404,
      );
      expect((await first.request({ url: `/api/v1/orders?userId=${alice.user.id}`, token: bob.accessToken })).status).toBe(403);
    });

    it('lets admins see every order and filter by user and status', async () => {
      const buyer = await register(first);
      const product = await createProduct(first, admin);
      const placed = (await order(first, buyer.accessToken, [{ productId: product.id, quantity: 1 }])).body;
      const all = await first.request({ url: `/api/v1/orders?userId=${buyer.user.id}`, token: admin });
      expect(all.body.data.map((o: { id: string }) => o.id)).toEqual([placed.id]);
      const paid = await first.request({ url: `/api/v1/orders?userId=${buyer.user.id}&status=paid`, token: admin });
      expect(paid.body.data).toHaveLength(0);
      expect((await first.request({ url: `/api/v1/orders/${placed.id}`, token: admin })).status).toBe(200);
      expect((await first.request({ url: '/api/v1/orders?status=lost', token: admin })).status).toBe(400);
    });
  });

  describe('state machine', () => {
    it('cancels a pending order and gives the stock back; a second cancel is 409', async () => {
      const buyer = await register(first);
      const product = await createProduct(first, admin, { stock: 3 });
      const placed = (await order(first, buyer.accessToken, [{ productId: product.id, quantity: 2 }])).body;
      expect(await stockOf(product.id)).toBe(1);
      const cancelled = await second.request({ method: 'POST', url: `/api/v1/orders/${placed.id}/cancel`, token: buyer.accessToken });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body.status).toBe('cancelled');
      expect(await stockOf(product.id)).toBe(3);
      expect((await first.request({ method: 'POST', url: `/api/v1/orders/${placed.id}/cancel`, token: buyer.accessToken })).status).toBe(
        409,
      );
      expect(await stockOf(product.id)).toBe(3);
    });

    it('ships only paid orders, and only admins may ship', async () => {
      const buyer = await register(first);
      const product = await createProduct(first, admin);
      const placed = (await order(first, buyer.accessToken, [{ productId: product.id, quantity: 1 }])).body;
      expect((await first.request({ method: 'POST', url: `/api/v1/orders/${placed.id}/ship`, token: buyer.accessToken })).status).toBe(403);
      expect((await first.request({ method: 'POST', url: `/api/v1/orders/${placed.id}/ship`, token: admin })).status).toBe(409);
      await first.app.get(DataSource).query(`UPDATE orders SET status = 'paid' WHERE id = $1`, [placed.id]);
      const shipped = await first.request({ method: 'POST', url: `/api/v1/orders/${placed.id}/ship`, token: admin });
      expect(shipped.status).toBe(200);
      expect(shipped.body.status).toBe('shipped');
      expect((await first.request({ method: 'POST', url: `/api/v1/orders/${placed.id}/cancel`, token: admin })).status).toBe(409);
    });

    it('expires unpaid orders and returns their stock exactly once when two sweepers overlap', async () => {
      const buyer = await register(first);
      const product = await createProduct(first, admin, { stock: 30 });
      const placed = [];
      for (let i = 0; i < 10; i += 1) placed.push((await order(first, buyer.accessToken, [{ productId: product.id, quantity: 2 }])).body);
      expect(await stockOf(product.id)).toBe(10);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const [a, b] = await Promise.all([
        first.app.get(OrdersService).expireUnpaidOrders(),
        second.app.get(OrdersService).expireUnpaidOrders(),
      ]);
      expect(a + b).toBeGreaterThanOrEqual(10);
      expect(await stockOf(product.id)).toBe(30);
      for (const { id } of placed) {
        expect((await first.request({ url: `/api/v1/orders/${id}`, token: buyer.accessToken })).body.status).toBe('expired');
      }
      expect((await first.request({ method: 'POST', url: `/api/v1/orders/${placed[0].id}/cancel`, token: buyer.accessToken })).status).toBe(
        409,
      );
    });
  });
});
