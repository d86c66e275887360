import { BadRequestException, ConflictException, ForbiddenException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import type { Principal } from '../auth/access-tokens';
import { PricedLine, ProductStock } from '../products/product-stock';
import { PaymentLedger } from '../payments/ledger/payment-ledger';
import { IdempotencyClaim } from '../shared/idempotency/idempotency-claim';
import { IdempotencyStore } from '../shared/idempotency/idempotency-store';
import { ENVIRONMENT } from '../shared/config/config.module';
import type { Environment } from '../shared/config/environment';
import { decodeCursor, toPage } from '../shared/http/pagination';
import { Role } from '../users/entities/user.entity';
import { CreateOrderDto, OrderListQuery, OrderPage, OrderResponse } from './dto/order.dto';
import { OrderItem } from './entities/order-item.entity';
import { Order, OrderStatus } from './entities/order.entity';

const isAdmin = (caller: Principal) => caller.role === Role.Admin;

@Injectable()
export class OrdersService {
  private readonly logger = new Logger(OrdersService.name);

  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(Order) private readonly orders: Repository<Order>,
    @InjectRepository(OrderItem) private readonly items: Repository<OrderItem>,
    private readonly stock: ProductStock,
    private readonly ledger: PaymentLedger,
    private readonly idempotency: IdempotencyStore,
    @Inject(ENVIRONMENT) private readonly env: Environment,
  ) {}

  /**
   * ProductStock locks, prices and checks every line and takes the stock only if all can be
   * served, and the order and its lines are inserted in the same statement. With an
   * Idempotency-Key, the key's claim and its stored response share that statement's transaction: a
   * crash or a lost connection after the commit leaves an order whose response a retry replays;
   * before it, nothing at all.
   */
  async create(caller: Principal, dto: CreateOrderDto, idempotency?: IdempotencyClaim): Promise<OrderResponse> {
    const productIds = dto.items.map((item) => item.productId);
    if (new Set(productIds).size !== productIds.length) throw new BadRequestException('Each product may appear in one line only.');
    // Without a key the order is one statement, atomic on its own; with one, the claim and the stored response join it in a transaction.
    if (!idempotency) return this.place(this.dataSource.manager, caller, dto);
    return this.idempotency.transaction(idempotency, (manager) => this.place(manager, caller, dto));
  }

  /** Takes the stock and inserts the order and its lines, in one statement. */
  private async place(manager: EntityManager, caller: Principal, dto: CreateOrderDto): Promise<OrderResponse> {
    const id = randomUUID();
    const currency = this.env.storeCurrency;
    const reservation = await this.stock.reserve<{ created_at: string }>(manager, dto.items, (param) => ({
      ctes: `created AS (
               INSERT INTO orders (id, user_id, status, total_cents, currency)
               SELECT ${param(id)}, ${param(caller.id)}, 'pending', verdict.total, ${param(currency)} FROM verdict WHERE verdict.ok
               RETURNING created_at
             ), lines AS (
               INSERT INTO order_items (order_id, position, product_id, sku, name, unit_price_cents, quantity, line_total_cents)
               SELECT ${param(id)}, position, product_id, sku, name, price_cents, quantity, line_total FROM priced, verdict WHERE verdict.ok
             )`,
      select: '(SELECT row_to_json(created) FROM created)',
    }));
    if (!reservation.ok || !reservation.row) throw this.whyNotCreated(dto, reservation.lines);
    const createdAt = new Date(reservation.row.created_at);
    return OrderResponse.of(
      this.orders.create({
        id,
        userId: caller.id,
        status: OrderStatus.Pending,
        totalCents: reservation.lines.reduce((total, line) => total + line.lineTotalCents, 0),
        currency,
        createdAt,
        updatedAt: createdAt,
        paidAt: null,
        items: reservation.lines.map((line) =>
          this.items.create({
            position: line.position,
            productId: line.productId,
            sku: line.sku,
            name: line.name,
            unitPriceCents: line.priceCents,
            quantity: line.quantity,
            lineTotalCents: line.lineTotalCents,
          }),
        ),
      }),
    );
  }

  /** Names the first line that could not be served: unknown or retired products are 400, short stock 409. */
  private whyNotCreated(dto: CreateOrderDto, lines: PricedLine[]): Error {
    for (const item of dto.items) {
      const line = lines.find((candidate) => candidate.productId === item.productId);
      if (!line?.active) return new BadRequestException(`Product ${item.productId} does not exist or is not for sale.`);
      if (line.stock < item.quantity) {
        return new ConflictException(`Not enough stock for product ${line.sku} (${line.productId}): ${line.stock} left.`);
      }
    }
    return new ConflictException('The order could not be placed; retry.');
  }

  async get(caller: Principal, id: string): Promise<OrderResponse> {
    return OrderResponse.of(await this.visibleOrder(caller, id));
  }

  async list(caller: Principal, query: OrderListQuery): Promise<OrderPage> {
    if (query.userId && !isAdmin(caller) && query.userId !== caller.id) throw new ForbiddenException('Only admins may filter by userId.');
    const userId = isAdmin(caller) ? query.userId : caller.id;
    const after = decodeCursor(query.cursor);
    const builder = this.orders
      .createQueryBuilder('o')
      .orderBy('o.createdAt', 'DESC')
      .addOrderBy('o.id', 'DESC')
      .take(query.limit + 1);
    if (userId) builder.andWhere('o.userId = :userId', { userId });
    if (query.status) builder.andWhere('o.status = :status', { status: query.status });
    if (after) builder.andWhere('(o.createdAt, o.id) < (:createdAt, :id)', after);
    const rows = await builder.getMany();
    const items = rows.length ? await this.items.findBy({ orderId: In(rows.map((row) => row.id)) }) : [];
    for (const row of rows) row.items = items.filter((item) => item.orderId === row.id);
    return toPage(rows, query.limit, OrderResponse.of);
  }

  /** Owner or admin; `pending` or `paid` → `cancelled`, stock given back. */
  async cancel(caller: Principal, id: string): Promise<OrderResponse> {
    await this.visibleOrder(caller, id);
    await this.transition(id, [OrderStatus.Pending, OrderStatus.Paid], OrderStatus.Cancelled, true);
    return this.get(caller, id);
  }

  async ship(caller: Principal, id: string): Promise<OrderResponse> {
    await this.transition(id, [OrderStatus.Paid], OrderStatus.Shipped, false);
    return this.get(caller, id);
  }

  /**
   * Expires pending orders older than ORDER_PAYMENT_TIMEOUT and gives their stock back. Each order
   * is its own transaction whose conditional status change is the fence: if two sweeps overlap,
   * only one of them moves a given order, so its stock comes back once.
   */
  async expireUnpaidOrders(batch = 500): Promise<number> {
    const due = (await this.dataSource.query(
      `SELECT id FROM orders WHERE status = 'pending' AND created_at < now() - make_interval(secs => $1) ORDER BY created_at LIMIT $2`,
      [this.env.orderPaymentTimeout, batch],
    )) as { id: string }[];
    let expired = 0;
    for (const { id } of due) {
      try {
        await this.transition(id, [OrderStatus.Pending], OrderStatus.Expired, true);
        expired += 1;
      } catch (error) {
        if (!(error instanceof ConflictException)) throw error;
      }
    }
    if (expired > 0) this.logger.log(`Expired ${expired} unpaid orders`);
    return expired;
  }

  /**
   * Marks a pending order paid inside the caller's transaction, if the amount matches. The payments
   * webhook locks the row and decides before calling, so its errors are a fence, not an answer.
   */
  async markPaid(
    manager: EntityManager,
    orderId: string,
    amountCents: number,
  ): Promise<{ userId: string; totalCents: number; currency: string }> {
    const [rows] = (await manager.query(
      `UPDATE orders SET status = 'paid', paid_at = now(), updated_at = now()
       WHERE id = $1 AND status = 'pending' AND total_cents = $2 RETURNING user_id, total_cents, currency`,
      [orderId, amountCents],
    )) as [{ user_id: string; total_cents: string; currency: string }[], number];
    if (rows[0]) return { userId: rows[0].user_id, totalCents: Number(rows[0].total_cents), currency: rows[0].currency };
    const order = await manager.findOneBy(Order, { id: orderId });
    if (!order) throw new NotFoundException('No such order.');
    if (order.status !== OrderStatus.Pending) throw new ConflictException(`The order is ${order.status}, not pending.`);
    throw new ConflictException(`The amount ${amountCents} does not match the order total ${order.totalCents}.`);
  }

  private async visibleOrder(caller: Principal, id: string): Promise<Order> {
    const order = await this.orders.findOne({ where: { id }, relations: { items: true } });
    // Someone else's order is "not found", never "forbidden": its existence is not the caller's business.
    if (!order || (!isAdmin(caller) && order.userId !== caller.id)) throw new NotFoundException('No such order.');
    return order;
  }

  /**
   * Conditional status change (the fence), optionally giving the stock back, in one transaction.
   * A paid order that is cancelled owes its buyer the money: the ledger records a refund due.
   */
  private async transition(id: string, from: OrderStatus[], to: OrderStatus, restock: boolean): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const [rows] = (await manager.query(
        `UPDATE orders SET status = $2, updated_at = now()
         FROM (SELECT id, status FROM orders WHERE id = $1 FOR UPDATE) AS previous
         WHERE orders.id = previous.id AND previous.status = ANY($3)
         RETURNING previous.status AS previous_status, orders.total_cents`,
        [id, to, from],
      )) as [{ previous_status: OrderStatus; total_cents: string }[], number];
      if (rows.length === 0) {
        const order = await manager.findOneBy(Order, { id });
        if (!order) throw new NotFoundException('No such order.');
        throw new ConflictException(`An order that is ${order.status} cannot become ${to}.`);
      }
      if (to === OrderStatus.Cancelled && rows[0].previous_status === OrderStatus.Paid) {
        await this.ledger.recordRefundForCancelledOrder(manager, id, Number(rows[0].total_cents));
      }
      if (!restock) return;
      const lines = (await manager.query(`SELECT product_id AS "productId", quantity FROM order_items WHERE order_id = $1`, [id])) as {
        productId: string;
        quantity: number;
      }[];
      await this.stock.giveBack(manager, lines);
    });
  }
}
