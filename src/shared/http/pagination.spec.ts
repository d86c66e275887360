import { BadRequestException } from '@nestjs/common';
import { decodeCursor, encodeCursor, toPage } from './pagination';

describe('keyset cursors', () => {
  const position = { createdAt: new Date('2026-01-02T03:04:05.678Z'), id: '0b6f7f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b' };

  it('round-trips a position', () => {
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it.each(['', 'garbage', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["not a date","x"]').toString('base64url')])(
    'rejects %j with a 400',
    (cursor) => {
      expect(() => decodeCursor(cursor)).toThrow(BadRequestException);
    },
  );

  const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it.each([
    ['year 10000', ['+010000-01-01T00:00:00.000Z', position.id]],
    ['year 275760', ['+275760-09-13T00:00:00.000Z', position.id]],
    ['the largest JavaScript date as a number', [8.64e15, position.id]],
    ['a negative year', ['-000001-01-01T00:00:00.000Z', position.id]],
    ['a date before 1970', ['1969-12-31T23:59:59.999Z', position.id]],
    ['a day that does not exist', ['2026-02-30T00:00:00.000Z', position.id]],
    ['an hour that does not exist', ['2026-01-01T25:00:00.000Z', position.id]],
    ['a date without a time', ['2026-01-01', position.id]],
    ['a malformed id', [position.createdAt.toISOString(), 'not-a-uuid']],
    ['a third element', [position.createdAt.toISOString(), position.id, 1]],
    ['an object', { createdAt: position.createdAt.toISOString(), id: position.id }],
    ['null', null],
  ])('rejects a cursor with %s as a 400', (_, value) => {
    expect(() => decodeCursor(cursorOf(value))).toThrow(BadRequestException);
  });

  it('accepts the latest position PostgreSQL and the cursor format hold', () => {
    const latest = { createdAt: new Date('9999-12-31T23:59:59.999Z'), id: position.id };
    expect(decodeCursor(encodeCursor(latest))).toEqual(latest);
  });

  it('returns a next cursor only when a further row exists', () => {
    const rows = [position, { ...position, id: '1b6f7f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b' }];
    expect(toPage(rows, 2, (row) => row.id).nextCursor).toBeNull();
    const page = toPage(rows, 1, (row) => row.id);
    expect(page.data).toEqual([position.id]);
    expect(decodeCursor(page.nextCursor!)).toEqual(position);
  });
});
