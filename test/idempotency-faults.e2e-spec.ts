import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { adminToken, createProduct, register, startApp, TestApp, uniqueRedisPrefix, withAdmin } from './support/app';
import { createTestDatabase, TestDatabase } from './support/database';
import { freePort } from './support/private-redis';
import { apiProcessEnvironment, RunningProcess, startProcess, waitForHttp } from './support/process';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Idempotency-Key under faults: the response commits with the order, and a dead holder's key frees itself. */
describe('Idempotency-Key under faults', () => {
  let database: TestDatabase;
  let sql: Client;
  let api: TestApp;
  let admin: string;
  const variables = () => ({ DATABASE_URL: database.url });

  const countOrders = async (userId: string) =>
    Number((await sql.query(`SELECT count(*) FROM orders WHERE user_id = $1`, [userId])).rows[0].count as string);
  const stockOf = async (productId: string) =>
    (await sql.query(`SELECT stock FROM products WHERE id = $1`, [productId])).rows[0].stock as number;

  beforeAll(async () => {
    database = await createTestDatabase();
    api = await startApp({ ...variables(), REDIS_PREFIX: uniqueRedisPrefix(), ...withAdmin });
    admin = await adminToken(api);
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    await api?.close();
    await database?.drop();
  });

  describe('in one process', () => {
    const order = (token: string, productId: string, key: string) =>
      api.request({
        method: 'POST',
        url: '/api/v1/orders',
        token,
        body: { items: [{ productId, quantity: 1 }] },
        headers: { 'idempotency-key': key },
      });

    it('replays the stored response byte for byte', async () => {
      const buyer = await register(api);
      const product = await createProduct(api, admin);
      const first = await order(buyer.accessToken, product.id, 'bytes');
      const replay = await order(buyer.accessToken, product.id, 'bytes');
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.text).toBe(first.text);
    });

    it('creates no order when storing the response fails, frees the key, and the retry creates exactly one', async () => {
      const buyer = await register(api);
      const product = await createProduct(api, admin, { stock: 10 });
      await sql.query(`
        CREATE FUNCTION fail_store() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.key = 'store-fails' AND NEW.response_status IS NOT NULL THEN RAISE EXCEPTION 'injected: storing the response failed'; END IF;
          RETURN NEW;
        END $$`);
      await sql.query(`CREATE TRIGGER fail_store BEFORE INSERT OR UPDATE ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION fail_store()`);
      let failed;
      try {
        failed = await order(buyer.accessToken, product.id, 'store-fails');
      } finally {
        await sql.query(`DROP TRIGGER fail_store ON idempotency_keys`);
        await sql.query(`DROP FUNCTION fail_store()`);
      }
      expect(failed.status).toBeGreaterThanOrEqual(500);
      expect(await countOrders(buyer.user.id)).toBe(0);
      expect(await stockOf(product.id)).toBe(10);

      const retried = await order(buyer.accessToken, product.id, 'store-fails');
      expect(retried.status).toBe(201);
      expect((await order(buyer.accessToken, product.id, 'store-fails')).body.id).toBe(retried.body.id);
      expect(await countOrders(buyer.user.id)).toBe(1);
      expect(await stockOf(product.id)).toBe(9);
    });

    it('answers a retry while the first is still running with 409 and Retry-After, then replays the first once it finished', async () => {
      const buyer = await register(api);
      const product = await createProduct(api, admin, { stock: 10 });
      // The first INSERT of this buyer's order stalls inside its transaction.
      await sql.query(`CREATE TABLE stalled (once int PRIMARY KEY)`);
      await sql.query(`
        CREATE FUNCTION stall_once() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.user_id = '${buyer.user.id}' THEN
            INSERT INTO stalled VALUES (1) ON CONFLICT DO NOTHING;
            IF FOUND THEN PERFORM pg_sleep(1.5); END IF;
          END IF;
          RETURN NEW;
        END $$`);
      await sql.query(`CREATE TRIGGER stall_once BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION stall_once()`);
      try {
        const slow = order(buyer.accessToken, product.id, 'slow');
        await sleep(500);
        const early = await order(buyer.accessToken, product.id, 'slow');
        expect(early.status).toBe(409);
        expect(early.headers['retry-after']).toBe('1');
        const first = await slow;
        expect(first.status).toBe(201);
        const later = await order(buyer.accessToken, product.id, 'slow');
        expect(later.status).toBe(201);
        expect(later.headers['idempotent-replayed']).toBe('true');
        expect(later.body.id).toBe(first.body.id);
      } finally {
        await sql.query(`DROP TRIGGER stall_once ON orders`);
        await sql.query(`DROP FUNCTION stall_once()`);
        await sql.query(`DROP TABLE stalled`);
      }
      expect(await countOrders(buyer.user.id)).toBe(1);
      expect(await stockOf(product.id)).toBe(9);
    });
  });

  describe('across real processes', () => {
    let redisPrefix: string;
    const processes: RunningProcess[] = [];

    async function startApi(): Promise<{ base: string; process: RunningProcess }> {
      const port = await freePort();
      const child = startProcess(
        'dist/main.js',
        apiProcessEnvironment({
          REDIS_PREFIX: redisPrefix,
          RATE_LIMIT_PER_IP: '0',
          MIGRATIONS_RUN: 'false',
          PORT: String(port),
          ...variables(),
        }),
      );
      processes.push(child);
      const base = `http://127.0.0.1:${port}`;
      await waitForHttp(`${base}/health/ready`);
      return { base, process: child };
    }

    const placeOrder = async (base: string, token: string, productId: string, key: string) => {
      const response = await fetch(`${base}/api/v1/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
        body: JSON.stringify({ items: [{ productId, quantity: 1 }] }),
      });
      return {
        status: response.status,
        replayed: response.headers.get('idempotent-replayed'),
        body: (await response.json()) as { id: string },
      };
    };

    /**
     * Retries a key until it is answered 201. A key held by a process that died is free as soon as
     * PostgreSQL has ended that process's transaction; until then a retry is 409.
     */
    const settle = async (base: string, token: string, productId: string, key: string) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const response = await placeOrder(base, token, productId, key);
        if (response.status === 201 || Date.now() > deadline) return response;
        expect(response.status).toBe(409);
        await sleep(200);
      }
    };

    beforeAll(() => {
      redisPrefix = uniqueRedisPrefix();
    });

    afterAll(async () => {
      for (const running of processes) running.child.kill('SIGKILL');
      await Promise.all(processes.map((running) => running.exited));
    });

    it('replays, on another process, an order whose commit finished after its process was killed', async () => {
      const buyer = await register(api);
      const product = await createProduct(api, admin, { stock: 10 });
      const doomed = await startApi();
      const survivor = await startApi();
      // The commit of this one key waits at COMMIT (a deferred trigger), long enough to kill the process under it.
      await sql.query(`
        CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.key = 'killed-at-commit' THEN PERFORM pg_sleep(1.5); END IF;
          RETURN NULL;
        END $$`);
      await sql.query(`CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT OR UPDATE ON idempotency_keys
                       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()`);
      try {
        const lost = placeOrder(doomed.base, buyer.accessToken, product.id, 'killed-at-commit').catch((error: Error) => error);
        await sleep(700);
        doomed.process.child.kill('SIGKILL');
        expect(await lost).toBeInstanceOf(Error);
        await sleep(1_500);
      } finally {
        await sql.query(`DROP TRIGGER slow_commit ON idempotency_keys`);
        await sql.query(`DROP FUNCTION slow_commit()`);
      }
      const retried = await settle(survivor.base, buyer.accessToken, product.id, 'killed-at-commit');
      expect(retried.status).toBe(201);
      expect(retried.replayed).toBe('true');
      expect(await countOrders(buyer.user.id)).toBe(1);
      expect(await stockOf(product.id)).toBe(9);
    });

    it('gives every key of a burst exactly one order when its process is SIGKILLed mid-burst and every key is retried elsewhere', async () => {
      const KEYS = 120;
      const STOCK = 1_000;
      const buyer = await register(api);
      const product = await createProduct(api, admin, { stock: STOCK });
      const doomed = await startApi();
      const survivor = await startApi();
      const keys = Array.from({ length: KEYS }, () => randomUUID());

      let answered = 0;
      const firstTries = keys.map((key) =>
        placeOrder(doomed.base, buyer.accessToken, product.id, key)
          .then((response) => {
            answered += 1;
            return response;
          })
          .catch(() => undefined),
      );
      while (answered < KEYS / 4) await sleep(5);
      doomed.process.child.kill('SIGKILL');
      const before = await Promise.all(firstTries);
      const lostInFlight = before.filter((response) => response === undefined).length;
      expect(lostInFlight).toBeGreaterThan(0);

      const after = await Promise.all(keys.map((key) => settle(survivor.base, buyer.accessToken, product.id, key)));
      expect(after.map((response) => response.status)).toEqual(keys.map(() => 201));
      // A key answered before the kill replays the same order.
      before.forEach((response, index) => {
        if (response?.status === 201) expect(after[index].body.id).toBe(response.body.id);
      });
      expect(new Set(after.map((response) => response.body.id)).size).toBe(KEYS);
      expect(await countOrders(buyer.user.id)).toBe(KEYS);
      expect(await stockOf(product.id)).toBe(STOCK - KEYS);
    });
  });
});
