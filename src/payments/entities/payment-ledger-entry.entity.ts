import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

export const PAYMENT_LEDGER_TYPES = ['payment.succeeded', 'payment.failed', 'order.cancelled'] as const;
export type PaymentLedgerType = (typeof PAYMENT_LEDGER_TYPES)[number];

export enum PaymentOutcome {
  /** The payment paid its order. */
  Applied = 'applied',
  /** Nothing to do (a failed payment). */
  Ignored = 'ignored',
  /** Money was captured that the store cannot keep: an operator refunds it at the provider. */
  RefundDue = 'refund_due',
}

export enum RefundReason {
  OrderCancelled = 'order_cancelled',
  OrderExpired = 'order_expired',
  OrderAlreadyPaid = 'order_already_paid',
  AmountMismatch = 'amount_mismatch',
  UnknownOrder = 'unknown_order',
  /** A store-made entry: a paid order was cancelled. */
  PaidOrderCancelled = 'paid_order_cancelled',
}

/**
 * One line of the append-only payments ledger: every provider event (by `eventId`) and every
 * refund the store itself owes (`eventId` null). `order_id` has no foreign key on purpose: an event
 * for an unknown order is recorded too. Names match migration 1764040300000.
 */
@Entity({ name: 'payment_ledger' })
@Unique('payment_ledger_event_id_unique', ['eventId'])
@Check('payment_ledger_type_check', `type IN ('payment.succeeded', 'payment.failed', 'order.cancelled')`)
@Check('payment_ledger_outcome_check', `outcome IN ('applied', 'ignored', 'refund_due')`)
@Index('payment_ledger_order', ['orderId'])
@Index('payment_ledger_created', { synchronize: false })
@Index('payment_ledger_outcome_created', { synchronize: false })
@Index('payment_ledger_one_cancellation_refund', ['orderId'], { unique: true, where: `type = 'order.cancelled'` })
export class PaymentLedgerEntry {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'event_id', type: 'varchar', length: 255, nullable: true })
  eventId: string | null;

  @Column({ type: 'varchar', length: 32 })
  type: PaymentLedgerType;

  @Column({ name: 'order_id', type: 'uuid' })
  orderId: string;

  @Column({ name: 'amount_cents', type: 'bigint', transformer: { to: (value: number) => value, from: (value: string) => Number(value) } })
  amountCents: number;

  @Column({ type: 'varchar', length: 16 })
  outcome: PaymentOutcome;

  @Column({ type: 'varchar', length: 32, nullable: true })
  reason: RefundReason | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;
}
