import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { TEST_ADMIN, TEST_JWT_SECRET } from '../support/app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { PrivateRedis } from '../support/private-redis';
import { SmtpSink } from '../support/smtp-sink';
import { audit, FAULT_GRACE_MS, summarise } from './audit';
import { ChaosCluster } from './cluster';
import { FaultWindow, runFaults } from './faults';
import { Random } from './random';
import { Product, TrafficLog, VirtualUser } from './traffic';

const SECONDS = Number(process.env.CHAOS_SECONDS ?? '60');
const SEED = Number(process.env.CHAOS_SEED ?? randomBytes(4).readUInt32BE());
const VIRTUAL_USERS = Number(process.env.CHAOS_USERS ?? '12');
const WEBHOOK_SECRET = 'chaos-webhook-secret-0123456789';
/** How long after the traffic stops the outbox and the mail may take to settle. */
const QUIESCE_MS = 90_000;

const say = (line: string) => process.stdout.write(`[chaos] ${line}\n`);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe(`chaos run (${SECONDS} s, seed ${SEED})`, () => {
  let database: TestDatabase;
  let redis: PrivateRedis;
  let smtp: SmtpSink;
  let cluster: ChaosCluster | undefined;
  let sql: Client;

  beforeAll(async () => {
    say(`seed ${SEED} — replay with: npm run test:chaos -- --seed ${SEED} --seconds ${SECONDS}`);
    [database, redis, smtp] = await Promise.all([createTestDatabase(), PrivateRedis.start(), SmtpSink.start()]);
    cluster = await ChaosCluster.start({
      NODE_ENV: 'test',
      // Info: a failed run's saved output then shows each request, and any signal a process received.
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      DATABASE_POOL_SIZE: '5',
      REDIS_URL: redis.url,
      REDIS_PREFIX: `chaos-${SEED}`,
      SMTP_URL: smtp.url,
      JWT_SECRET: TEST_JWT_SECRET,
      PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      SEED_ADMIN_EMAIL: TEST_ADMIN.email,
      SEED_ADMIN_PASSWORD: TEST_ADMIN.password,
      TRUST_PROXY: '1',
      // One client IP (the balancer's) carries every virtual user.
      RATE_LIMIT_PER_IP: '0',
      // The balancer polls readiness every 200 ms: a second of draining takes a stopping API out of rotation.
      SHUTDOWN_DRAIN_MS: '1000',
      // Short enough that orders expire, stalled jobs are retaken and lost jobs re-offered within the run.
      ORDER_PAYMENT_TIMEOUT: '20',
      ORDER_SWEEP_INTERVAL_MS: '2000',
      OUTBOX_SWEEP_INTERVAL_MS: '1000',
      OUTBOX_REDELIVER_AFTER_MS: '5000',
      WORKER_LOCK_DURATION_MS: '5000',
    });
  });

  afterAll(async () => {
    cluster?.killEverything();
    await sql?.end();
    await smtp?.close();
    await redis?.stop();
    await database?.drop();
  });

  it('keeps every invariant through worker and API kills, a Redis loss and cut database connections', async () => {
    const random = new Random(SEED);
    const admin = (await (
      await fetch(`${cluster!.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(TEST_ADMIN),
      })
    ).json()) as { accessToken: string };
    // A few scarce products (orders race for the last units, and are refused) and plenty of others.
    const products: Product[] = [];
    for (const [index, stocked] of [15, 30, 400, 400, 1000, 1000, 1000, 1000].entries()) {
      const created = (await (
        await fetch(`${cluster!.url}/api/v1/products`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.accessToken}` },
          body: JSON.stringify({ sku: `CHAOS-${index}`, name: `Chaos product ${index}`, priceCents: 500 + 125 * index, stock: stocked }),
        })
      ).json()) as { id: string; priceCents: number };
      products.push({ id: created.id, priceCents: created.priceCents, stocked });
    }

    const log = new TrafficLog();
    const startedAt = Date.now();
    const deadline = startedAt + SECONDS * 1000;
    const options = { baseUrl: cluster!.url, products, webhookSecret: WEBHOOK_SECRET, deadline, hardStop: deadline + 30_000 };
    const users = Array.from({ length: VIRTUAL_USERS }, (_, index) => new VirtualUser(index + 1, random.fork(), options, log));
    const faultRandom = random.fork();
    let windows: FaultWindow[] = [];
    await Promise.all([
      ...users.map((user) => user.run()),
      runFaults({ cluster: cluster!, redis, databaseUrl: database.url }, faultRandom, startedAt, SECONDS * 1000, say).then(
        (done) => (windows = done),
      ),
    ]);
    say(`traffic stopped after ${((Date.now() - startedAt) / 1000).toFixed(1)} s; quiescing`);
    // The auditor's own connection opens now: the fault that cuts every session of the database is over.
    sql = new Client({ connectionString: database.url });
    await sql.connect();

    // Quiesce: the outbox drains and the worker sends what it holds.
    const quiesceBy = Date.now() + QUIESCE_MS;
    const unfinished = async () =>
      Number((await sql.query(`SELECT count(*) FROM outbox WHERE status IN ('pending', 'enqueued')`)).rows[0].count as string);
    while ((await unfinished()) > 0 && Date.now() < quiesceBy) await sleep(500);
    while (smtp.inFlight > 0 && Date.now() < quiesceBy) await sleep(100);

    await cluster!.shutdown();
    const unplanned = cluster!.unplanned;
    const broken = [
      ...unplanned.flatMap(({ member, ending, signal, restartFailure }) => [
        // Exit 0 after a logged signal is a clean shutdown someone else on this machine asked for: a fault the run did not plan.
        ...(signal && ending === 0 ? [] : [`${member} ended on its own during the run (${ending})`]),
        ...(restartFailure ? [`${member} could not be started again: ${restartFailure}`] : []),
      ]),
      ...(await audit({
        sql,
        products,
        log,
        windows: [...windows, ...unplanned.map((ending) => ending.window)],
        mails: smtp.messages,
        members: [...cluster!.apis, ...cluster!.workers],
      })),
    ];
    for (const { member, ending, signal, window } of unplanned) {
      say(
        `unplanned: ${member} ended (${ending}${signal ? ` after a ${signal} from outside the run` : ''}) at +${((window.startedAt - startedAt) / 1000).toFixed(1)} s, restarted; its window counts as a fault's`,
      );
    }
    const counts = (await sql.query(`SELECT count(*)::int AS orders, count(paid_at)::int AS paid FROM orders`)).rows[0] as {
      orders: number;
      paid: number;
    };
    say(`fault window: from a fault's start to its recovery + ${FAULT_GRACE_MS / 1000} s`);
    say(`summary (seed ${SEED}, ${SECONDS} s): ${summarise(log, windows, counts)}, mails ${smtp.messages.length}`);
    if (broken.length > 0) {
      say(`${broken.length} broken invariants:\n  ${broken.slice(0, 50).join('\n  ')}`);
      const directory = join(tmpdir(), `orderly-chaos-${SEED}`);
      await cluster!.saveOutput(directory);
      say(`each process's output: ${directory}`);
    }
    expect(broken).toEqual([]);
  });
});
