import type { Client } from 'pg';
import type { ReceivedMail } from '../support/smtp-sink';
import type { Member } from './cluster';
import type { FaultWindow } from './faults';
import type { Product, TrafficLog } from './traffic';

/** After a fault has recovered, this long more is still its window: clients back off up to 2 s, pools and probes settle. */
export const FAULT_GRACE_MS = 3_000;

export interface AuditInput {
  sql: Client;
  products: Product[];
  log: TrafficLog;
  windows: FaultWindow[];
  mails: ReceivedMail[];
  members: Member[];
}

const LIVE = `('pending', 'paid', 'shipped')`;

/** Every broken invariant, as a sentence naming what broke; empty when the run held. */
export async function audit({ sql, products, log, windows, mails, members }: AuditInput): Promise<string[]> {
  return [
    ...(await stockConserved(sql, products)),
    ...(await oneOrderPerKey(sql, log)),
    ...(await outboxDrained(sql)),
    ...(await mailSent(sql, mails)),
    ...(await ledgerComplete(sql, log)),
    ...answersHeld(log, windows),
    ...processesEndedWell(members),
  ];
}

async function stockConserved(sql: Client, products: Product[]): Promise<string[]> {
  const { rows } = await sql.query<{ id: string; stock: number; held: number }>(
    `SELECT p.id, p.stock, COALESCE(SUM(i.quantity) FILTER (WHERE o.status IN ${LIVE}), 0)::int AS held
     FROM products p LEFT JOIN order_items i ON i.product_id = p.id LEFT JOIN orders o ON o.id = i.order_id
     GROUP BY p.id`,
  );
  return products.flatMap((product) => {
    const row = rows.find((candidate) => candidate.id === product.id)!;
    const broken: string[] = [];
    if (row.stock < 0) broken.push(`stock of ${product.id} is negative: ${row.stock}`);
    if (row.stock + row.held !== product.stocked) {
      broken.push(
        `stock of ${product.id} not conserved: ${row.stock} on the shelf + ${row.held} in live orders ≠ ${product.stocked} stocked`,
      );
    }
    return broken;
  });
}

/**
 * Each order of the run was made under a key (every client order carries one), so orders and the
 * stored 201 responses of keys must pair off one to one; and every key a client saw a 201 for named
 * one order, the stored one.
 */
async function oneOrderPerKey(sql: Client, log: TrafficLog): Promise<string[]> {
  const broken: string[] = [];
  const stored = new Map(
    (
      await sql.query<{ key: string; id: string }>(
        `SELECT key, response_body::json->>'id' AS id FROM idempotency_keys WHERE response_status = 201`,
      )
    ).rows.map((row) => [row.key, row.id]),
  );
  const orders = new Set((await sql.query<{ id: string }>(`SELECT id FROM orders`)).rows.map((row) => row.id));
  const keyed = new Map<string, string>();
  for (const [key, id] of stored) {
    if (keyed.has(id)) broken.push(`keys ${keyed.get(id)} and ${key} both name order ${id}`);
    keyed.set(id, key);
    if (!orders.has(id)) broken.push(`key ${key} stored a 201 for order ${id}, which does not exist`);
  }
  for (const id of orders) if (!keyed.has(id)) broken.push(`order ${id} belongs to no key: a key made two orders, or a retry made one`);
  for (const [key, seen] of log.orderKeys) {
    if (seen.size > 1) broken.push(`key ${key} answered 201 with ${seen.size} different orders: ${[...seen].join(', ')}`);
    const id = [...seen][0];
    if (stored.get(key) !== id)
      broken.push(`key ${key}: the client was told order ${id}, the database holds ${stored.get(key) ?? 'nothing'}`);
  }
  return broken;
}

async function outboxDrained(sql: Client): Promise<string[]> {
  const { rows } = await sql.query<{ status: string; count: number }>(
    `SELECT status, count(*)::int AS count FROM outbox WHERE status <> 'done' GROUP BY status`,
  );
  return rows.map((row) => `${row.count} outbox rows left ${row.status}`);
}

/** Each recipient's copies of one mail share one Message-ID: a duplicate the receiving server can drop. */
function checkCopies(what: string, copies: ReceivedMail[]): string[] {
  if (copies.length === 0) return [`no ${what}`];
  const ids = new Set(copies.map((mail) => mail.messageId));
  return ids.size === 1 ? [] : [`${what}: ${copies.length} copies with ${ids.size} different Message-IDs`];
}

