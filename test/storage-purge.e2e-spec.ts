import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { PURGE_BATCH_SIZE } from '../src/shared/maintenance/storage-purges';
import { useTestApp } from './support/app';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Storage stays bounded (CONTRACT "Trust and bounds"): the scheduled purge deletes rows that can
 * no longer matter and keeps every row that still can. The schedule runs every second here.
 */
describe('Scheduled storage purge', () => {
  const context = useTestApp({ STORAGE_PURGE_INTERVAL_MS: '1000' });
  let sql: Client;
  let userId: string;

  const ids = async (table: string, column = 'id') =>
    ((await sql.query(`SELECT ${column} AS id FROM ${table}`)).rows as { id: string }[]).map((row) => row.id).sort();
  const refreshToken = async (family: string, expires: string, revoked: 'rotated' | 'logout' | null) =>
    (
      await sql.query(
        `INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at, revoked_at, revoked_reason)
         VALUES ($1, $2, md5(random()::text) || md5(random()::text), now() + $3::interval,
                 CASE WHEN $4::text IS NULL THEN NULL ELSE now() - interval '1 minute' END, $4) RETURNING id`,
        [userId, family, expires, revoked],
      )
    ).rows[0].id as string;
  const resetToken = async (expires: string, used: boolean) =>
    (
      await sql.query(
        `INSERT INTO password_reset_tokens (user_id, token_hash, expires_at, used_at)
         VALUES ($1, md5(random()::text) || md5(random()::text), now() + $2::interval, CASE WHEN $3 THEN now() END) RETURNING id`,
        [userId, expires, used],
      )
    ).rows[0].id as string;
  const outboxRow = async (status: string, age: string) =>
    (
      await sql.query(
        `INSERT INTO outbox (queue, name, payload, status, created_at, available_at, enqueued_at, completed_at)
         VALUES ('mail', 'welcome-mail', '{}', $1::text, now() - $2::interval,
                 -- far in the future: the relay must not pick the old pending row up during the test
                 now() + interval '1 year',
                 CASE WHEN $1::text <> 'pending' THEN now() - $2::interval END,
                 CASE WHEN $1::text IN ('done', 'failed') THEN now() - $2::interval END) RETURNING id`,
        [status, age],
      )
    ).rows[0].id as string;

  beforeAll(async () => {
    sql = new Client({ connectionString: context.database.url });
    await sql.connect();
    userId = (await sql.query(`INSERT INTO users (email, name, password_hash) VALUES ('purge@example.com', 'Purge', 'x') RETURNING id`))
      .rows[0].id as string;
  });

  afterAll(async () => {
    await sql?.end();
  });

  it('deletes what can no longer matter, in batches, and keeps everything that still can', async () => {
    // A live login: its current token, the token it replaced (reuse detection needs it), and an
    // older rotated token that has expired — still evidence while the family lives.
    const live = randomUUID();
    const keep = [
      await refreshToken(live, '30 days', null),
      await refreshToken(live, '29 days', 'rotated'),
      await refreshToken(live, '-1 day', 'rotated'),
      await refreshToken(randomUUID(), '1 hour', null),
    ];
    // Families with no live token left: every token expired; signed out; revoked for reuse.
    const expired = randomUUID();
    const signedOut = randomUUID();
    const purge = [
      await refreshToken(expired, '-2 days', 'rotated'),
      await refreshToken(expired, '-1 day', null),
      await refreshToken(signedOut, '29 days', 'rotated'),
      await refreshToken(signedOut, '30 days', 'logout'),
    ];

    const keepResets = [await resetToken('1 hour', false)];
    const purgeResets = [await resetToken('1 hour', true), await resetToken('-1 minute', false)];

    const keepOutbox = [
      await outboxRow('done', '6 days'),
      await outboxRow('failed', '1 day'),
      await outboxRow('pending', '30 days'),
      await outboxRow('enqueued', '30 days'),
    ];
    const purgeOutbox = [await outboxRow('done', '8 days'), await outboxRow('failed', '8 days')];

    // More expired keys than one batch holds, so the purge has to loop.
    const staleKeys = PURGE_BATCH_SIZE * 2 + 500;
    await sql.query(
      `INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body, created_at)
       SELECT $1, 'stale-' || n, repeat('a', 64), 201, '{}', now() - interval '25 hours' FROM generate_series(1, $2) AS n`,
      [userId, staleKeys],
    );
    await sql.query(
      `INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body, created_at)
       VALUES ($1, 'fresh', repeat('a', 64), 201, '{}', now() - interval '23 hours')`,
      [userId],
    );
    expect(Number((await sql.query(`SELECT count(*) FROM idempotency_keys`)).rows[0].count)).toBe(staleKeys + 1);

    const gone = async () => {
      const tokens = await ids('refresh_tokens');
      const resets = await ids('password_reset_tokens');
      const outbox = await ids('outbox');
      const keys = await ids('idempotency_keys', 'key');
      return (
        purge.every((id) => !tokens.includes(id)) &&
        purgeResets.every((id) => !resets.includes(id)) &&
        purgeOutbox.every((id) => !outbox.includes(id)) &&
        keys.length === 1
      );
    };
    const deadline = Date.now() + 20_000;
    while (!(await gone()) && Date.now() < deadline) await sleep(200);
    expect(await gone()).toBe(true);

    expect(await ids('refresh_tokens')).toEqual([...keep].sort());
    expect(await ids('password_reset_tokens')).toEqual(keepResets);
    expect(await ids('outbox')).toEqual([...keepOutbox].sort());
    expect(await ids('idempotency_keys', 'key')).toEqual(['fresh']);
  });

  it('keeps reuse detection working: a rotated token of a live family, presented again, still revokes the family', async () => {
    const register = await context.api.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      body: { email: `reuse-${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Reuse' },
    });
    expect(register.status).toBe(201);
    const first = register.body.refreshToken as string;
    const rotated = await context.api.request({ method: 'POST', url: '/api/v1/auth/refresh', body: { refreshToken: first } });
    expect(rotated.status).toBe(200);
    // Two scheduled purges pass.
    await sleep(2_500);
    const reused = await context.api.request({ method: 'POST', url: '/api/v1/auth/refresh', body: { refreshToken: first } });
    expect(reused.status).toBe(401);
    const successor = await context.api.request({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      body: { refreshToken: rotated.body.refreshToken as string },
    });
    expect(successor.status).toBe(401);
  });
});
