import { createHmac } from 'node:crypto';
import { Random } from './random';

/** One HTTP attempt as the client saw it: a status, or the error that left it without one. */
export interface Attempt {
  route: string;
  startedAt: number;
  endedAt: number;
  outcome: number | string;
}

export interface Product {
  id: string;
  priceCents: number;
  stocked: number;
}

interface Answer {
  status: number;
  body: any;
}

interface OwnOrder {
  id: string;
  totalCents: number;
}

/** What the clients did and were told, for the audit. */
export class TrafficLog {
  readonly attempts: Attempt[] = [];
  /** Idempotency-Key → every order id a 201 (first or replayed) named for it. */
  readonly orderKeys = new Map<string, Set<string>>();
  /** Every event id the provider side sent, answered or not. */
  readonly sentEvents = new Set<string>();
  /** eventId → the outcomes its 200s reported (a replay reports the original). */
  readonly events = new Map<string, { orderId: string; outcomes: Set<string> }>();
  /** E-mail addresses whose registration a client saw succeed (201, or 409 for its own retried request). */
  readonly registered = new Set<string>();
  /** Answers no well-behaved client should get (a 422, a 401, a 400 …), with what was asked. */
  readonly unexpected: string[] = [];
}

const RETRYABLE = new Set([502, 503, 504]);

/**
 * A well-behaved client: on a 502/503/504 or a connection error it backs off (exponentially, with
 * jitter, at most 2 s) and sends the same request again — same Idempotency-Key, same event id —
 * until it gets an answer or the run's hard stop passes.
 */
class Client {
  constructor(
    private readonly baseUrl: string,
    private readonly log: TrafficLog,
    private readonly random: Random,
    private readonly hardStop: number,
  ) {}

  async send(
    route: string,
    method: string,
    path: string,
    options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string>; retryOn409?: boolean } = {},
  ): Promise<Answer & { retried: boolean }> {
    const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    for (let attempt = 0; ; attempt += 1) {
      const startedAt = Date.now();
      let outcome: number | string;
      let answer: Answer | undefined;
      try {
        const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
          method,
          headers: {
            ...(payload !== undefined && { 'content-type': 'application/json' }),
            ...(options.token && { authorization: `Bearer ${options.token}` }),
            ...options.headers,
          },
          body: payload,
          signal: AbortSignal.timeout(15_000),
        });
        const text = await response.text();
        answer = { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
        outcome = response.status;
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        outcome = cause?.code ?? (error as Error).name;
      }
      this.log.attempts.push({ route, startedAt, endedAt: Date.now(), outcome });
      const inFlight = answer?.status === 409 && options.retryOn409 === true && /in progress/.test(String(answer.body?.detail));
      const retry = answer === undefined || RETRYABLE.has(answer.status) || inFlight;
      if (!retry) return { ...answer!, retried: attempt > 0 };
      if (Date.now() > this.hardStop) return { status: typeof outcome === 'number' ? outcome : 0, body: undefined, retried: attempt > 0 };
      const backOff = Math.min(2_000, 100 * 2 ** attempt) * (0.5 + this.random.next());
      await new Promise((done) => setTimeout(done, backOff));
    }
  }
}

export interface TrafficOptions {
  baseUrl: string;
  products: Product[];
  webhookSecret: string;
  /** No new action starts after this; requests under way may retry until `hardStop`. */
  deadline: number;
  hardStop: number;
}

/** One virtual user: an account of its own, then a seeded mix of orders, payments, cancellations, registrations and reads. */
export class VirtualUser {
  private token = '';
  private readonly pending: OwnOrder[] = [];
  private readonly paid: OwnOrder[] = [];
  private readonly delivered: { raw: string; eventId: string }[] = [];
  private sequence = 0;
  private readonly client: Client;

  constructor(
    private readonly index: number,
    private readonly random: Random,
    private readonly options: TrafficOptions,
    private readonly log: TrafficLog,
  ) {
    this.client = new Client(options.baseUrl, log, random, options.hardStop);
  }

  async run(): Promise<void> {
    while (!this.token) {
      if (Date.now() > this.options.deadline) return;
      await this.register();
    }
    while (Date.now() < this.options.deadline) {
      const roll = this.random.next();
      if (roll < 0.35) await this.order();
      else if (roll < 0.55) await this.pay();
      else if (roll < 0.62) await this.cancel();
      else if (roll < 0.68) await this.register();
      else await this.read();
      await new Promise((done) => setTimeout(done, this.random.integer(5, 40)));
    }
  }

  private next(): string {
    this.sequence += 1;
    return `vu${this.index}-${this.sequence}`;
  }