async function mailSent(sql: Client, mails: ReceivedMail[]): Promise<string[]> {
  const users = (await sql.query<{ email: string }>(`SELECT email FROM users WHERE role = 'customer'`)).rows;
  const paid = (
    await sql.query<{ order_id: string; email: string }>(
      `SELECT l.order_id, u.email FROM payment_ledger l JOIN orders o ON o.id = l.order_id JOIN users u ON u.id = o.user_id
       WHERE l.outcome = 'applied'`,
    )
  ).rows;
  const welcome = mails.filter((mail) => mail.subject.includes('Welcome'));
  const confirmed = mails.filter((mail) => mail.subject.startsWith('Order confirmed'));
  const emails = new Set(users.map((user) => user.email));
  const paidOrders = new Set(paid.map((row) => row.order_id));
  return [
    ...users.flatMap((user) =>
      checkCopies(
        `welcome mail to ${user.email}`,
        welcome.filter((mail) => mail.to === user.email),
      ),
    ),
    ...paid.flatMap(({ order_id: orderId, email }) =>
      checkCopies(
        `confirmation of paid order ${orderId}`,
        confirmed.filter((mail) => mail.to === email && mail.subject.includes(orderId)),
      ),
    ),
    ...welcome.filter((mail) => !emails.has(mail.to)).map((mail) => `welcome mail to ${mail.to}, who has no account`),
    ...confirmed
      .filter((mail) => ![...paidOrders].some((orderId) => mail.subject.includes(orderId)))
      .map((mail) => `"${mail.subject}" for an order that was never paid`),
  ];
}

/** Every event sent was answered 200 and is in the ledger once, with the outcome it was told; nothing else is. */
async function ledgerComplete(sql: Client, log: TrafficLog): Promise<string[]> {
  const entries = new Map(
    (
      await sql.query<{ event_id: string; order_id: string; outcome: string }>(
        `SELECT event_id, order_id, outcome FROM payment_ledger WHERE event_id IS NOT NULL`,
      )
    ).rows.map((row) => [row.event_id, row]),
  );
  const broken: string[] = [];
  for (const [eventId, { orderId, outcomes }] of log.events) {
    const entry = entries.get(eventId);
    if (!entry) broken.push(`event ${eventId} was answered 200 but is not in the ledger`);
    else if (entry.order_id !== orderId) broken.push(`event ${eventId} is recorded for order ${entry.order_id}, not ${orderId}`);
    else if (outcomes.size !== 1 || !outcomes.has(entry.outcome)) {
      broken.push(`event ${eventId}: the clients were told ${[...outcomes].join(' and ')}, the ledger says ${entry.outcome}`);
    }
  }
  for (const eventId of log.sentEvents) if (!log.events.has(eventId)) broken.push(`event ${eventId} was never answered 200`);
  for (const eventId of entries.keys()) if (!log.sentEvents.has(eventId)) broken.push(`ledger entry for an event never sent: ${eventId}`);
  return broken;
}

const isFaultAnswer = (outcome: number | string) => typeof outcome === 'string' || outcome === 502 || outcome === 503 || outcome === 504;

/** No 500 at all; 503s, 502s (the balancer's word for a backend connection lost) and connection errors only inside a fault's window. */
function answersHeld(log: TrafficLog, windows: FaultWindow[]): string[] {
  const inWindow = (startedAt: number, endedAt: number) =>
    windows.some((window) => startedAt <= window.recoveredAt + FAULT_GRACE_MS && endedAt >= window.startedAt);
  const broken: string[] = [];
  for (const attempt of log.attempts) {
    if (attempt.outcome === 500) broken.push(`500 for ${attempt.route} at ${new Date(attempt.startedAt).toISOString()}`);
    else if (isFaultAnswer(attempt.outcome) && !inWindow(attempt.startedAt, attempt.endedAt)) {
      broken.push(`${attempt.outcome} for ${attempt.route} at ${new Date(attempt.startedAt).toISOString()}, outside every fault window`);
    }
  }
  return [...broken, ...log.unexpected.map((line) => `unexpected answer: ${line}`)];
}

/** Every process stopped with SIGTERM exited 0; none ended without being told to. */
function processesEndedWell(members: Member[]): string[] {
  return members.flatMap((member) =>
    member.endings
      .filter((ending) => ending.signal === 'SIGTERM' && ending.code !== 0)
      .map((ending) => `${member.name} exited ${ending.code} after SIGTERM`),
  );
}

/** The one-line summary of a run. */
export function summarise(log: TrafficLog, windows: FaultWindow[], counts: { orders: number; paid: number }): string {
  const byStatus = new Map<string, number>();
  for (const attempt of log.attempts) {
    const label = typeof attempt.outcome === 'number' ? (attempt.outcome >= 500 ? String(attempt.outcome) : undefined) : attempt.outcome;
    if (label) byStatus.set(label, (byStatus.get(label) ?? 0) + 1);
  }
  const faults = [...byStatus].map(([label, count]) => `${label}: ${count}`).join(', ') || 'none';
  return (
    `requests ${log.attempts.length}, faults ${windows.length}, 5xx/connection errors {${faults}}, ` +
    `orders ${counts.orders}, paid ${counts.paid}, registrations ${log.registered.size}, webhook events ${log.events.size}`
  );
}
