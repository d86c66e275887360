import * as argon2 from 'argon2';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { databaseOptions } from '../src/shared/database/database-options';
import { migrations } from '../src/shared/database/migrations';
import { Accounts1764040000000 } from '../src/shared/database/migrations/1764040000000-accounts';
import { OutboxAndPasswordResets1764040100000 } from '../src/shared/database/migrations/1764040100000-outbox-and-password-resets';
import { Commerce1764040200000 } from '../src/shared/database/migrations/1764040200000-commerce';
import { runMigrations } from '../src/shared/database/run-migrations';
import { startApp, TestApp, uniqueRedisPrefix } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';

/** What v1 shipped: a database "migrated to today's schema" has exactly these applied. */
const V1_MIGRATIONS = [Accounts1764040000000, OutboxAndPasswordResets1764040100000, Commerce1764040200000];
const SECRET = 'upgrade-webhook-secret-for-tests';
const PASSWORD = 'a v1 password that still works';

type Row = Record<string, unknown>;

/** JSON with sorted keys: how both v1 and v2 hash an idempotent request (src/shared/idempotency). */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
const orderRequestHash = (body: unknown) =>
  createHash('sha256')
    .update(`POST /api/v1/orders\n{}\n${canonicalJson(body)}`)
    .digest('hex');

const omit = (row: Row, ...columns: string[]) => Object.fromEntries(Object.entries(row).filter(([column]) => !columns.includes(column)));
const without = (rows: Row[], ...columns: string[]) => rows.map((row) => omit(row, ...columns));

