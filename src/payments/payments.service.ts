import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OrdersService } from '../orders/orders.service';
import { Outbox } from '../shared/queue/outbox';
import { User } from '../users/entities/user.entity';
import { PaymentEventDto, PaymentEventResult } from './dto/payment-event.dto';

@Injectable()
export class PaymentsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrdersService,
    private readonly outbox: Outbox,
  ) {}

  /**
   * One transaction: record the event id (a repeat is answered 200 and changes nothing), mark the
   * order paid, queue the confirmation mail. A rejected event (409/404) rolls back, so it is not
   * recorded as processed.
   */
  async handle(event: PaymentEventDto): Promise<PaymentEventResult> {
    return this.dataSource.transaction(async (manager) => {
      const recorded = (await manager.query(
        `INSERT INTO payment_events (event_id, type, order_id, amount_cents) VALUES ($1, $2, $3, $4)
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
        [event.eventId, event.type, event.orderId, event.amountCents],
      )) as unknown[];
      if (recorded.length === 0) return { status: 'duplicate' as const };
      if (event.type === 'payment.succeeded') {
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
      return { status: 'processed' as const };
    });
  }
}
