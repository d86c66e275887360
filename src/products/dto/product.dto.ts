import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import { PageQuery } from '../../shared/http/pagination';
import type { Product } from '../entities/product.entity';

const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const MAX_PRICE_CENTS = 100_000_000;
const MAX_STOCK = 1_000_000_000;

export class CreateProductDto {
  @ApiProperty({ example: 'MUG-001', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$', minLength: 1, maxLength: 64 })
  @Transform(trimmed)
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: 'sku must be 1..64 letters, digits, dots, dashes or underscores' })
  sku: string;

  @ApiProperty({ example: 'Coffee mug', minLength: 1, maxLength: 200, pattern: '\\S', description: 'Trimmed' })
  @Transform(trimmed)
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiPropertyOptional({ maxLength: 5000, description: 'Empty when a new product is created without one' })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string;

  @ApiProperty({
    description: 'Price in minor units of STORE_CURRENCY',
    example: 1299,
    type: 'integer',
    format: 'int32',
    minimum: 0,
    maximum: MAX_PRICE_CENTS,
  })
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE_CENTS)
  priceCents: number;

  @ApiProperty({ example: 100, type: 'integer', format: 'int32', minimum: 0, maximum: MAX_STOCK })
  @IsInt()
  @Min(0)
  @Max(MAX_STOCK)
  stock: number;
}

export class UpdateProductDto extends PartialType(CreateProductDto) {}

export class ProductListQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Case-insensitive match anywhere in the name', minLength: 1, maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  q?: string;
}

export class ProductResponse {
  @ApiProperty({ format: 'uuid', maxLength: 36 }) id: string;
  @ApiProperty({ maxLength: 64 }) sku: string;
  @ApiProperty({ maxLength: 200 }) name: string;
  @ApiProperty({ maxLength: 5000 }) description: string;
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, maximum: MAX_PRICE_CENTS }) priceCents: number;
  @ApiProperty({ example: 'USD', pattern: '^[A-Z]{3}$', maxLength: 3 }) currency: string;
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, maximum: MAX_STOCK }) stock: number;
  @ApiProperty() active: boolean;
  @ApiProperty({ type: String, format: 'date-time', maxLength: 30 }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', maxLength: 30 }) updatedAt: string;

  static of(product: Product): ProductResponse {
    return {
      id: product.id,
      sku: product.sku,
      name: product.name,
      description: product.description,
      priceCents: product.priceCents,
      currency: product.currency,
      stock: product.stock,
      active: product.active,
      createdAt: product.createdAt.toISOString(),
      updatedAt: product.updatedAt.toISOString(),
    };
  }
}

export class ProductPage {
  @ApiProperty({ type: [ProductResponse], maxItems: 100 }) data: ProductResponse[];
  @ApiProperty({ type: String, nullable: true, maxLength: 200 }) nextCursor: string | null;
}
