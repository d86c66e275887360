import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { PaymentOutcome, RefundReason } from '../entities/payment-ledger-entry.entity';

export const PAYMENT_EVENT_TYPES = ['payment.succeeded', 'payment.failed'] as const;

export class PaymentEventDto {
  @ApiProperty({ description: "The provider's unique event id", minLength: 1, maxLength: 255 })
  @IsString()
  @Length(1, 255)
  eventId: string;

  @ApiProperty({ enum: PAYMENT_EVENT_TYPES })
  @IsIn(PAYMENT_EVENT_TYPES)
  type: (typeof PAYMENT_EVENT_TYPES)[number];

  @ApiProperty({ format: 'uuid', maxLength: 36 })
  @IsUUID()
  orderId: string;

  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  amountCents: number;
}

export class PaymentEventResult {
  @ApiProperty({
    enum: ['processed', 'duplicate'],
    description: '`duplicate`: this eventId was recorded before; nothing changed, and outcome and reason are the first delivery’s',
  })
  status: 'processed' | 'duplicate';

  @ApiProperty({ enum: PaymentOutcome })
  outcome: PaymentOutcome;

  // OpenAPI 3.0: `nullable` does not extend `enum`, so null is listed among the values.
  @ApiProperty({ enum: [...Object.values(RefundReason), null], nullable: true, description: 'Why a refund is due; null otherwise' })
  reason: RefundReason | null;
}
