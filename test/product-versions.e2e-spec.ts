import { DataSource } from 'typeorm';
import { Redis } from 'ioredis';
import { OrdersService } from '../src/orders/orders.service';
import { adminToken, createProduct, register, startApp, TestApp, uniqueRedisPrefix, withAdmin } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';
import { TEST_REDIS_URL } from './support/services';

/** ETags from the row version, conditional requests, and a fresh read through another instance after every kind of product change. */
describe('Product versions, conditional requests and cache invalidation', () => {
  let database: TestDatabase;
  let api: TestApp;
  let other: TestApp;
  let redis: Redis;
  let redisPrefix: string;
  let admin: string;
  let buyer: string;

  const read = (app: TestApp, id: string, headers: Record<string, string> = {}, token?: string) =>
    app.request({ url: `/api/v1/products/${id}`, headers, token });
  const patch = (app: TestApp, id: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request({ method: 'PATCH', url: `/api/v1/products/${id}`, token: admin, body, headers });
  const order = (app: TestApp, productId: string, quantity = 1) =>
    app.request({ method: 'POST', url: '/api/v1/orders', token: buyer, body: { items: [{ productId, quantity }] } });
  /** Reads twice on the other instance, so the second answer is a cache hit when the cache holds one. */
  const warm = async (id: string) => {
    await read(other, id);
    return read(other, id);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    redisPrefix = uniqueRedisPrefix();
    const variables = {
      DATABASE_URL: database.url,
      REDIS_PREFIX: redisPrefix,
      ORDER_PAYMENT_TIMEOUT: '1',
      ORDER_SWEEP_INTERVAL_MS: '3600000',
    };
    api = await startApp({ ...variables, ...withAdmin });
    other = await startApp({ ...variables, MIGRATIONS_RUN: 'false' });
    redis = new Redis(TEST_REDIS_URL);
    admin = await adminToken(api);
    buyer = (await register(api)).accessToken;
  });

  afterAll(async () => {
    redis?.disconnect();
    await other?.close();
    await api?.close();
    await database?.drop();
  });

  describe('ETag and If-None-Match', () => {
    it('answers GET with the ETag of the row version, and 304 with no body for a matching If-None-Match', async () => {
      const product = await createProduct(api, admin);
      const first = await read(other, product.id);
      expect(first.status).toBe(200);
      expect(first.headers.etag).toBe('"1"');
      for (const ifNoneMatch of ['"1"', 'W/"1"', '"7", "1"', '*']) {
        const revalidated = await read(other, product.id, { 'if-none-match': ifNoneMatch });
        expect(revalidated.status, ifNoneMatch).toBe(304);
        expect(revalidated.text).toBe('');
        expect(revalidated.headers.etag).toBe('"1"');
      }
      const stale = await read(other, product.id, { 'if-none-match': '"0"' });
      expect(stale.status).toBe(200);
      expect(stale.body.id).toBe(product.id);
    });

    it('answers an If-None-Match it cannot match with the whole 200, and a signed-in 304 is still no-store', async () => {
      const product = await createProduct(api, admin);
      await warm(product.id);
      for (const ifNoneMatch of ['"1', '1', 'W/', ',,,', `${'"2", '.repeat(500)}"3"`]) {
        const answer = await read(other, product.id, { 'if-none-match': ifNoneMatch });
        expect(answer.status, ifNoneMatch).toBe(200);
        expect(answer.body.id).toBe(product.id);
      }
      const signedIn = await read(other, product.id, { 'if-none-match': '"1"' }, admin);
      expect(signedIn.status).toBe(304);
      expect(signedIn.headers['cache-control']).toBe('no-store');
    });

    it('gives an order that takes stock a new ETag, so a client revalidating gets the new stock', async () => {
      const product = await createProduct(api, admin, { stock: 5 });
      const before = await warm(product.id);
      expect((await order(api, product.id, 2)).status).toBe(201);
      const after = await read(other, product.id, { 'if-none-match': before.headers.etag as string });
      expect(after.status).toBe(200);
      expect(after.body.stock).toBe(3);
      expect(after.headers.etag).not.toBe(before.headers.etag);
    });

    it('answers a POST and a PATCH with the ETag of what they wrote', async () => {
      const created = await api.request({
        method: 'POST',
        url: '/api/v1/products',
        token: admin,
        body: { sku: `ETAG-${Date.now()}`, name: 'Tagged', priceCents: 1, stock: 1 },
      });
      expect(created.status).toBe(201);
      expect(created.headers.etag).toBe('"1"');
      const updated = await patch(api, created.body.id as string, { name: 'Renamed' });
      expect(updated.status).toBe(200);
      expect(updated.headers.etag).toBe('"2"');
    });
  });

  describe('If-Match on PATCH', () => {
    it('writes when the ETag is current and answers 412, writing nothing, when the product changed since', async () => {
      const product = await createProduct(api, admin, { name: 'Lamp', priceCents: 500, stock: 10 });
      const { etag } = (await read(other, product.id)).headers as { etag: string };
      // An order takes stock in between: the admin's view is stale.
      expect((await order(other, product.id)).status).toBe(201);
      const refused = await patch(api, product.id, { stock: 100, name: 'Lamp XL' }, { 'if-match': etag });
      expect(refused.status).toBe(412);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      const unchanged = await read(other, product.id);
      expect(unchanged.body).toMatchObject({ name: 'Lamp', stock: 9 });

      const current = unchanged.headers.etag as string;
      const accepted = await patch(api, product.id, { stock: 100 }, { 'if-match': current });
      expect(accepted.status).toBe(200);
      expect(accepted.body.stock).toBe(100);
      expect(accepted.headers.etag).not.toBe(current);
    });

    it('treats a weak, malformed or unknown If-Match as not matching, `*` as any version, and 404s an unknown id', async () => {
      const product = await createProduct(api, admin);
      for (const ifMatch of ['W/"1"', 'garbage', '"x"', '"99"']) {
        expect((await patch(api, product.id, { name: 'No' }, { 'if-match': ifMatch })).status, ifMatch).toBe(412);
      }
      expect((await patch(api, product.id, {}, { 'if-match': '"99"' })).status).toBe(412);
      expect((await read(api, product.id)).body.name).not.toBe('No');
      expect((await patch(api, product.id, { name: 'Yes' }, { 'if-match': '*' })).status).toBe(200);
      expect((await patch(api, '00000000-0000-4000-8000-000000000000', { name: 'x' }, { 'if-match': '"1"' })).status).toBe(404);
    });

    it('lets exactly one of two admins sending the same If-Match at once win; the other gets 412', async () => {
      const product = await createProduct(api, admin, { priceCents: 100 });
      const { etag } = (await read(api, product.id)).headers as { etag: string };
      const answers = await Promise.all([
        patch(api, product.id, { priceCents: 111 }, { 'if-match': etag }),
        patch(other, product.id, { priceCents: 222 }, { 'if-match': etag }),
      ]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 412]);
      const winner = answers.find((answer) => answer.status === 200)!;
      const final = await read(other, product.id);
      expect(final.body.priceCents).toBe(winner.body.priceCents);
      expect(final.headers.etag).toBe('"2"');
    });
  });

  describe('a change is visible at once through the other instance, whichever path made it', () => {
    it('an order, then its cancellation', async () => {
      const product = await createProduct(api, admin, { stock: 10 });
      expect((await warm(product.id)).body.stock).toBe(10);
      const placed = await order(api, product.id, 4);
      expect((await warm(product.id)).body.stock).toBe(6);
      await api.request({ method: 'POST', url: `/api/v1/orders/${placed.body.id}/cancel`, token: buyer });
      expect((await read(other, product.id)).body.stock).toBe(10);
    });

    it('an admin edit and a soft delete, in items and in lists', async () => {
      const marker = `Heron${Date.now()}`;
      const product = await createProduct(api, admin, { name: `${marker} vase` });
      const list = () => other.request({ url: `/api/v1/products?q=${marker}` });
      await list();
      expect((await list()).body.data.map((item: { name: string }) => item.name)).toEqual([`${marker} vase`]);
      await patch(api, product.id, { name: `${marker} urn` });
      expect((await list()).body.data.map((item: { name: string }) => item.name)).toEqual([`${marker} urn`]);
      expect((await read(other, product.id)).body.name).toBe(`${marker} urn`);
      await api.request({ method: 'DELETE', url: `/api/v1/products/${product.id}`, token: admin });
      expect((await list()).body.data).toEqual([]);
      expect((await read(other, product.id)).status).toBe(404);
    });

    it('stock taken by an order shows in a cached list page without the page being recomputed', async () => {
      const marker = `Ibis${Date.now()}`;
      const products = [];
      for (let i = 0; i < 3; i += 1) products.push(await createProduct(api, admin, { name: `${marker} ${i}`, stock: 10 }));
      const list = () => other.request({ url: `/api/v1/products?q=${marker}` });
      // The first read caches the page, the second the items it shows.
      await list();
      await list();
      const listVersionKey = `${redisPrefix}:cache::products:list:version`;
      const versionBefore = await redis.get(listVersionKey);
      await order(api, products[1].id, 3);
      const after = await list();
      expect(after.body.data.map((item: { stock: number }) => item.stock)).toEqual([10, 7, 10]);
      // Lists as a whole were not invalidated by the order.
      expect(await redis.get(listVersionKey)).toBe(versionBefore);
    });

    it('the expiry sweep, including the orders it expired before a later one in its batch failed', async () => {
      const first = await createProduct(api, admin, { stock: 10 });
      const second = await createProduct(api, admin, { stock: 10 });
      const firstOrder = await order(api, first.id, 2);
      const secondOrder = await order(api, second.id, 3);
      expect((await warm(first.id)).body.stock).toBe(8);
      expect((await warm(second.id)).body.stock).toBe(7);
      const dataSource = api.app.get(DataSource);
      // Only these two orders are due, the first one first; expiring the second one fails.
      await dataSource.query(`UPDATE orders SET created_at = now() - interval '1 day' - (interval '1 second' * $2) WHERE id = $1`, [
        firstOrder.body.id,
        1,
      ]);
      await dataSource.query(`UPDATE orders SET created_at = now() - interval '1 day' WHERE id = $1`, [secondOrder.body.id]);
      await dataSource.query(`
        CREATE FUNCTION refuse_expiry() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.id = '${secondOrder.body.id as string}' AND NEW.status = 'expired' THEN RAISE EXCEPTION 'injected fault'; END IF;
          RETURN NEW;
        END $$`);
      await dataSource.query(`CREATE TRIGGER refuse_expiry BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION refuse_expiry()`);
      try {
        await expect(api.app.get(OrdersService).expireUnpaidOrders()).rejects.toThrow('injected fault');
      } finally {
        await dataSource.query(`DROP TRIGGER refuse_expiry ON orders`);
        await dataSource.query(`DROP FUNCTION refuse_expiry()`);
      }
      expect((await read(other, first.id)).body.stock).toBe(10);
      expect((await read(other, second.id)).body.stock).toBe(7);
      expect(await api.app.get(OrdersService).expireUnpaidOrders()).toBeGreaterThanOrEqual(1);
      expect((await read(other, second.id)).body.stock).toBe(10);
    });
  });

  it('leaves nothing in Redis for reads of products that do not exist', async () => {
    const pattern = `${redisPrefix}:cache::products:*`;
    const before = (await redis.keys(pattern)).length;
    for (let i = 0; i < 20; i += 1) {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      expect((await read(i % 2 ? api : other, id)).status).toBe(404);
    }
    expect((await redis.keys(pattern)).length).toBe(before);
  });
});
