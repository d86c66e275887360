import { Body, Controller, Get, HttpCode, HttpStatus, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Roles } from '../auth/decorators/roles.decorator';
import { Public } from '../shared/http/public.decorator';
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
  @Public()
  @UseGuards(WebhookSignatureGuard)
  @Post('webhook')
  @RawBody()
  @HttpCode(HttpStatus.OK)
  @ApiHeader({ name: 'X-Signature', required: true, description: 'sha256=<hex HMAC-SHA256 of the raw body>' })
  @ApiOkResponse({ type: PaymentEventResult })
  @ApiUnauthorizedResponse({ description: 'Missing or bad signature' })
  webhook(@Body() event: PaymentEventDto): Promise<PaymentEventResult> {
    return this.payments.handle(event);
  }

  /** The payments ledger, newest first; `?outcome=refund_due` lists the money owed back. */
  @Get()
  @Roles(Role.Admin)
  @ApiBearerAuth()
  @ApiOkResponse({ type: PaymentLedgerPage })
  list(@Query() query: PaymentLedgerQuery): Promise<PaymentLedgerPage> {
    return this.ledger.list(query);
  }
}
