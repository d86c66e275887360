import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { decodeCursor, toPage } from '../../shared/http/pagination';
import { PaymentLedgerEntryResponse, PaymentLedgerPage, PaymentLedgerQuery } from '../dto/payment-ledger.dto';
import { PaymentLedgerEntry, PaymentLedgerType, PaymentOutcome, RefundReason } from '../entities/payment-ledger-entry.entity';

export interface ProviderEventEntry {
  eventId: string;
  type: PaymentLedgerType;
  orderId: string;
  amountCents: number;
  outcome: PaymentOutcome;
  reason: RefundReason | null;
}

/** The append-only payments ledger: entries are inserted, never updated or deleted. */
@Injectable()
export class PaymentLedger {
  constructor(@InjectRepository(PaymentLedgerEntry) private readonly entries: Repository<PaymentLedgerEntry>) {}

  /**
   * Records a provider event in the caller's transaction; `false` when its eventId is already
   * recorded. A concurrent delivery of the same event waits here for the first one's transaction
   * and then inserts nothing, so each event is recorded (and acted on) once.
   */
  async recordEvent(manager: EntityManager, entry: ProviderEventEntry): Promise<boolean> {
    const inserted = (await manager.query(
      `INSERT INTO payment_ledger (event_id, type, order_id, amount_cents, outcome, reason) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (event_id) DO NOTHING RETURNING id`,
      [entry.eventId, entry.type, entry.orderId, entry.amountCents, entry.outcome, entry.reason],
    )) as unknown[];
    return inserted.length > 0;
  }

  async findByEventId(manager: EntityManager, eventId: string): Promise<Pick<PaymentLedgerEntry, 'outcome' | 'reason'> | null> {
    return manager.findOne(PaymentLedgerEntry, { select: { outcome: true, reason: true }, where: { eventId } });
  }

  /**
   * A paid order was cancelled: its total is owed back. Call it inside the cancelling transaction;
   * a second call for the same order records nothing (partial unique index on cancellations).
   */
  async recordRefundForCancelledOrder(manager: EntityManager, orderId: string, amountCents: number): Promise<void> {
    await manager.query(
      `INSERT INTO payment_ledger (event_id, type, order_id, amount_cents, outcome, reason)
       VALUES (NULL, 'order.cancelled', $1, $2, 'refund_due', 'paid_order_cancelled')
       ON CONFLICT (order_id) WHERE type = 'order.cancelled' DO NOTHING`,
      [orderId, amountCents],
    );
  }

  /** Newest first, keyset-paginated like every list of this API. */
  async list(query: PaymentLedgerQuery): Promise<PaymentLedgerPage> {
    const after = decodeCursor(query.cursor);
    const builder = this.entries
      .createQueryBuilder('e')
      .orderBy('e.createdAt', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .take(query.limit + 1);
    if (query.orderId) builder.andWhere('e.orderId = :orderId', { orderId: query.orderId });
    if (query.outcome) builder.andWhere('e.outcome = :outcome', { outcome: query.outcome });
    if (after) builder.andWhere('(e.createdAt, e.id) < (:createdAt, :id)', after);
    return toPage(await builder.getMany(), query.limit, PaymentLedgerEntryResponse.of);
  }
}
