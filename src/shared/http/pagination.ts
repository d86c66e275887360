import { BadRequestException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({ description: 'Opaque cursor from a previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class Page<T> {
  @ApiProperty({ isArray: true })
  data: T[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}

/** A position in a list ordered by (createdAt DESC, id DESC). */
export interface KeysetPosition {
  createdAt: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): KeysetPosition | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    if (typeof id !== 'string' || !UUID.test(id) || Number.isNaN(date.getTime())) throw new Error('shape');
    return { createdAt: date, id };
  } catch {
    throw new BadRequestException('cursor is not a cursor returned by this API');
  }
}

/** Fetch `limit + 1` rows; the extra one only tells whether another page exists. */
export function toPage<Row extends KeysetPosition, Item>(rows: Row[], limit: number, map: (row: Row) => Item): Page<Item> {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data: data.map(map), nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
