import { describe, expect, it } from 'vitest';
import { securityHeaders } from './security-headers';

describe('securityHeaders', () => {
  it("gives documents helmet's full set, worked out once", () => {
    const { documents } = securityHeaders();
    expect(documents['content-security-policy']).toContain("default-src 'self'");
    expect(documents).toMatchObject({
      'x-content-type-options': 'nosniff',
      'cross-origin-opener-policy': 'same-origin',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
    });
    expect(documents['strict-transport-security']).toMatch(/^max-age=\d+/);
    expect(documents).not.toHaveProperty('x-powered-by');
  });

  it('gives JSON API responses the OWASP REST set: HSTS, nosniff, no framing, a CSP that loads nothing', () => {
    const { api, documents } = securityHeaders();
    expect(api).toEqual({
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'strict-transport-security': documents['strict-transport-security'],
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
  });
});
