import { adminToken, createProduct, register, startApp, TestApp, uniqueRedisPrefix, withAdmin } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';

describe('Products', () => {
  let database: TestDatabase;
  let api: TestApp;
  let other: TestApp;
  let admin: string;
  let customer: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const redisPrefix = uniqueRedisPrefix();
    api = await startApp({ DATABASE_URL: database.url, REDIS_PREFIX: redisPrefix, ...withAdmin });
    other = await startApp({ DATABASE_URL: database.url, REDIS_PREFIX: redisPrefix, MIGRATIONS_RUN: 'false' });
    admin = await adminToken(api);
    customer = (await register(api)).accessToken;
  });

  afterAll(async () => {
    await other?.close();
    await api?.close();
    await database?.drop();
  });

  it('answers an empty page from the cache as from the database, with no cache error', async () => {
    for (const reader of [api, api, other]) {
      const page = await reader.request({ url: '/api/v1/products?q=nothing-has-this-name' });
      expect(page.status).toBe(200);
      expect(page.body).toEqual({ data: [], nextCursor: null });
    }
    const metrics = await api.request({ url: '/metrics' });
    expect(metrics.text).toMatch(/^cache_errors 0$/m);
  });

  it('lets an admin create a product (201, store currency) and refuses a duplicate sku with 409', async () => {
    const product = await createProduct(api, admin, { name: 'Blue mug', priceCents: 999, stock: 5, description: 'Holds coffee' });
    expect(product).toMatchObject({
      name: 'Blue mug',
      priceCents: 999,
      stock: 5,
      currency: 'USD',
      active: true,
      description: 'Holds coffee',
    });
    const duplicate = await api.request({
      method: 'POST',
      url: '/api/v1/products',
      token: admin,
      body: { sku: product.sku, name: 'Other', priceCents: 1, stock: 1 },
    });
    expect(duplicate.status).toBe(409);
  });

  it('refuses writes from customers (403) and anonymous callers (401)', async () => {
    const body = { sku: 'X-1', name: 'X', priceCents: 1, stock: 1 };
    expect((await api.request({ method: 'POST', url: '/api/v1/products', token: customer, body })).status).toBe(403);
    expect((await api.request({ method: 'POST', url: '/api/v1/products', body })).status).toBe(401);
    const product = await createProduct(api, admin);
    expect(
      (await api.request({ method: 'PATCH', url: `/api/v1/products/${product.id}`, token: customer, body: { name: 'y' } })).status,
    ).toBe(403);
    expect((await api.request({ method: 'DELETE', url: `/api/v1/products/${product.id}`, token: customer })).status).toBe(403);
  });

  it('rejects bad input with 400 and never 500', async () => {
    for (const body of [
      { sku: 'A', name: 'n', priceCents: -1, stock: 1 },
      { sku: 'A', name: 'n', priceCents: 1.5, stock: 1 },
      { sku: 'A', name: 'n', priceCents: 1e20, stock: 1 },
      { sku: 'A', name: 'n', priceCents: '12', stock: 1 },
      { sku: '', name: 'n', priceCents: 1, stock: 1 },
      { sku: 'A', name: 'n', priceCents: 1, stock: 1, currency: 'EUR' },
    ]) {
      expect((await api.request({ method: 'POST', url: '/api/v1/products', token: admin, body })).status, JSON.stringify(body)).toBe(400);
    }
    for (const url of [
      '/api/v1/products/not-a-uuid',
      '/api/v1/products?limit=0',
      '/api/v1/products?cursor=zzz',
      `/api/v1/products?q=${'x'.repeat(101)}`,
    ]) {
      expect((await api.request({ url })).status, url).toBe(400);
    }
  });

  it('GET /products/:id is public; a soft-deleted product is 404 for everyone but admins', async () => {
    const product = await createProduct(api, admin);
    expect((await api.request({ url: `/api/v1/products/${product.id}` })).status).toBe(200);
    expect((await api.request({ method: 'DELETE', url: `/api/v1/products/${product.id}`, token: admin })).status).toBe(204);
    expect((await api.request({ url: `/api/v1/products/${product.id}` })).status).toBe(404);
    expect((await other.request({ url: `/api/v1/products/${product.id}`, token: customer })).status).toBe(404);
    const asAdmin = await other.request({ url: `/api/v1/products/${product.id}`, token: admin });
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.active).toBe(false);
    // The admin's view must not leak to the public through the cache.
    expect((await other.request({ url: `/api/v1/products/${product.id}` })).status).toBe(404);
    expect((await api.request({ url: '/api/v1/products/00000000-0000-4000-8000-000000000000' })).status).toBe(404);
  });

  it('shows a write at once through the other instance, cache warm', async () => {
    const product = await createProduct(api, admin, { name: 'Before', priceCents: 100 });
    expect((await other.request({ url: `/api/v1/products/${product.id}` })).body.name).toBe('Before');
    expect((await other.request({ url: `/api/v1/products/${product.id}` })).body.name).toBe('Before');
    const listBefore = await other.request({ url: '/api/v1/products?q=before' });
    expect(listBefore.body.data.map((item: { id: string }) => item.id)).toContain(product.id);

    const patch = await api.request({
      method: 'PATCH',
      url: `/api/v1/products/${product.id}`,
      token: admin,
      body: { name: 'After', priceCents: 200 },
    });
    expect(patch.status).toBe(200);
    const read = await other.request({ url: `/api/v1/products/${product.id}` });
    expect(read.body).toMatchObject({ name: 'After', priceCents: 200 });
    const listAfter = await other.request({ url: '/api/v1/products?q=before' });
    expect(listAfter.body.data.map((item: { id: string }) => item.id)).not.toContain(product.id);
  });

  it('lists active products newest first, searches names case-insensitively and pages with a cursor', async () => {
    const marker = `Zebra${Date.now()}`;
    const made = [];
    for (let i = 0; i < 3; i += 1) made.push(await createProduct(api, admin, { name: `${marker} lamp ${i}` }));
    const hidden = await createProduct(api, admin, { name: `${marker} hidden` });
    await api.request({ method: 'DELETE', url: `/api/v1/products/${hidden.id}`, token: admin });
    const first = await api.request({ url: `/api/v1/products?q=${marker.toLowerCase()}&limit=2` });
    expect(first.status).toBe(200);
    expect(first.body.data.map((item: { id: string }) => item.id)).toEqual([made[2].id, made[1].id]);
    const second = await api.request({ url: `/api/v1/products?q=${marker.toUpperCase()}&limit=2&cursor=${first.body.nextCursor}` });
    expect(second.body.data.map((item: { id: string }) => item.id)).toEqual([made[0].id]);
    expect(second.body.nextCursor).toBeNull();
    const wildcard = await api.request({ url: `/api/v1/products?q=${encodeURIComponent('%')}` });
    expect(wildcard.status).toBe(200);
    expect(wildcard.body.data).toHaveLength(0);
  });

  it('documents every product route in OpenAPI', async () => {
    const paths = Object.keys((await api.request({ url: '/docs-json' })).body.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/products',
        '/api/v1/products/{id}',
        '/api/v1/orders',
        '/api/v1/orders/{id}/cancel',
        '/api/v1/payments/webhook',
        '/api/v1/payments',
      ]),
    );
  });
});
