import { ArgumentMetadata } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, ValidateNested } from 'class-validator';
import { ValidationFailedException } from './problem-details.filter';
import { MAX_INPUT_DEPTH } from './storable-input';
import { createValidationPipe } from './validation';

class Line {
  @ApiProperty() @IsInt() quantity: number;
  @ApiPropertyOptional() @IsOptional() @IsString() note?: string;
}

class Thing {
  @ApiProperty() @IsString() name: string;
  @ApiPropertyOptional() @IsOptional() @IsString() description?: string;
  @ApiPropertyOptional({ type: String, nullable: true }) @IsOptional() @IsString() nickname?: string | null;
  @ApiPropertyOptional({ type: [Line] }) @IsOptional() @ValidateNested({ each: true }) @Type(() => Line) lines?: Line[];
}

class ThingPatch extends PartialType(Thing) {}

const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });

async function refusal(value: unknown, metadata: ArgumentMetadata) {
  try {
    await createValidationPipe().transform(value, metadata);
  } catch (error) {
    if (error instanceof ValidationFailedException) return error.errors;
    throw error;
  }
  throw new Error('accepted');
}

describe('the global validation pipe', () => {
  const pipe = createValidationPipe();

  it('accepts a valid body, null where the property is documented nullable, and absent optional fields', async () => {
    await expect(pipe.transform({ name: 'a', nickname: null }, body(Thing))).resolves.toMatchObject({ name: 'a', nickname: null });
    await expect(pipe.transform({}, body(ThingPatch))).resolves.toBeInstanceOf(ThingPatch);
    await expect(pipe.transform({ nickname: null }, body(ThingPatch))).resolves.toMatchObject({ nickname: null });
  });

  it('refuses null for a property that cannot be null, @IsOptional() or not, nested or not', async () => {
    expect(await refusal({ name: 'a', description: null }, body(Thing))).toEqual([
      { field: 'description', message: 'description must not be null' },
    ]);
    expect(await refusal({ name: null }, body(ThingPatch))).toEqual([{ field: 'name', message: 'name must not be null' }]);
    expect(await refusal({ name: 'a', lines: [{ quantity: 1, note: null }] }, body(Thing))).toEqual([
      { field: 'lines.0.note', message: 'lines.0.note must not be null' },
    ]);
  });

  it.each([
    ['a NUL in a value', { name: 'a\u0000b' }, 'name', 'NUL'],
    ['a NUL in a nested value', { name: 'a', lines: [{ quantity: 1, note: '\u0000' }] }, 'lines.0.note', 'NUL'],
    ['a NUL in a key', { name: 'a', ['x\u0000']: 1 }, 'body', 'NUL'],
    ['a lone high surrogate', { name: '\ud800' }, 'name', 'surrogate'],
    ['a lone low surrogate', { name: 'a\udc00b' }, 'name', 'surrogate'],
  ])('refuses %s with the field named', async (_, value, field, word) => {
    expect(await refusal(value, body(Thing))).toEqual([{ field, message: expect.stringContaining(word) }]);
  });

  it('keeps a well-formed surrogate pair', async () => {
    await expect(pipe.transform({ name: 'mug \ud83d\ude00' }, body(Thing))).resolves.toMatchObject({ name: 'mug \ud83d\ude00' });
  });

  it('refuses NUL in query values and route parameters, whatever the parameter type', async () => {
    expect(await refusal({ q: '\u0000' }, { type: 'query', metatype: Object })).toEqual([
      { field: 'q', message: expect.stringContaining('NUL') },
    ]);
    expect(await refusal('\u0000', { type: 'param', metatype: String, data: 'id' })).toEqual([
      { field: 'id', message: expect.stringContaining('NUL') },
    ]);
  });

  it('refuses nesting deeper than the limit without recursing into it', async () => {
    let nested: unknown = 1;
    for (let level = 0; level < 100_000; level += 1) nested = [nested];
    expect(await refusal({ name: 'a', lines: nested }, body(Thing))).toEqual([
      { field: expect.any(String), message: `must not be nested more than ${MAX_INPUT_DEPTH} levels deep` },
    ]);
  });
});
