import { Body, Controller, HttpCode, HttpStatus, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Public } from '../shared/http/public.decorator';
import { PaymentEventDto, PaymentEventResult } from './dto/payment-event.dto';
import { PaymentsService } from './payments.service';
import { WebhookSignatureGuard } from './webhook-signature.guard';

@ApiTags('payments')
@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  /** Called by the payment provider; authenticated by the HMAC signature instead of a user token. */
  @Public()
  @UseGuards(WebhookSignatureGuard)
  @Post('webhook')
  @HttpCode(HttpStatus.OK)
  @ApiHeader({ name: 'X-Signature', required: true, description: 'sha256=<hex HMAC-SHA256 of the raw body>' })
  @ApiOkResponse({ type: PaymentEventResult })
  @ApiUnauthorizedResponse({ description: 'Missing or bad signature' })
  webhook(@Body() event: PaymentEventDto): Promise<PaymentEventResult> {
    return this.payments.handle(event);
  }
}
