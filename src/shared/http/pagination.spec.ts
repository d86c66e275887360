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

  it('returns a next cursor only when a further row exists', () => {
    const rows = [position, { ...position, id: '1b6f7f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b' }];
    expect(toPage(rows, 2, (row) => row.id).nextCursor).toBeNull();
    const page = toPage(rows, 1, (row) => row.id);
    expect(page.data).toEqual([position.id]);
    expect(decodeCursor(page.nextCursor!)).toEqual(position);
  });
});
