import { PasswordHasher } from '../src/auth/password-hasher';
import { register, TestApp, useTestApp } from './support/app';

/** Contract (v2): the login lockout counts an attempt before it checks the password. */
describe('Login lockout', () => {
  const context = useTestApp();
  let api: TestApp;
  let checks: string[];

  beforeAll(() => {
    api = context.api;
    // Counts real argon2 verifications: the spy calls through to the hasher.
    const hasher = api.app.get(PasswordHasher);
    const verify = hasher.verify.bind(hasher);
    checks = [];
    hasher.verify = (hash, password) => {
      checks.push(password);
      return verify(hash, password);
    };
  });

  const login = ({ email, password }: { email: string; password: string }) =>
    api.request({ method: 'POST', url: '/api/v1/auth/login', body: { email, password } });

  it('checks at most 5 of 30 concurrent wrong guesses for one e-mail, answers the rest 429, then refuses the right password', async () => {
    const victim = await register(api);
    const other = await register(api);
    checks.length = 0;

    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => login({ email: victim.email, password: `wrong guess ${i}` })));

    const unauthorized = responses.filter((response) => response.status === 401);
    const limited = responses.filter((response) => response.status === 429);
    expect(checks.length).toBeLessThanOrEqual(5);
    expect(unauthorized).toHaveLength(checks.length);
    expect(limited).toHaveLength(30 - checks.length);
    for (const response of limited) {
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }

    checks.length = 0;
    const rightPassword = await login({ email: victim.email.toUpperCase(), password: victim.password });
    expect(rightPassword.status).toBe(429);
    expect(Number(rightPassword.headers['retry-after'])).toBeGreaterThan(800);
    expect(checks).toHaveLength(0);

    // Positive control: another e-mail is not locked out, and its password is checked.
    const control = await login({ email: other.email, password: other.password });
    expect(control.status).toBe(200);
    expect(checks).toEqual([other.password]);
  });

  it('lets the right password in after fewer than 5 failures, and successes use up no attempts', async () => {
    const account = await register(api);
    for (let i = 0; i < 4; i += 1) expect((await login({ email: account.email, password: 'not the password' })).status).toBe(401);
    for (let i = 0; i < 3; i += 1) expect((await login(account)).status).toBe(200);
    expect((await login({ email: account.email, password: 'not the password' })).status).toBe(401);
    expect((await login(account)).status).toBe(429);
  });
});
