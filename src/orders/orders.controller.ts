import { Body, Controller, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Principal } from '../auth/access-tokens';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Roles } from '../auth/decorators/roles.decorator';
import { ApiProblemResponse } from '../shared/http/api-responses';
import { IdParam } from '../shared/http/id-param.decorator';
import { ClaimedIdempotencyKey, IdempotencyClaim } from '../shared/idempotency/idempotency-claim';
import { Idempotent } from '../shared/idempotency/idempotent.decorator';
import { Role } from '../users/entities/user.entity';
import { CreateOrderDto, OrderListQuery, OrderPage, OrderResponse } from './dto/order.dto';
import { OrdersService } from './orders.service';

@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @Idempotent()
  @ApiCreatedResponse({ type: OrderResponse })
  @ApiProblemResponse(400, 'Invalid input, or an unknown or inactive product')
  @ApiProblemResponse(409, 'Not enough stock (the detail names the product), or a request with this Idempotency-Key is still in flight')
  create(
    @CurrentUser() caller: Principal,
    @Body() body: CreateOrderDto,
    @ClaimedIdempotencyKey() idempotency: IdempotencyClaim | undefined,
  ): Promise<OrderResponse> {
    return this.orders.create(caller, body, idempotency);
  }

  @Get()
  @ApiOkResponse({ type: OrderPage })
  @ApiProblemResponse(403, 'A customer filtered by another userId')
  list(@CurrentUser() caller: Principal, @Query() query: OrderListQuery): Promise<OrderPage> {
    return this.orders.list(caller, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: OrderResponse })
  get(@CurrentUser() caller: Principal, @IdParam() id: string): Promise<OrderResponse> {
    return this.orders.get(caller, id);
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: OrderResponse })
  @ApiProblemResponse(409, 'The order is neither pending nor paid')
  cancel(@CurrentUser() caller: Principal, @IdParam() id: string): Promise<OrderResponse> {
    return this.orders.cancel(caller, id);
  }

  @Post(':id/ship')
  @Roles(Role.Admin)
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: OrderResponse })
  @ApiProblemResponse(409, 'The order is not paid')
  ship(@CurrentUser() caller: Principal, @IdParam() id: string): Promise<OrderResponse> {
    return this.orders.ship(caller, id);
  }
}
