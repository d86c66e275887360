import { BadRequestException, ConflictException, ForbiddenException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import type { Principal } from '../auth/access-tokens';
import { ProductsService } from '../products/products.service';
import { ENVIRONMENT } from '../shared/config/config.module';
import type { Environment } from '../shared/config/environment';
import { decodeCursor, toPage } from '../shared/http/pagination';
import { Role } from '../users/entities/user.entity';
import { CreateOrderDto, OrderListQuery, OrderPage, OrderResponse } from './dto/order.dto';
import { OrderItem } from './entities/order-item.entity';
import { Order, OrderStatus } from './entities/order.entity';

interface PricedLine {
  position: number;
  product_id: string;
  quantity: number;
  sku: string;
  name: string;
  price_cents: number;
  line_total: number | string;
  active: boolean;
  stock: number;
}

interface CreateResult {
  ok: boolean;
  total: string;
  created_at: Date | null;
  updated_at: Date | null;
  lines: PricedLine[];
}

const isAdmin = (caller: Principal) => caller.role === Role.Admin;

@Injectable()
export class OrdersService {
  private readonly logger = new Logger(OrdersService.name);

  constructor(
    private readonly dataSource: DataSource,
    @InjectRepository(Order) private readonly orders: Repository<Order>,
    @InjectRepository(OrderItem) private readonly items: Repository<OrderItem>,
    private readonly products: ProductsService,
    @Inject(ENVIRONMENT) private readonly env: Environment,
  ) {}

  /**
   * Creates the order and takes its stock in ONE statement (one round trip, its own transaction):
   * it locks the products in id order (no deadlocks between multi-line orders; NO KEY UPDATE, since
   * the order lines' foreign keys take KEY SHARE on the same rows), prices the lines from the locked
   * rows, and only if every line is for sale with enough stock does it take the stock and insert
   * the order and its lines. Otherwise nothing is written and the cause is named. The database is
   * the fence against overselling, whichever API process serves the request, and a product's row
   * lock is held for this one statement only.
   */
  async create(caller: Principal, dto: CreateOrderDto): Promise<OrderResponse> {
    const productIds = dto.items.map((item) => item.productId);
    if (new Set(productIds).size !== productIds.length) throw new BadRequestException('Each product may appear in one line only.');
    const id = randomUUID();
    const [result] = (await this.dataSource.query(
      `WITH line AS (
         SELECT * FROM unnest($2::uuid[], $3::int[]) WITH ORDINALITY AS l(product_id, quantity, position)
       ), locked AS (
         SELECT id, sku, name, price_cents, stock, active FROM products WHERE id = ANY($2::uuid[]) ORDER BY id FOR NO KEY UPDATE
       ), priced AS (
         SELECT line.position - 1 AS position, line.product_id, line.quantity, locked.sku, locked.name, locked.price_cents,
                locked.price_cents::bigint * line.quantity AS line_total, locked.active, locked.stock
         FROM line JOIN locked ON locked.id = line.product_id
       ), verdict AS (
         SELECT count(*) = $4 AND coalesce(bool_and(active AND stock >= quantity), false) AS ok,
                coalesce(sum(line_total), 0) AS total
         FROM priced
       ), taken AS (
         UPDATE products SET stock = products.stock - priced.quantity, updated_at = now()
         FROM priced, verdict WHERE verdict.ok AND products.id = priced.product_id
         RETURNING products.id
       ), created AS (
         INSERT INTO orders (id, user_id, status, total_cents, currency)
         SELECT $1, $5, 'pending', verdict.total, $6 FROM verdict WHERE verdict.ok
         RETURNING created_at, updated_at
       ), lines AS (
         INSERT INTO order_items (order_id, position, product_id, sku, name, unit_price_cents, quantity, line_total_cents)
         SELECT $1, position, product_id, sku, name, price_cents, quantity, line_total FROM priced, verdict WHERE verdict.ok
       )
       SELECT verdict.ok, verdict.total::bigint AS total, created.created_at, created.updated_at,
              (SELECT coalesce(json_agg(priced ORDER BY position), '[]') FROM priced) AS lines
       FROM verdict LEFT JOIN created ON true`,
      [id, productIds, dto.items.map((item) => item.quantity), productIds.length, caller.id, this.env.storeCurrency],
    )) as CreateResult[];
    if (!result.ok) throw this.whyNotCreated(dto, result.lines);
    await this.products.invalidate(productIds);
    return OrderResponse.of(
      this.orders.create({
        id,
        userId: caller.id,
        status: OrderStatus.Pending,
        totalCents: Number(result.total),
        currency: this.env.storeCurrency,
        createdAt: result.created_at!,
        updatedAt: result.updated_at!,
        paidAt: null,
        items: result.lines.map((line) =>
          this.items.create({
            position: line.position,
            productId: line.product_id,
            sku: line.sku,
            name: line.name,
            unitPriceCents: line.price_cents,
            quantity: line.quantity,
            lineTotalCents: Number(line.line_total),
          }),
        ),
      }),
    );
  }

  /** Names the first line that could not be served: unknown or retired products are 400, short stock 409. */
  private whyNotCreated(dto: CreateOrderDto, lines: PricedLine[]): Error {
    for (const item of dto.items) {
      const line = lines.find((candidate) => candidate.product_id === item.productId);
      if (!line?.active) return new BadRequestException(`Product ${item.productId} does not exist or is not for sale.`);
      if (line.stock < item.quantity) {
        return new ConflictException(`Not enough stock for product ${line.sku} (${line.product_id}): ${line.stock} left.`);
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
    const productIds = await this.transition(id, [OrderStatus.Pending, OrderStatus.Paid], OrderStatus.Cancelled, true);
    await this.products.invalidate(productIds);
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
    const touched = new Set<string>();
    for (const { id } of due) {
      try {
        const productIds = await this.transition(id, [OrderStatus.Pending], OrderStatus.Expired, true);
        productIds.forEach((productId) => touched.add(productId));
        expired += 1;
      } catch (error) {
        if (!(error instanceof ConflictException)) throw error;
      }
    }
    if (touched.size > 0) await this.products.invalidate([...touched]);
    if (expired > 0) this.logger.log(`Expired ${expired} unpaid orders`);
    return expired;
  }

  /** Marks a pending order paid inside the caller's transaction, if the amount matches. */
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

  /** Conditional status change (the fence), optionally giving the stock back; returns the products touched. */
  private async transition(id: string, from: OrderStatus[], to: OrderStatus, restock: boolean): Promise<string[]> {
    return this.dataSource.transaction(async (manager) => {
      const [rows] = (await manager.query(
        `UPDATE orders SET status = $2, updated_at = now() WHERE id = $1 AND status = ANY($3) RETURNING id`,
        [id, to, from],
      )) as [{ id: string }[], number];
      if (rows.length === 0) {
        const order = await manager.findOneBy(Order, { id });
        if (!order) throw new NotFoundException('No such order.');
        throw new ConflictException(`An order that is ${order.status} cannot become ${to}.`);
      }
      if (!restock) return [];
      const lines = (await manager.query(
        `SELECT p.id, i.quantity FROM order_items i JOIN products p ON p.id = i.product_id WHERE i.order_id = $1 ORDER BY p.id FOR NO KEY UPDATE OF p`,
        [id],
      )) as { id: string; quantity: number }[];
      await manager.query(
        `UPDATE products SET stock = stock + line.quantity, updated_at = now()
         FROM unnest($1::uuid[], $2::int[]) AS line(id, quantity) WHERE products.id = line.id`,
        [lines.map((line) => line.id), lines.map((line) => line.quantity)],
      );
      return lines.map((line) => line.id);
    });
  }
}
