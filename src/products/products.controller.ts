import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiPreconditionFailedResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Principal } from '../auth/access-tokens';
import { CurrentUser } from '../auth/decorators/current-user.decorator';
import { Roles } from '../auth/decorators/roles.decorator';
import { EntityTagInterceptor } from '../shared/http/entity-tag';
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
  list(@Query() query: ProductListQuery): Promise<ProductPage> {
    return this.products.list(query);
  }

  @Public()
  @Get(':id')
  @UseInterceptors(EntityTagInterceptor)
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'An ETag from an earlier read: 304 while it is current' })
  @ApiOkResponse({ type: ProductResponse, headers: { ETag: { description: 'The version of the product', schema: { type: 'string' } } } })
  @ApiNotModifiedResponse({ description: 'The product is still at the version of If-None-Match' })
  get(@CurrentUser() caller: Principal | undefined, @Param('id', ParseUUIDPipe) id: string): Promise<ProductResponse> {
    return this.products.get(caller, id);
  }

  @Post()
  @Roles(Role.Admin)
  @UseInterceptors(EntityTagInterceptor)
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: ProductResponse })
  create(@Body() body: CreateProductDto): Promise<ProductResponse> {
    return this.products.create(body);
  }

  @Patch(':id')
  @Roles(Role.Admin)
  @UseInterceptors(EntityTagInterceptor)
  @ApiBearerAuth()
  @ApiHeader({ name: 'If-Match', required: false, description: 'Change only if the product is still at this ETag' })
  @ApiOkResponse({
    type: ProductResponse,
    headers: { ETag: { description: 'The new version of the product', schema: { type: 'string' } } },
  })
  @ApiPreconditionFailedResponse({ description: 'The product changed since the If-Match ETag; nothing was written' })
  update(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: UpdateProductDto,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<ProductResponse> {
    return this.products.update(id, body, ifMatch);
  }

  @Delete(':id')
  @Roles(Role.Admin)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @ApiNoContentResponse()
  remove(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    return this.products.deactivate(id);
  }
}