describe('Upgrading a v1 database that holds data', () => {
  let database: TestDatabase;
  let db: DataSource;
  let api: TestApp | undefined;

  /** Every row of a table as JSON, in a stable order: what "intact" is compared on. */
  const snapshot = async (table: string, orderBy: string): Promise<Row[]> =>
    ((await db.query(`SELECT to_jsonb(t) AS row FROM ${table} t ORDER BY ${orderBy}`)) as { row: Row }[]).map(({ row }) => row);
  const count = async (table: string) => ((await db.query(`SELECT count(*)::int AS n FROM ${table}`)) as { n: number }[])[0].n;
  const columnsOf = async (table: string) =>
    Object.fromEntries(
      (
        (await db.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1`, [table])) as {
          column_name: string;
          data_type: string;
        }[]
      ).map((column) => [column.column_name, column.data_type]),
    );

  const ids = {
    admin: randomUUID(),
    customer: randomUUID(),
    mug: randomUUID(),
    pen: randomUUID(),
    retired: randomUUID(),
    pendingOrder: randomUUID(),
    paidOrder: randomUUID(),
    cancelledOrder: randomUUID(),
  };
  const users = {
    admin: { email: 'v1-admin@orderly.test', name: 'V1 Admin' },
    customer: { email: 'v1-customer@orderly.test', name: 'V1 Customer' },
  };
  const succeededEvent = { eventId: 'evt-v1-succeeded', type: 'payment.succeeded', orderId: ids.paidOrder, amountCents: 5050 };
  const failedEvent = { eventId: 'evt-v1-failed', type: 'payment.failed', orderId: ids.paidOrder, amountCents: 5050 };
  /** The request the completed key answered, and what v1 stored for it (jsonb). */
  const completedRequest = {
    items: [
      { productId: ids.mug, quantity: 1 },
      { productId: ids.pen, quantity: 2 },
    ],
  };
  const completedResponse = {
    id: ids.paidOrder,
    userId: ids.customer,
    status: 'pending',
    items: [
      { productId: ids.mug, sku: 'V1-MUG', name: 'Enamel mug', unitPriceCents: 1250, quantity: 1, lineTotalCents: 1250 },
      { productId: ids.pen, sku: 'V1-PEN', name: 'Fountain pen "Ünïcode"', unitPriceCents: 1900, quantity: 2, lineTotalCents: 3800 },
    ],
    totalCents: 5050,
    currency: 'EUR',
    createdAt: '2026-03-01T10:00:00.000Z',
    updatedAt: '2026-03-01T10:00:00.000Z',
    paidAt: null,
  };
  /** A request whose process died in v1 before it stored a response (its order was never created). */
  const inFlightRequest = { items: [{ productId: ids.pen, quantity: 1 }] };

  /** v1's rows as they were, before the upgrade. */
  const before: Record<string, Row[]> = {};
  const tables: [string, string][] = [
    ['users', 'id'],
    ['refresh_tokens', 'id'],
    ['password_reset_tokens', 'id'],
    ['outbox', 'id'],
    ['products', 'id'],
    ['orders', 'id'],
    ['order_items', 'order_id, position'],
  ];

  async function seedV1(v1: DataSource) {
    const passwordHash = await argon2.hash(PASSWORD);
    await v1.query(
      `INSERT INTO users (id, email, name, password_hash, role, created_at, updated_at) VALUES
         ($1, $2, $3, $7, 'admin', '2026-01-05T09:00:00.000Z', '2026-01-05T09:00:00.000Z'),
         ($4, $5, $6, $7, 'customer', '2026-02-10T12:30:00.123Z', '2026-02-11T08:00:00.456Z')`,
      [ids.admin, users.admin.email, users.admin.name, ids.customer, users.customer.email, users.customer.name, passwordHash],
    );
    await v1.query(
      `INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, now() + interval '30 days')`,
      [ids.customer, randomUUID(), createHash('sha256').update('a v1 refresh token').digest('hex')],
    );
    await v1.query(
      `INSERT INTO password_reset_tokens (user_id, token_hash, expires_at, used_at) VALUES ($1, $2, now() - interval '1 day', now() - interval '2 days')`,
      [ids.customer, createHash('sha256').update('a v1 reset token').digest('hex')],
    );
    await v1.query(
      `INSERT INTO products (id, sku, name, description, price_cents, currency, stock, active, created_at, updated_at) VALUES
         ($1, 'V1-MUG', 'Enamel mug', 'Holds 350 ml.', 1250, 'EUR', 40, true, '2026-01-10T10:00:00.000Z', '2026-02-01T10:00:00.000Z'),
         ($2, 'V1-PEN', 'Fountain pen "Ünïcode"', '', 1900, 'EUR', 7, true, '2026-01-11T10:00:00.000Z', '2026-01-11T10:00:00.000Z'),
         ($3, 'V1-OLD', 'Retired lamp', 'No longer sold.', 4999, 'EUR', 0, false, '2026-01-12T10:00:00.000Z', '2026-01-20T10:00:00.000Z')`,
      [ids.mug, ids.pen, ids.retired],
    );
    // Pending is recent, so the expiry sweep would not touch it while the upgraded app runs.
    await v1.query(
      `INSERT INTO orders (id, user_id, status, total_cents, currency, created_at, updated_at, paid_at) VALUES
         ($1, $4, 'pending', 2500, 'EUR', now(), now(), NULL),
         ($2, $4, 'paid', 5050, 'EUR', '2026-03-01T10:00:00.000Z', '2026-03-01T10:02:00.000Z', '2026-03-01T10:02:00.000Z'),
         ($3, $4, 'cancelled', 1900, 'EUR', '2026-03-02T10:00:00.000Z', '2026-03-02T11:00:00.000Z', NULL)`,
      [ids.pendingOrder, ids.paidOrder, ids.cancelledOrder, ids.customer],
    );
    await v1.query(
      `INSERT INTO order_items (order_id, position, product_id, sku, name, unit_price_cents, quantity, line_total_cents) VALUES
         ($1, 0, $4, 'V1-MUG', 'Enamel mug', 1250, 2, 2500),
         ($2, 0, $4, 'V1-MUG', 'Enamel mug', 1250, 1, 1250),
         ($2, 1, $5, 'V1-PEN', 'Fountain pen "Ünïcode"', 1900, 2, 3800),
         ($3, 0, $5, 'V1-PEN', 'Fountain pen "Ünïcode"', 1900, 1, 1900)`,
      [ids.pendingOrder, ids.paidOrder, ids.cancelledOrder, ids.mug, ids.pen],
    );
    // v1 recorded every event it processed: a failed attempt first, then the payment that paid the order.
    await v1.query(
      `INSERT INTO payment_events (event_id, type, order_id, amount_cents, received_at) VALUES
         ($1, $2, $3, $4, '2026-03-01T10:01:00.250Z'),
         ($5, $6, $7, $8, '2026-03-01T10:02:00.500Z')`,
      [
        failedEvent.eventId,
        failedEvent.type,
        failedEvent.orderId,
        failedEvent.amountCents,
        succeededEvent.eventId,
        succeededEvent.type,
        succeededEvent.orderId,
        succeededEvent.amountCents,
      ],
    );
    await v1.query(
      `INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body, created_at) VALUES
         ($1, 'v1-completed', $2, 201, $3::jsonb, now() - interval '1 hour'),
         ($1, 'v1-in-flight', $4, NULL, NULL, now() - interval '10 minutes')`,
      [ids.customer, orderRequestHash(completedRequest), JSON.stringify(completedResponse), orderRequestHash(inFlightRequest)],
    );
    await v1.query(
      `INSERT INTO outbox (queue, name, payload, status, attempts, enqueued_at, completed_at, created_at) VALUES
         ('mail', 'order-confirmation-mail', '{}'::jsonb, 'done', 1, '2026-03-01T10:02:01Z', '2026-03-01T10:02:03Z', '2026-03-01T10:02:00Z')`,
    );
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    const v1 = await new DataSource({ ...databaseOptions({ url: database.url, poolSize: 1 }), migrations: V1_MIGRATIONS }).initialize();
    try {
      expect((await runMigrations(v1)).map((migration) => migration.name)).toEqual(V1_MIGRATIONS.map((migration) => migration.name));
      await seedV1(v1);
    } finally {
      await v1.destroy();
    }
    db = await new DataSource(databaseOptions({ url: database.url, poolSize: 2 })).initialize();
    for (const [table, orderBy] of tables) before[table] = await snapshot(table, orderBy);
    before.payment_events = await snapshot('payment_events', 'received_at');
    before.idempotency_keys = await snapshot('idempotency_keys', 'key');
  });

  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await database?.drop();
  });

  describe('migrating to v2', () => {
    it('applies the new migrations, and only those', async () => {
      expect(migrations.slice(0, V1_MIGRATIONS.length)).toEqual(V1_MIGRATIONS);
      const applied = await runMigrations(db);
      expect(applied.map((migration) => migration.name)).toEqual([
        'PaymentsLedger1764040300000',
        'ProductVersionsAndReplayableResponses1764040400000',
        'OutboxUnfinishedIndex1764040500000',
        'OutboxTraceContext1764040700000',
      ]);
    });

    it('keeps users, tokens, outbox, orders and their items exactly as they were', async () => {
      for (const [table, orderBy] of tables) {
        if (table === 'products') continue;
        // v1 rows were recorded untraced: the trace context column arrives empty.
        const expected = table === 'outbox' ? before.outbox.map((row) => ({ ...row, trace_context: null })) : before[table];
        expect(await snapshot(table, orderBy), table).toEqual(expected);
      }
      expect(before.orders.map((order) => order.status)).toEqual(expect.arrayContaining(['pending', 'paid', 'cancelled']));
      expect(await count('order_items')).toBe(4);
    });

    it('keeps every product field, and every product starts at version 1', async () => {
      const products = await snapshot('products', 'id');
      expect(products).toHaveLength(3);
      expect(products.map((product) => product.version)).toEqual([1, 1, 1]);
      expect(without(products, 'version')).toEqual(before.products);
    });

    it('turns the payment events into ledger entries: same event ids, times and amounts, outcomes from v1’s meaning', async () => {
      expect(await db.query(`SELECT to_regclass('payment_events') AS t`)).toEqual([{ t: null }]);
      const ledger = await snapshot('payment_ledger', 'created_at');
      expect(ledger).toHaveLength(2);
      expect(without(ledger, 'id')).toEqual([
        {
          ...omit(before.payment_events[0], 'received_at'),
          created_at: before.payment_events[0].received_at,
          outcome: 'ignored',
          reason: null,
        },
        {
          ...omit(before.payment_events[1], 'received_at'),
          created_at: before.payment_events[1].received_at,
          outcome: 'applied',
          reason: null,
        },
      ]);
      expect(ledger[0]).toMatchObject({ event_id: failedEvent.eventId, type: 'payment.failed' });
      expect(ledger[1]).toMatchObject({ event_id: succeededEvent.eventId, type: 'payment.succeeded' });
      for (const entry of ledger) expect(entry.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(ledger[0].id).not.toBe(ledger[1].id);
      expect(await count('payment_refunds')).toBe(0);
    });

    it('keeps the idempotency keys: the stored response as text of the same JSON, the one in flight as it was', async () => {
      const keys = (await db.query(
        `SELECT key, user_id, request_hash, response_status, response_body, to_jsonb(created_at) AS created_at
         FROM idempotency_keys ORDER BY key`,
      )) as Row[];
      expect((await columnsOf('idempotency_keys')).response_body).toBe('text');
      expect(keys).toHaveLength(2);
      const [completed, inFlight] = keys;
      const [completedBefore, inFlightBefore] = before.idempotency_keys;
      expect(completed).toMatchObject({
        key: 'v1-completed',
        user_id: ids.customer,
        request_hash: completedBefore.request_hash,
        response_status: 201,
        created_at: completedBefore.created_at,
      });
      expect(typeof completed.response_body).toBe('string');
      expect(JSON.parse(completed.response_body as string)).toEqual(completedResponse);
      expect(inFlight).toMatchObject({
        key: 'v1-in-flight',
        user_id: ids.customer,
        request_hash: inFlightBefore.request_hash,
        response_status: null,
        response_body: null,
        created_at: inFlightBefore.created_at,
      });
    });

    it('a product UPDATE now raises the version and updated_at (the trigger is in place on old rows)', async () => {
      const runner = db.createQueryRunner();
      await runner.startTransaction();
      try {
        const [[updated]] = (await runner.query(`UPDATE products SET stock = stock WHERE id = $1 RETURNING version, updated_at`, [
          ids.retired,
        ])) as [{ version: number; updated_at: Date }[], number];
        expect(updated.version).toBe(2);
        expect(updated.updated_at.getTime()).toBeGreaterThan(new Date('2026-01-20T10:00:00.000Z').getTime());
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
      expect(await snapshot('products', 'id')).toEqual(before.products.map((product) => ({ ...product, version: 1 })));
    });
  });

  describe('the v2 application on the upgraded database', () => {
    let admin: string;
    let customer: string;

    const sign = (raw: string) => `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
    const deliver = (event: object) => {
      const raw = JSON.stringify(event);
      return api!.request({
        method: 'POST',
        url: '/api/v1/payments/webhook',
        body: raw,
        headers: { 'content-type': 'application/json', 'x-signature': sign(raw) },
      });
    };
    const login = async (email: string) => {
      const response = await api!.request({ method: 'POST', url: '/api/v1/auth/login', body: { email, password: PASSWORD } });
      expect(response.status).toBe(200);
      return response.body.accessToken as string;
    };

    beforeAll(async () => {
      api = await startApp({
        DATABASE_URL: database.url,
        REDIS_PREFIX: uniqueRedisPrefix(),
        PAYMENT_WEBHOOK_SECRET: SECRET,
        ORDER_SWEEP_INTERVAL_MS: '3600000',
      });
    });

    it('boots with nothing left to migrate, on a schema that is exactly what the entities describe', async () => {
      const dataSource = api!.app.get(DataSource);
      expect(await dataSource.showMigrations()).toBe(false);
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);
    });

    it('v1 users log in with their v1 passwords and keep their roles', async () => {
      admin = await login(users.admin.email);
      customer = await login(users.customer.email);
      const me = await api!.request({ url: '/api/v1/users/me', token: admin });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: ids.admin, email: users.admin.email, role: 'admin' });
    });

    it('serves a migrated product with ETag "1"; If-None-Match "1" is a 304; a PATCH moves it to "2"', async () => {
      const read = await api!.request({ url: `/api/v1/products/${ids.mug}`, token: admin });
      expect(read.status).toBe(200);
      expect(read.headers.etag).toBe('"1"');
      expect(read.body).toMatchObject({
        id: ids.mug,
        sku: 'V1-MUG',
        name: 'Enamel mug',
        description: 'Holds 350 ml.',
        priceCents: 1250,
        stock: 40,
      });

      const revalidated = await api!.request({ url: `/api/v1/products/${ids.mug}`, token: admin, headers: { 'if-none-match': '"1"' } });
      expect(revalidated.status).toBe(304);

      const patched = await api!.request({
        method: 'PATCH',
        url: `/api/v1/products/${ids.mug}`,
        token: admin,
        body: { stock: 45 },
        headers: { 'if-match': '"1"' },
      });
      expect(patched.status).toBe(200);
      expect(patched.headers.etag).toBe('"2"');
      expect(patched.body).toMatchObject({ id: ids.mug, stock: 45, priceCents: 1250 });

      const reread = await api!.request({ url: `/api/v1/products/${ids.mug}`, token: admin });
      expect(reread.headers.etag).toBe('"2"');
      expect(reread.body.stock).toBe(45);
    });

    it('shows the migrated paid order and its payments in the ledger, newest first', async () => {
      const order = await api!.request({ url: `/api/v1/orders/${ids.paidOrder}`, token: customer });
      expect(order.status).toBe(200);
      expect(order.body).toMatchObject({ id: ids.paidOrder, status: 'paid', totalCents: 5050, paidAt: '2026-03-01T10:02:00.000Z' });
      expect(order.body.items).toEqual(completedResponse.items);

      const ledger = await api!.request({ url: `/api/v1/payments?orderId=${ids.paidOrder}`, token: admin });
      expect(ledger.status).toBe(200);
      expect(ledger.body.data).toEqual([
        {
          id: expect.any(String),
          eventId: succeededEvent.eventId,
          orderId: ids.paidOrder,
          type: 'payment.succeeded',
          amountCents: 5050,
          outcome: 'applied',
          reason: null,
          createdAt: '2026-03-01T10:02:00.500Z',
        },
        {
          id: expect.any(String),
          eventId: failedEvent.eventId,
          orderId: ids.paidOrder,
          type: 'payment.failed',
          amountCents: 5050,
          outcome: 'ignored',
          reason: null,
          createdAt: '2026-03-01T10:01:00.250Z',
        },
      ]);
    });

    it('answers a redelivered v1 event as a duplicate, and changes nothing', async () => {
      const redelivered = await deliver(succeededEvent);
      expect(redelivered.status).toBe(200);
      expect(redelivered.body).toEqual({ status: 'duplicate', outcome: 'applied', reason: null });
      const failedAgain = await deliver(failedEvent);
      expect(failedAgain.body).toEqual({ status: 'duplicate', outcome: 'ignored', reason: null });
      expect(await count('payment_ledger')).toBe(2);
    });

    it('pays a migrated pending order with a new event, recorded next to the old ones', async () => {
      const paid = await deliver({ eventId: 'evt-v2-first', type: 'payment.succeeded', orderId: ids.pendingOrder, amountCents: 2500 });
      expect(paid.body).toEqual({ status: 'processed', outcome: 'applied', reason: null });
      const order = await api!.request({ url: `/api/v1/orders/${ids.pendingOrder}`, token: customer });
      expect(order.body.status).toBe('paid');
    });

    it('records a late payment for the migrated cancelled order as a refund owed', async () => {
      const late = await deliver({ eventId: 'evt-v2-late', type: 'payment.succeeded', orderId: ids.cancelledOrder, amountCents: 1900 });
      expect(late.body).toEqual({ status: 'processed', outcome: 'refund_due', reason: 'order_cancelled' });
      const owed = await api!.request({ url: '/api/v1/payments?outcome=refund_due', token: admin });
      expect(owed.body.data).toEqual([expect.objectContaining({ eventId: 'evt-v2-late', orderId: ids.cancelledOrder })]);
    });

    it('replays the response v1 stored for a completed Idempotency-Key', async () => {
      const replay = await api!.request({
        method: 'POST',
        url: '/api/v1/orders',
        token: customer,
        body: completedRequest,
        headers: { 'idempotency-key': 'v1-completed' },
      });
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(completedResponse);
      expect(await count('orders')).toBe(3);
    });

    it('lets a retry take over the key v1 left in flight: one new order, then replays', async () => {
      const retry = () =>
        api!.request({
          method: 'POST',
          url: '/api/v1/orders',
          token: customer,
          body: inFlightRequest,
          headers: { 'idempotency-key': 'v1-in-flight' },
        });
      const first = await retry();
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ userId: ids.customer, status: 'pending', totalCents: 1900 });
      const again = await retry();
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await count('orders')).toBe(4);
    });
  });

  describe('down to v1 and up again', () => {
    const v2Tables = ['users', 'refresh_tokens', 'password_reset_tokens', 'outbox', 'orders', 'order_items'] as const;
    const beforeRoundTrip: Record<string, Row[]> = {};

    beforeAll(async () => {
      await api?.close();
      api = undefined;
      for (const table of v2Tables) beforeRoundTrip[table] = await snapshot(table, tables.find(([name]) => name === table)![1]);
      beforeRoundTrip.products = await snapshot('products', 'id');
      // The store's own kind of entry (no provider event id) must survive too.
      await db.query(
        `INSERT INTO payment_ledger (event_id, type, order_id, amount_cents, outcome, reason)
         VALUES (NULL, 'order.cancelled', $1, 1, 'refund_due', 'paid_order_cancelled')`,
        [ids.paidOrder],
      );
      // An operator recorded a refund made for a refund owed: that record must survive too.
      await db.query(
        `INSERT INTO payment_refunds (ledger_entry_id, provider_reference) SELECT id, 're_123' FROM payment_ledger WHERE outcome = 'refund_due' AND event_id IS NOT NULL`,
      );
      beforeRoundTrip.payment_ledger = await snapshot('payment_ledger', 'created_at');
      beforeRoundTrip.payment_refunds = await snapshot('payment_refunds', 'ledger_entry_id');
      beforeRoundTrip.idempotency_keys = await snapshot('idempotency_keys', 'key');
    });

    it('goes back to v1’s schema with the data in it', async () => {
      await db.undoLastMigration({ transaction: 'each' });
      await db.undoLastMigration({ transaction: 'each' });
      await db.undoLastMigration({ transaction: 'each' });
      await db.undoLastMigration({ transaction: 'each' });
      expect(((await db.query(`SELECT name FROM migrations ORDER BY timestamp`)) as { name: string }[]).map((m) => m.name)).toEqual(
        V1_MIGRATIONS.map((migration) => migration.name),
      );
      expect(await db.query(`SELECT to_regclass('payment_ledger') AS t`)).toEqual([{ t: null }]);
      expect(await columnsOf('products')).not.toHaveProperty('version');
      expect(await columnsOf('idempotency_keys')).toMatchObject({ response_body: 'jsonb' });

      const events = await snapshot('payment_events', 'received_at');
      // The store's own entry carries a stand-in event id while v1's schema needs one.
      expect(events.map((event) => event.event_id)).toEqual(
        beforeRoundTrip.payment_ledger.map((entry) => entry.event_id ?? `order.cancelled:${entry.order_id as string}`),
      );
      expect(without(await snapshot('products', 'id'), 'version')).toEqual(without(beforeRoundTrip.products, 'version'));
      const completed = (await db.query(`SELECT response_body FROM idempotency_keys WHERE key = 'v1-completed'`)) as Row[];
      expect(completed[0].response_body).toEqual(completedResponse);
      // v1's own write still works on what down() left.
      const inserted = (await db.query(
        `INSERT INTO payment_events (event_id, type, order_id, amount_cents) VALUES ('evt-while-down', 'payment.failed', $1, 1)
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
        [randomUUID()],
      )) as Row[];
      expect(inserted).toHaveLength(1);
    });

    it('comes back to v2 with every row, every ledger outcome and every stored response', async () => {
      const applied = await runMigrations(db);
      expect(applied).toHaveLength(4);
      for (const table of v2Tables) {
        expect(await snapshot(table, tables.find(([name]) => name === table)![1]), table).toEqual(beforeRoundTrip[table]);
      }
      expect(without(await snapshot('products', 'id'), 'version')).toEqual(without(beforeRoundTrip.products, 'version'));
      const ledger = await snapshot('payment_ledger', 'created_at');
      expect(ledger.filter((entry) => entry.event_id !== 'evt-while-down')).toEqual(beforeRoundTrip.payment_ledger);
      expect(ledger.find((entry) => entry.event_id === 'evt-while-down')).toMatchObject({ outcome: 'ignored', reason: null });
      expect(await snapshot('payment_refunds', 'ledger_entry_id')).toEqual(beforeRoundTrip.payment_refunds);
      const keys = await snapshot('idempotency_keys', 'key');
      expect(without(keys, 'response_body')).toEqual(without(beforeRoundTrip.idempotency_keys, 'response_body'));
      for (const [index, key] of keys.entries()) {
        const original = beforeRoundTrip.idempotency_keys[index].response_body as string | null;
        expect(key.response_body === null ? null : JSON.parse(key.response_body as string)).toEqual(
          original === null ? null : JSON.parse(original),
        );
      }
    });
  });
});
