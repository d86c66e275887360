/**
 * A consumer's flow, written as a client developer would against the generated `paths` types.
 * It is not compiled with the project: the test copies it beside the `schema.d.ts` generated from
 * the running app's document and compiles both with `strict` on, so a document that cannot type
 * this code (a missing error body, a wrong property type, an undocumented parameter) fails.
 * Every operation is called, with its common error branches; each call states the status it expects.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import createClient from 'openapi-fetch';
import type { paths } from './schema.js';

export interface FlowOptions {
  baseUrl: string;
  fetch: (request: Request) => Promise<Response>;
  admin: { email: string; password: string };
  webhookSecret: string;
}

export async function runFlow(options: FlowOptions): Promise<string[]> {
  const client = createClient<paths>({ baseUrl: options.baseUrl, fetch: options.fetch });
  const steps: string[] = [];
  const expectStatus = (step: string, response: Response, status: number, detail?: string) => {
    if (response.status !== status) throw new Error(`${step}: expected ${status}, got ${response.status} ${detail ?? ''}`);
    steps.push(`${step}: ${status}`);
  };
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const suffix = () => randomBytes(4).toString('hex');

  // Health.
  const live = await client.GET('/health/live');
  expectStatus('live', live.response, 200);
  if (live.data?.status !== 'ok') throw new Error('live: status is not ok');
  const ready = await client.GET('/health/ready');
  expectStatus('ready', ready.response, 200, ready.error?.detail);

  // Auth.
  const email = `consumer-${suffix()}@example.com`;
  const registered = await client.POST('/api/v1/auth/register', { body: { email, password: 'correct horse battery', name: 'Consumer' } });
  expectStatus('register', registered.response, 201, registered.error?.detail);
  if (!registered.data) throw new Error('register: no body');
  const userId: string = registered.data.user.id;
  let token: string = registered.data.accessToken;

  const duplicate = await client.POST('/api/v1/auth/register', { body: { email, password: 'correct horse battery', name: 'Again' } });
  expectStatus('register duplicate', duplicate.response, 409);
  const duplicateDetail: string | undefined = duplicate.error?.detail;
  if (!duplicateDetail) throw new Error('register duplicate: no detail');

  const invalid = await client.POST('/api/v1/auth/register', { body: { email: 'not-an-email', password: 'short', name: 'X' } });
  expectStatus('register invalid', invalid.response, 400);
  const fields = (invalid.error?.errors ?? []).map((error) => error.field);
  if (!fields.includes('email')) throw new Error(`register invalid: errors name ${fields.join(', ')}`);

  const badLogin = await client.POST('/api/v1/auth/login', { body: { email, password: 'wrong password' } });
  expectStatus('login wrong password', badLogin.response, 401, badLogin.error?.detail);
  const login = await client.POST('/api/v1/auth/login', { body: { email, password: 'correct horse battery' } });
  expectStatus('login', login.response, 200, login.error?.detail);
  if (!login.data) throw new Error('login: no body');

  const refreshed = await client.POST('/api/v1/auth/refresh', { body: { refreshToken: login.data.refreshToken } });
  expectStatus('refresh', refreshed.response, 200, refreshed.error?.detail);
  if (!refreshed.data) throw new Error('refresh: no body');
  token = refreshed.data.accessToken;
  const reused = await client.POST('/api/v1/auth/refresh', { body: { refreshToken: login.data.refreshToken } });
  expectStatus('refresh reused', reused.response, 401, reused.error?.detail);

  const logout = await client.POST('/api/v1/auth/logout', { body: { refreshToken: refreshed.data.refreshToken }, headers: bearer(token) });
  expectStatus('logout', logout.response, 204, logout.error?.detail);
  const logoutAnonymous = await client.POST('/api/v1/auth/logout', { body: { refreshToken: 'x' } });
  expectStatus('logout without token', logoutAnonymous.response, 401, logoutAnonymous.error?.detail);

  const forgot = await client.POST('/api/v1/auth/password/forgot', { body: { email } });
  expectStatus('forgot', forgot.response, 202, forgot.error?.detail);
  const reset = await client.POST('/api/v1/auth/password/reset', {
    body: { token: 'not-a-real-token', password: 'another good password' },
  });
  expectStatus('reset with unknown token', reset.response, 400, reset.error?.detail);

  // Users.
  const me = await client.GET('/api/v1/users/me', { headers: bearer(token) });
  expectStatus('me', me.response, 200, me.error?.detail);
  if (me.data?.id !== userId) throw new Error('me: another user');
  const anonymous = await client.GET('/api/v1/users/me');
  expectStatus('me anonymous', anonymous.response, 401, anonymous.error?.detail);
  const renamed = await client.PATCH('/api/v1/users/me', { body: { name: 'Renamed' }, headers: bearer(token) });
  expectStatus('patch me', renamed.response, 200, renamed.error?.detail);

  const adminLogin = await client.POST('/api/v1/auth/login', { body: options.admin });
  expectStatus('admin login', adminLogin.response, 200, adminLogin.error?.detail);
  if (!adminLogin.data) throw new Error('admin login: no body');
  const admin = bearer(adminLogin.data.accessToken);

  const users = await client.GET('/api/v1/users', { params: { query: { limit: 2 } }, headers: admin });
  expectStatus('list users', users.response, 200, users.error?.detail);
  if (users.data?.nextCursor) {
    const next = await client.GET('/api/v1/users', { params: { query: { limit: 2, cursor: users.data.nextCursor } }, headers: admin });
    expectStatus('list users next page', next.response, 200, next.error?.detail);
  }
  const usersForbidden = await client.GET('/api/v1/users', { headers: bearer(token) });
  expectStatus('list users as customer', usersForbidden.response, 403, usersForbidden.error?.detail);
  const user = await client.GET('/api/v1/users/{id}', { params: { path: { id: userId } }, headers: admin });
  expectStatus('get user', user.response, 200, user.error?.detail);
  const noUser = await client.GET('/api/v1/users/{id}', { params: { path: { id: randomUUID() } }, headers: admin });
  expectStatus('get unknown user', noUser.response, 404, noUser.error?.detail);
  const badId = await client.GET('/api/v1/users/{id}', { params: { path: { id: 'not-a-uuid' } }, headers: admin });
  expectStatus('get user with a malformed id', badId.response, 400, badId.error?.detail);

  // Products.
  const sku = `SKU-${suffix()}`;
  const created = await client.POST('/api/v1/products', { body: { sku, name: 'Mug', priceCents: 1250, stock: 10 }, headers: admin });
  expectStatus('create product', created.response, 201, created.error?.detail);
  if (!created.data) throw new Error('create product: no body');
  const productId: string = created.data.id;
  const priceCents: number = created.data.priceCents;
  const skuTaken = await client.POST('/api/v1/products', { body: { sku, name: 'Mug', priceCents: 1250, stock: 10 }, headers: admin });
  expectStatus('create product with a taken sku', skuTaken.response, 409, skuTaken.error?.detail);
  const asCustomer = await client.POST('/api/v1/products', {
    body: { sku: `SKU-${suffix()}`, name: 'Mug', priceCents: 1, stock: 1 },
    headers: bearer(token),
  });
  expectStatus('create product as customer', asCustomer.response, 403, asCustomer.error?.detail);

  const products = await client.GET('/api/v1/products', { params: { query: { limit: 5, q: 'Mug' } } });
  expectStatus('list products', products.response, 200, products.error?.detail);
  const product = await client.GET('/api/v1/products/{id}', { params: { path: { id: productId } } });
  expectStatus('get product', product.response, 200, product.error?.detail);
  const etag = product.response.headers.get('ETag');
  if (!etag) throw new Error('get product: no ETag');
  const notModified = await client.GET('/api/v1/products/{id}', { params: { path: { id: productId }, header: { 'If-None-Match': etag } } });
  expectStatus('get product not modified', notModified.response, 304);
  const noProduct = await client.GET('/api/v1/products/{id}', { params: { path: { id: randomUUID() } } });
  expectStatus('get unknown product', noProduct.response, 404, noProduct.error?.detail);

  const updated = await client.PATCH('/api/v1/products/{id}', {
    params: { path: { id: productId }, header: { 'If-Match': etag } },
    body: { stock: 20 },
    headers: admin,
  });
  expectStatus('update product', updated.response, 200, updated.error?.detail);
  const stale = await client.PATCH('/api/v1/products/{id}', {
    params: { path: { id: productId }, header: { 'If-Match': etag } },
    body: { stock: 30 },
    headers: admin,
  });
  expectStatus('update product with a stale ETag', stale.response, 412, stale.error?.detail);

  const doomed = await client.POST('/api/v1/products', {
    body: { sku: `SKU-${suffix()}`, name: 'Doomed', priceCents: 100, stock: 1 },
    headers: admin,
  });
  expectStatus('create a product to delete', doomed.response, 201, doomed.error?.detail);
  if (!doomed.data) throw new Error('create product: no body');
  const deleted = await client.DELETE('/api/v1/products/{id}', { params: { path: { id: doomed.data.id } }, headers: admin });
  expectStatus('delete product', deleted.response, 204, deleted.error?.detail);
  const deletedAgain = await client.DELETE('/api/v1/products/{id}', { params: { path: { id: doomed.data.id } }, headers: admin });
  expectStatus('delete product again (idempotent)', deletedAgain.response, 204, deletedAgain.error?.detail);
  const gone = await client.GET('/api/v1/products/{id}', { params: { path: { id: doomed.data.id } } });
  expectStatus('get a deleted product', gone.response, 404, gone.error?.detail);

  // Orders.
  const key = randomUUID();
  const orderBody = { items: [{ productId, quantity: 2 }] };
  const order = await client.POST('/api/v1/orders', {
    params: { header: { 'Idempotency-Key': key } },
    body: orderBody,
    headers: bearer(token),
  });
  expectStatus('create order', order.response, 201, order.error?.detail);
  if (!order.data) throw new Error('create order: no body');
  const orderId: string = order.data.id;
  const totalCents: number = order.data.totalCents;
  if (totalCents !== priceCents * 2) throw new Error(`create order: total ${totalCents}`);
  const replay = await client.POST('/api/v1/orders', {
    params: { header: { 'Idempotency-Key': key } },
    body: orderBody,
    headers: bearer(token),
  });
  expectStatus('create order replayed', replay.response, 201, replay.error?.detail);
  if (replay.response.headers.get('Idempotent-Replayed') !== 'true') throw new Error('create order replayed: no Idempotent-Replayed');
  const keyReused = await client.POST('/api/v1/orders', {
    params: { header: { 'Idempotency-Key': key } },
    body: { items: [{ productId, quantity: 1 }] },
    headers: bearer(token),
  });
  expectStatus('create order with a reused key', keyReused.response, 422, keyReused.error?.detail);
  const tooMany = await client.POST('/api/v1/orders', { body: { items: [{ productId, quantity: 1000 }] }, headers: bearer(token) });
  expectStatus('create order beyond stock', tooMany.response, 409, tooMany.error?.detail);
  const badOrder = await client.POST('/api/v1/orders', { body: { items: [{ productId, quantity: 0 }] }, headers: bearer(token) });
  expectStatus('create order with quantity 0', badOrder.response, 400, badOrder.error?.detail);
  if (!badOrder.error?.errors?.some((error) => error.field.startsWith('items')))
    throw new Error('create order with quantity 0: no items error');

  const orders = await client.GET('/api/v1/orders', { params: { query: { limit: 10, status: 'pending' } }, headers: bearer(token) });
  expectStatus('list orders', orders.response, 200, orders.error?.detail);
  const allOrders = await client.GET('/api/v1/orders', { params: { query: { userId } }, headers: admin });
  expectStatus('list orders of a user', allOrders.response, 200, allOrders.error?.detail);
  const gotOrder = await client.GET('/api/v1/orders/{id}', { params: { path: { id: orderId } }, headers: bearer(token) });
  expectStatus('get order', gotOrder.response, 200, gotOrder.error?.detail);
  const noOrder = await client.GET('/api/v1/orders/{id}', { params: { path: { id: randomUUID() } }, headers: bearer(token) });
  expectStatus('get unknown order', noOrder.response, 404, noOrder.error?.detail);
  const shipUnpaid = await client.POST('/api/v1/orders/{id}/ship', { params: { path: { id: orderId } }, headers: admin });
  expectStatus('ship an unpaid order', shipUnpaid.response, 409, shipUnpaid.error?.detail);
  const shipAsCustomer = await client.POST('/api/v1/orders/{id}/ship', { params: { path: { id: orderId } }, headers: bearer(token) });
  expectStatus('ship as customer', shipAsCustomer.response, 403, shipAsCustomer.error?.detail);

  // Payments: a signed webhook pays the order; a bad signature is refused.
  const deliver = (
    event: { eventId: string; type: 'payment.succeeded' | 'payment.failed'; orderId: string; amountCents: number },
    signature?: string,
  ) =>
    client.POST('/api/v1/payments/webhook', {
      body: event,
      params: {
        header: {
          'X-Signature': signature ?? `sha256=${createHmac('sha256', options.webhookSecret).update(JSON.stringify(event)).digest('hex')}`,
        },
      },
    });
  const unsigned = await deliver(
    { eventId: `evt-${suffix()}`, type: 'payment.succeeded', orderId, amountCents: totalCents },
    `sha256=${'0'.repeat(64)}`,
  );
  expectStatus('webhook with a bad signature', unsigned.response, 401, unsigned.error?.detail);
  const paid = await deliver({ eventId: `evt-${suffix()}`, type: 'payment.succeeded', orderId, amountCents: totalCents });
  expectStatus('webhook payment', paid.response, 200, paid.error?.detail);
  if (paid.data?.outcome !== 'applied') throw new Error(`webhook payment: ${paid.data?.outcome}`);
  const ledger = await client.GET('/api/v1/payments', { params: { query: { orderId, outcome: 'applied' } }, headers: admin });
  expectStatus('payment ledger', ledger.response, 200, ledger.error?.detail);
  const ledgerForbidden = await client.GET('/api/v1/payments', { headers: bearer(token) });
  expectStatus('payment ledger as customer', ledgerForbidden.response, 403, ledgerForbidden.error?.detail);

  const shipped = await client.POST('/api/v1/orders/{id}/ship', { params: { path: { id: orderId } }, headers: admin });
  expectStatus('ship', shipped.response, 200, shipped.error?.detail);
  const cancelShipped = await client.POST('/api/v1/orders/{id}/cancel', { params: { path: { id: orderId } }, headers: bearer(token) });
  expectStatus('cancel a shipped order', cancelShipped.response, 409, cancelShipped.error?.detail);

  const second = await client.POST('/api/v1/orders', { body: { items: [{ productId, quantity: 1 }] }, headers: bearer(token) });
  expectStatus('create a second order', second.response, 201, second.error?.detail);
  if (!second.data) throw new Error('create order: no body');
  const cancelled = await client.POST('/api/v1/orders/{id}/cancel', { params: { path: { id: second.data.id } }, headers: bearer(token) });
  expectStatus('cancel', cancelled.response, 200, cancelled.error?.detail);
  if (cancelled.data?.status !== 'cancelled') throw new Error('cancel: not cancelled');

  return steps;
}
