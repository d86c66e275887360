import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Order, OrderStatus } from '../orders/entities/order.entity';
import { OrdersService } from '../orders/orders.service';
import { Outbox } from '../shared/queue/outbox';
import { User } from '../users/entities/user.entity';
import { PaymentEventDto, PaymentEventResult } from './dto/payment-event.dto';
import { PaymentOutcome, RefundReason } from './entities/payment-ledger-entry.entity';
import { PaymentLedger } from './ledger/payment-ledger';

interface Decision {
  outcome: PaymentOutcome;
  reason: RefundReason | null;
}

const refundDue = (reason: RefundReason): Decision => ({ outcome: PaymentOutcome.RefundDue, reason });

/** Money captured for an order that can no longer take it. */
const REFUSING_STATUS: Record<Exclude<OrderStatus, OrderStatus.Pending>, RefundReason> = {
  [OrderStatus.Cancelled]: RefundReason.OrderCancelled,
  [OrderStatus.Expired]: RefundReason.OrderExpired,
  [OrderStatus.Paid]: RefundReason.OrderAlreadyPaid,
  [OrderStatus.Shipped]: RefundReason.OrderAlreadyPaid,
};

@Injectable()
export class PaymentsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrdersService,
    private readonly ledger: PaymentLedger,
    private readonly outbox: Outbox,
  ) {}

  /**
   * Every signed, well-formed event is answered 200 and recorded once: the provider retries any
   * other answer for days, so a payment the store cannot keep becomes a `refund_due` entry instead
   * of a refusal. One transaction decides, records the event, and (if applied) marks the order paid
   * and queues the confirmation mail; a repeated eventId changes nothing and reports the original.
   */
  async handle(event: PaymentEventDto): Promise<PaymentEventResult> {
    return this.dataSource.transaction(async (manager) => {
      const decision = await this.decide(manager, event);
      if (!(await this.ledger.recordEvent(manager, { ...event, ...decision }))) {
        const original = await this.ledger.findByEventId(manager, event.eventId);
        return { status: 'duplicate' as const, outcome: original!.outcome, reason: original!.reason };
      }
      if (decision.outcome === PaymentOutcome.Applied) await this.payOrder(manager, event);
      return { status: 'processed' as const, ...decision };
    });
  }

  /**
   * The order row is locked until commit, so a concurrent delivery of the same event, another
   * payment, a cancellation or the expiry sweep waits and then sees this event's effect. An order
   * still pending past its payment timeout but not yet swept is paid: its stock is still held.
   */
  private async decide(manager: EntityManager, event: PaymentEventDto): Promise<Decision> {
    if (event.type === 'payment.failed') return { outcome: PaymentOutcome.Ignored, reason: null };
    const order = await manager.findOne(Order, { where: { id: event.orderId }, lock: { mode: 'pessimistic_write' } });
    if (!order) return refundDue(RefundReason.UnknownOrder);
    if (order.status !== OrderStatus.Pending) return refundDue(REFUSING_STATUS[order.status]);
    if (order.totalCents !== event.amountCents) return refundDue(RefundReason.AmountMismatch);
    return { outcome: PaymentOutcome.Applied, reason: null };
  }

  private async payOrder(manager: EntityManager, event: PaymentEventDto): Promise<void> {
    const paid = await this.orders.markPaid(manager, event.orderId, event.amountCents);
    const buyer = await manager.findOneByOrFail(User, { id: paid.userId });
    await this.outbox.add(manager, 'order-confirmation-mail', {
      to: buyer.email,
      name: buyer.name,
      orderId: event.orderId,
      totalCents: paid.totalCents,
      currency: paid.currency,
    });
  }
}