  private expect(route: string, answer: { status: number; body: any }, allowed: number[]): boolean {
    if (allowed.includes(answer.status)) return true;
    // 0: the hard stop passed while retrying; the audit's window check names those attempts.
    if (answer.status !== 0 && !RETRYABLE.has(answer.status)) {
      this.log.unexpected.push(`${route} → ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return false;
  }

  private async register(): Promise<void> {
    const email = `chaos-${this.next()}@example.com`;
    const answer = await this.client.send('POST /auth/register', 'POST', '/auth/register', {
      body: { email, password: 'correct horse battery', name: `Chaos ${this.index}` },
    });
    // A 409 for a retried registration: the first attempt committed before its answer was lost.
    if (answer.status === 409 && answer.retried) {
      this.log.registered.add(email);
      return;
    }
    if (!this.expect('POST /auth/register', answer, [201])) return;
    this.log.registered.add(email);
    this.token ||= answer.body.accessToken as string;
  }

  private async order(): Promise<void> {
    const key = `order-${this.next()}`;
    const lines = this.random.shuffle(this.options.products).slice(0, this.random.integer(1, 2));
    const body = { items: lines.map((product) => ({ productId: product.id, quantity: this.random.integer(1, 3) })) };
    const place = (route: string) =>
      this.client.send(route, 'POST', '/orders', { token: this.token, body, headers: { 'idempotency-key': key }, retryOn409: true });
    const answer = await place('POST /orders');
    if (answer.status === 409) return; // out of stock
    if (!this.expect('POST /orders', answer, [201])) return;
    this.sawOrder(key, answer.body.id as string);
    this.pending.push({ id: answer.body.id as string, totalCents: answer.body.totalCents as number });
    // Now and then the client sends the same request again, as after a lost answer: it must name the same order.
    if (this.random.chance(0.1)) {
      const replay = await place('POST /orders (same key again)');
      if (this.expect('POST /orders (same key again)', replay, [201])) this.sawOrder(key, replay.body.id as string);
    }
  }

  private sawOrder(key: string, orderId: string): void {
    const seen = this.log.orderKeys.get(key) ?? new Set<string>();
    seen.add(orderId);
    this.log.orderKeys.set(key, seen);
  }

  private async pay(): Promise<void> {
    if (this.delivered.length > 0 && this.random.chance(0.1)) {
      // The provider delivers an event again: a 200 reporting the original outcome.
      const { raw, eventId } = this.random.pick(this.delivered);
      await this.deliver(raw, eventId);
      return;
    }
    if (this.pending.length === 0) return;
    const order = this.pending.splice(this.random.integer(0, this.pending.length - 1), 1)[0];
    const roll = this.random.next();
    const type = roll < 0.05 ? 'payment.failed' : 'payment.succeeded';
    const amountCents = roll > 0.95 ? order.totalCents + 1 : order.totalCents;
    const eventId = `evt-${this.next()}`;
    const raw = JSON.stringify({ eventId, type, orderId: order.id, amountCents });
    this.delivered.push({ raw, eventId });
    this.log.sentEvents.add(eventId);
    const outcome = await this.deliver(raw, eventId);
    if (outcome === 'applied') this.paid.push(order);
    else if (type === 'payment.failed') this.pending.push(order);
  }

  private async deliver(raw: string, eventId: string): Promise<string | undefined> {
    const signature = `sha256=${createHmac('sha256', this.options.webhookSecret).update(raw).digest('hex')}`;
    const answer = await this.client.send('POST /payments/webhook', 'POST', '/payments/webhook', {
      raw,
      headers: { 'x-signature': signature },
    });
    if (!this.expect('POST /payments/webhook', answer, [200])) return undefined;
    const entry = this.log.events.get(eventId) ?? { orderId: (JSON.parse(raw) as { orderId: string }).orderId, outcomes: new Set() };
    entry.outcomes.add(answer.body.outcome as string);
    this.log.events.set(eventId, entry);
    return answer.body.outcome as string;
  }

  private async cancel(): Promise<void> {
    const from = this.random.chance(0.5) && this.paid.length > 0 ? this.paid : this.pending;
    if (from.length === 0) return;
    const order = from.splice(this.random.integer(0, from.length - 1), 1)[0];
    const answer = await this.client.send('POST /orders/:id/cancel', 'POST', `/orders/${order.id}/cancel`, { token: this.token });
    // 409: already cancelled by this client's own earlier attempt, or expired meanwhile.
    this.expect('POST /orders/:id/cancel', answer, [200, 409]);
  }

  private async read(): Promise<void> {
    const roll = this.random.next();
    if (roll < 0.4) {
      const product = this.random.pick(this.options.products);
      this.expect('GET /products/:id', await this.client.send('GET /products/:id', 'GET', `/products/${product.id}`), [200]);
    } else if (roll < 0.6) {
      this.expect('GET /products', await this.client.send('GET /products', 'GET', '/products?limit=20'), [200]);
    } else if (roll < 0.8) {
      this.expect('GET /orders', await this.client.send('GET /orders', 'GET', '/orders?limit=10', { token: this.token }), [200]);
    } else {
      this.expect('GET /users/me', await this.client.send('GET /users/me', 'GET', '/users/me', { token: this.token }), [200]);
    }
  }
}
