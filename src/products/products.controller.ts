import { Body, Controller, Delete, Get, Headers, HttpCode, HttpStatus, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiNotModifiedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CallerRequest } from '../auth/decorators/current-user.decorator';
import { Roles } from '../auth/decorators/roles.decorator';
import { ApiPreconditionHeader, ApiProblemResponse, responseHeaders } from '../shared/http/api-responses';
import { ApiIdParam, IdParam, uuidParam } from '../shared/http/id-param.decorator';
import { JsonBody } from '../shared/http/json-body';
import { Public } from '../shared/http/public.decorator';
import { Role } from '../users/entities/user.entity';
import { CreateProductDto, ProductListQuery, ProductPage, ProductResponse, UpdateProductDto } from './dto/product.dto';
import { ProductsService } from './products.service';

@ApiTags('products')
@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Public()
  @Get()
  @ApiOkResponse({ type: ProductPage })
  list(@Query() query: ProductListQuery): Promise<JsonBody<ProductPage>> {
    return this.products.list(query);
  }

  @Public()
  @Get(':id')
  @ApiPreconditionHeader('If-None-Match', 'An ETag from an earlier read: 304 while it is current')
  @ApiOkResponse({ type: ProductResponse, headers: responseHeaders('ETag') })
  @ApiNotModifiedResponse({ description: 'The product is still at the version of If-None-Match', headers: responseHeaders('ETag') })
  @ApiIdParam()
  // The hottest read takes the request as it is (see CallerRequest): the same caller, the same 400 for a bad id.
  get(@Req() request: CallerRequest<{ id: string }>): Promise<JsonBody<ProductResponse>> {
    return this.products.get(request.user, uuidParam(request.params.id, 'id'));
  }

  @Post()
  @Roles(Role.Admin)
  @ApiCreatedResponse({ type: ProductResponse, headers: responseHeaders('ETag') })
  @ApiProblemResponse(409, 'A product with this sku exists')
  create(@Body() body: CreateProductDto): Promise<JsonBody<ProductResponse>> {
    return this.products.create(body);
  }

  @Patch(':id')
  @Roles(Role.Admin)
  @ApiPreconditionHeader('If-Match', 'Change only if the product is still at this ETag')
  @ApiOkResponse({ type: ProductResponse, headers: responseHeaders('ETag') })
  @ApiProblemResponse(409, 'Another product has this sku')
  @ApiProblemResponse(412, 'The product changed since the If-Match ETag; nothing was written')
  update(
    @IdParam() id: string,
    @Body() body: UpdateProductDto,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<JsonBody<ProductResponse>> {
    return this.products.update(id, body, ifMatch);
  }

  @Delete(':id')
  @Roles(Role.Admin)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  remove(@IdParam() id: string): Promise<void> {
    return this.products.deactivate(id);
  }
}
