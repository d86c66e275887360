import { BadRequestException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export class PageQuery {
  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({ description: 'Opaque cursor from a previous page', maxLength: 200 })
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
/**
 * Exactly what `encodeCursor` writes, with a year PostgreSQL's `timestamptz` and node-postgres both
 * handle (no row of this API predates 1970): a JavaScript date outside it (year 10000, +275760)
 * would otherwise reach the database and fail there as a 500.
 */
const CURSOR_TIMESTAMP = /^(?:19[7-9]\d|[2-9]\d{3})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString('base64url');
}

/** The position a cursor stands for; anything else — including a position PostgreSQL cannot hold — is a 400. */
export function decodeCursor(cursor: string | undefined): KeysetPosition | undefined {
  if (cursor === undefined) return undefined;
  const position = parsePosition(cursor);
  if (!position) throw new BadRequestException('cursor is not a cursor returned by this API');
  return position;
}

function parsePosition(cursor: string): KeysetPosition | undefined {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) return undefined;
  const [createdAt, id] = decoded as unknown[];
  if (typeof createdAt !== 'string' || typeof id !== 'string' || !UUID.test(id) || !CURSOR_TIMESTAMP.test(createdAt)) return undefined;
  const date = new Date(createdAt);
  // Round-trips only for a real instant: no 2026-02-30, 25:00 or month 13.
  if (Number.isNaN(date.getTime()) || date.toISOString() !== createdAt) return undefined;
  return { createdAt: date, id };
}

/** Fetch `limit + 1` rows; the extra one only tells whether another page exists. */
export function toPage<Row extends KeysetPosition, Item>(rows: Row[], limit: number, map: (row: Row) => Item): Page<Item> {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data: data.map(map), nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
