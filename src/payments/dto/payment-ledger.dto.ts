import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsOptional, IsUUID } from 'class-validator';
import { PageQuery } from '../../shared/http/pagination';
import {
  PAYMENT_LEDGER_TYPES,
  PaymentLedgerEntry,
  PaymentLedgerType,
  PaymentOutcome,
  RefundReason,
} from '../entities/payment-ledger-entry.entity';

export class PaymentLedgerQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid', maxLength: 36 })
  @IsOptional()
  @IsUUID()
  orderId?: string;

  @ApiPropertyOptional({ enum: PaymentOutcome, description: '`refund_due`: money captured that the store must give back' })
  @IsOptional()
  @IsEnum(PaymentOutcome)
  outcome?: PaymentOutcome;
}

export class PaymentLedgerEntryResponse {
  @ApiProperty({ format: 'uuid', maxLength: 36 }) id: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: "The provider's event id; null for entries the store made itself",
    maxLength: 255,
  })
  eventId: string | null;
  @ApiProperty({ format: 'uuid', maxLength: 36 }) orderId: string;
  @ApiProperty({ enum: PAYMENT_LEDGER_TYPES }) type: PaymentLedgerType;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) amountCents: number;
  @ApiProperty({ enum: PaymentOutcome }) outcome: PaymentOutcome;
  @ApiProperty({ enum: [...Object.values(RefundReason), null], nullable: true }) reason: RefundReason | null;
  @ApiProperty({ type: String, format: 'date-time', maxLength: 30 }) createdAt: string;

  static of(entry: PaymentLedgerEntry): PaymentLedgerEntryResponse {
    return {
      id: entry.id,
      eventId: entry.eventId,
      orderId: entry.orderId,
      type: entry.type,
      amountCents: entry.amountCents,
      outcome: entry.outcome,
      reason: entry.reason,
      createdAt: entry.createdAt.toISOString(),
    };
  }
}

export class PaymentLedgerPage {
  @ApiProperty({ type: [PaymentLedgerEntryResponse], maxItems: 100 }) data: PaymentLedgerEntryResponse[];
  @ApiProperty({ type: String, nullable: true, maxLength: 200 }) nextCursor: string | null;
}
