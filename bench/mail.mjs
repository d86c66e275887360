// Issue "Jobs and mail": mails/s end to end through outbox → BullMQ → workers → pooled SMTP,
// commit-to-received latency at idle, and what the outbox INSERT adds to a transaction.
import { SMTPServer } from 'smtp-server';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { freePort, freshDatabase, REDIS, sleep, startNode, stop, waitForReady } from './lib.mjs';

const JWT_SECRET = 'bench-secret-that-is-at-least-32-characters';

function startSink() {
  const received = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    disableReverseLookup: true,
    onData(stream, session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        received.push({ at: performance.now(), to: session.envelope.rcptTo[0]?.address });
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, received, port: server.server.address().port })));
}

async function startWorkers(count, env) {
  const workers = [];
  for (let i = 0; i < count; i += 1) {
    const port = await freePort();
    const child = startNode('dist/worker.js', { ...env, WORKER_PORT: String(port), HOST: '127.0.0.1' }, { cpu: '0,1' });
    await waitForReady(`http://127.0.0.1:${port}/health/ready`);
    workers.push(child);
  }
  return workers;
}

async function burst(databaseUrl, sink, workers, size) {
  const client = new pg.Client(databaseUrl);
  await client.connect();
  const before = sink.received.length;
  await client.query(
    `INSERT INTO outbox (queue, name, payload)
     SELECT 'mail', 'welcome-mail', jsonb_build_object('to', 'burst' || n || '@example.com', 'name', 'Burst ' || n)
     FROM generate_series(1, $1) AS n`,
    [size],
  );
  const committed = performance.now();
  while (sink.received.length - before < size) await sleep(5);
  const seconds = (sink.received.at(-1).at - committed) / 1000;
  await client.end();
  return { workers, size, seconds, rate: Math.round(size / seconds) };
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function outboxInsertCostMs(databaseUrl) {
  const client = new pg.Client(databaseUrl);
  await client.connect();
  const rounds = 500;
  const time = async (withOutbox) => {
    const started = performance.now();
    for (let i = 0; i < rounds; i += 1) {
      await client.query('BEGIN');
      await client.query(`UPDATE users SET updated_at = now() WHERE false`);
      if (withOutbox)
        await client.query(`INSERT INTO outbox (queue, name, payload) VALUES ('mail', 'welcome-mail', $1)`, [
          JSON.stringify({ to: 'x@example.com', name: 'X' }),
        ]);
      await client.query('COMMIT');
    }
    return (performance.now() - started) / rounds;
  };
  await time(false);
  const without = await time(false);
  const withOutbox = await time(true);
  await client.query(`DELETE FROM outbox WHERE payload->>'to' = 'x@example.com'`);
  await client.end();
  return withOutbox - without;
}

/** The ceiling on this machine: nodemailer's pool straight into the same sink, no queue, no database. */
async function rawSmtpRate(sink) {
  const transport = nodemailer.createTransport({
    url: `smtp://127.0.0.1:${sink.port}`,
    pool: true,
    maxConnections: 10,
    maxMessages: Infinity,
  });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 2_000 }, (_, i) =>
      transport.sendMail({
        from: 'bench@example.com',
        to: `raw${i}@example.com`,
        subject: 'Welcome to Orderly',
        text: 'Hello',
        html: '<p>Hello</p>',
      }),
    ),
  );
  transport.close();
  return Math.round(2_000 / ((performance.now() - started) / 1000));
}

export async function run() {
  const sink = await startSink();
  const ceiling = await rawSmtpRate(sink);
  const databaseUrl = await freshDatabase('orderly_bench_mail');
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: REDIS,
    REDIS_PREFIX: `orderly-bench-mail-${Date.now()}`,
    SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
    JWT_SECRET,
    LOG_LEVEL: 'warn',
    OUTBOX_SWEEP_INTERVAL_MS: '100',
  };
  const apiPort = await freePort();
  const api = startNode('dist/main.js', { ...env, PORT: String(apiPort), HOST: '127.0.0.1', RATE_LIMIT_PER_IP: '0' }, { cpu: '0,1' });
  await waitForReady(`http://127.0.0.1:${apiPort}/health/ready`);

  const rows = [
    [
      "baseline: 2,000 mails from nodemailer's pool straight to the sink",
      `${ceiling} mails/s`,
      'no queue, no database: the SMTP ceiling here',
    ],
  ];
  for (const count of [1, 2]) {
    const workers = await startWorkers(count, env);
    await burst(databaseUrl, sink, count, 200);
    const result = await burst(databaseUrl, sink, count, 2_000);
    rows.push([
      `2,000 outbox rows committed at once → ${count} worker${count > 1 ? 's' : ''} (concurrency 10 each)`,
      `${result.rate} mails/s`,
      `${result.seconds.toFixed(2)} s for the batch`,
    ]);
    await Promise.all(workers.map(stop));
  }

  const workers = await startWorkers(1, env);
  const latencies = [];
  const registerTimes = [];
  for (let i = 0; i < 40; i += 1) {
    const email = `idle${i}@example.com`;
    const before = sink.received.length;
    const started = performance.now();
    const response = await fetch(`http://127.0.0.1:${apiPort}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'bench password', name: 'Idle' }),
    });
    const committed = performance.now();
    registerTimes.push(committed - started);
    if (response.status !== 201) throw new Error(`register ${response.status}`);
    while (sink.received.length === before) await sleep(1);
    latencies.push(sink.received.at(-1).at - committed);
    await sleep(50);
  }
  await Promise.all(workers.map(stop));
  await stop(api);
  sink.server.close();
  const insertCost = await outboxInsertCostMs(databaseUrl);

  rows.push([
    'commit → mail received at idle (register, 1 worker), p50',
    `${percentile(latencies, 50).toFixed(1)} ms`,
    '40 sequential registrations',
  ]);
  rows.push(['commit → mail received at idle, p99', `${percentile(latencies, 99).toFixed(1)} ms`, '']);
  rows.push(['`POST /auth/register` latency, p50', `${percentile(registerTimes, 50).toFixed(1)} ms`, 'dominated by the argon2id hash']);
  rows.push(['outbox INSERT added to a transaction', `${insertCost.toFixed(3)} ms`, 'mean over 500 transactions, same connection']);

  return {
    title: 'Jobs and mail: outbox → BullMQ → worker → SMTP',
    command: 'npm run bench -- mail',
    sections: [{ heading: 'End to end, local SMTP sink in the benchmark process', columns: ['measure', 'value', 'note'], rows }],
  };
}
