import { Body, Controller, Get, HttpCode, HttpStatus, Post, Query, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/decorators/roles.decorator';
import { WEBHOOK_SIGNATURE_SCHEME } from '../shared/http/api-responses';
import { SignedBy } from '../shared/http/public.decorator';
import { RawBody } from './capture-raw-body';
import { Role } from '../users/entities/user.entity';
import { PaymentEventDto, PaymentEventResult } from './dto/payment-event.dto';
import { PaymentLedgerPage, PaymentLedgerQuery } from './dto/payment-ledger.dto';
import { PaymentLedger } from './ledger/payment-ledger';
import { PaymentsService } from './payments.service';
import { WebhookSignatureGuard } from './webhook-signature.guard';

@ApiTags('payments')
@Controller('payments')
export class PaymentsController {
  constructor(
    private readonly payments: PaymentsService,
    private readonly ledger: PaymentLedger,
  ) {}

  /** Called by the payment provider; authenticated by the HMAC signature instead of a user token. */
  @SignedBy(WEBHOOK_SIGNATURE_SCHEME)
  @UseGuards(WebhookSignatureGuard)
  @Post('webhook')
  @RawBody()
  @HttpCode(HttpStatus.OK)
  @ApiHeader({
    name: 'X-Signature',
    required: true,
    description: 'sha256=<hex HMAC-SHA256 of the raw body>',
    schema: { type: 'string', pattern: '^sha256=[0-9a-fA-F]{64}$', maxLength: 71 },
  })
  @ApiOkResponse({ type: PaymentEventResult })
  webhook(@Body() event: PaymentEventDto): Promise<PaymentEventResult> {
    return this.payments.handle(event);
  }

  /** The payments ledger, newest first; `?outcome=refund_due` lists the money owed back. */
  @Get()
  @Roles(Role.Admin)
  @ApiOkResponse({ type: PaymentLedgerPage })
  list(@Query() query: PaymentLedgerQuery): Promise<PaymentLedgerPage> {
    return this.ledger.list(query);
  }
}
