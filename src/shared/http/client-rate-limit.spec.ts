import { clientOf } from './client-rate-limit';

describe('clientOf (whom the per-IP limit counts a request against)', () => {
  it('keeps an IPv4 address, also when it arrives IPv4-mapped', () => {
    expect(clientOf('203.0.113.7')).toBe('203.0.113.7');
    expect(clientOf('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts every address of one IPv6 /64 as one client, and different /64s apart', () => {
    const first = clientOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(first).toBe('2001:db8:1:2::/64');
    expect(clientOf('2001:0db8:0001:0002::1')).toBe(first);
    expect(clientOf('2001:db8:1:2:ffff::')).toBe(first);
    expect(clientOf('2001:db8:1:3::1')).not.toBe(first);
    expect(clientOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientOf('::1')).toBe('0:0:0:0::/64');
    expect(clientOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});
