import { newAccount, register, TestApp, useTestApp } from './support/app';

describe('Auth', () => {
  const context = useTestApp();
  let api: TestApp;
  beforeAll(() => (api = context.api));

  describe('POST /auth/register', () => {
    it('returns 201 with the user, a token pair and expiresIn, and never the password hash', async () => {
      const account = newAccount();
      const response = await api.request({ method: 'POST', url: '/api/v1/auth/register', body: account });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        user: { email: account.email, name: account.name, role: 'customer' },
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expiresIn: 900,
      });
      expect(Object.keys(response.body.user).sort()).toEqual(['createdAt', 'email', 'id', 'name', 'role']);
      expect(response.text).not.toMatch(/argon2|password/i);
    });

    it('returns 409 for an e-mail already registered in another letter case', async () => {
      const account = newAccount();
      await register(api, account);
      const response = await api.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        body: { ...account, email: account.email.toUpperCase() },
      });
      expect(response.status).toBe(409);
      expect(response.headers['content-type']).toContain('application/problem+json');
    });

    it('gives one 201 and only 409s to concurrent registrations of one e-mail', async () => {
      const account = newAccount();
      const responses = await Promise.all(
        Array.from({ length: 8 }, () => api.request({ method: 'POST', url: '/api/v1/auth/register', body: account })),
      );
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    });

    it('returns 400 naming each unknown or invalid field', async () => {
      const response = await api.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        body: { email: 'not-an-email', password: 'short', name: '', nickname: 'x' },
      });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ type: expect.any(String), title: 'Bad Request', status: 400 });
      const fields = (response.body.errors as { field: string }[]).map((error) => error.field).sort();
      expect(fields).toEqual(['email', 'name', 'nickname', 'password']);
    });

    it('refuses a role in the body, so no one can register as admin', async () => {
      const response = await api.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        body: { ...newAccount(), role: 'admin' },
      });
      expect(response.status).toBe(400);
      expect(response.body.errors).toContainEqual({ field: 'role', message: expect.any(String) });
    });
  });

  describe('POST /auth/login', () => {
    it('returns 200 with a token pair for the right password, in any e-mail case', async () => {
      const account = await register(api);
      const response = await api.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        body: { email: account.email.toUpperCase(), password: account.password },
      });
      expect(response.status).toBe(200);
      expect(response.body.user.id).toBe(account.user.id);
      expect(response.text).not.toMatch(/argon2/);
    });

    it('returns the same 401 for a wrong password and an unknown e-mail', async () => {
      const account = await register(api);
      const wrongPassword = await api.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        body: { email: account.email, password: 'wrong password' },
      });
      const unknownEmail = await api.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        body: { email: newAccount().email, password: 'wrong password' },
      });
      expect(wrongPassword.status).toBe(401);
      expect(unknownEmail.status).toBe(401);
      expect(unknownEmail.body).toEqual(wrongPassword.body);
    });
  });

  describe('POST /auth/refresh', () => {
    it('rotates: returns a new pair and the old refresh token stops working', async () => {
      const account = await register(api);
      const first = await api.request({ method: 'POST', url: '/api/v1/auth/refresh', body: { refreshToken: account.refreshToken } });
      expect(first.status).toBe(200);
      expect(first.body.refreshToken).not.toBe(account.refreshToken);
      const me = await api.request({ url: '/api/v1/users/me', token: first.body.accessToken });
      expect(me.status).toBe(200);
      const again = await api.request({ method: 'POST', url: '/api/v1/auth/refresh', body: { refreshToken: account.refreshToken } });
      expect(again.status).toBe(401);
    });

    it('revokes the whole family when an already-rotated token is presented', async () => {
      const account = await register(api);
      const rotated = await api.request({ method: 'POST', url: '/api/v1/auth/refresh', body: { refreshToken: account.refreshToken } });
      const reuse = await api.request({ method: 'POST', url: '/api/v1/auth/refresh', body: { refreshToken: account.refreshToken } });
      expect(reuse.status).toBe(401);
      const successor = await api.request({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        body: { refreshToken: rotated.body.refreshToken },
      });
      expect(successor.status).toBe(401);
    });

    it('leaves other logins of the same user alone when one family is revoked', async () => {
      const account = await register(api);
      const otherLogin = await api.request({
        method: 'POST',
        url: '/api/v1/auth/login',
        body: { email: account.email, password: account.password },
      });
      await api.request({ method: 'POST', url: '/api/v1/auth/refresh', body: { refreshToken: account.refreshToken } });
      await api.request({ method: 'POST', url: '/api/v1/auth/refresh', body: { refreshToken: account.refreshToken } });
      const other = await api.request({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        body: { refreshToken: otherLogin.body.refreshToken },
      });
      expect(other.status).toBe(200);
    });

    it('returns 401 for a token it never issued', async () => {
      const response = await api.request({ method: 'POST', url: '/api/v1/auth/refresh', body: { refreshToken: 'made-up' } });
      expect(response.status).toBe(401);
    });
  });

  describe('POST /auth/logout', () => {
    it('returns 204 and that refresh token stops working', async () => {
      const account = await register(api);
      const logout = await api.request({
        method: 'POST',
        url: '/api/v1/auth/logout',
        token: account.accessToken,
        body: { refreshToken: account.refreshToken },
      });
      expect(logout.status).toBe(204);
      const refresh = await api.request({ method: 'POST', url: '/api/v1/auth/refresh', body: { refreshToken: account.refreshToken } });
      expect(refresh.status).toBe(401);
    });

    it('requires a signed-in caller', async () => {
      const response = await api.request({ method: 'POST', url: '/api/v1/auth/logout', body: { refreshToken: 'x' } });
      expect(response.status).toBe(401);
    });

    it("cannot revoke another user's refresh token", async () => {
      const owner = await register(api);
      const other = await register(api);
      await api.request({
        method: 'POST',
        url: '/api/v1/auth/logout',
        token: other.accessToken,
        body: { refreshToken: owner.refreshToken },
      });
      const refresh = await api.request({ method: 'POST', url: '/api/v1/auth/refresh', body: { refreshToken: owner.refreshToken } });
      expect(refresh.status).toBe(200);
    });
  });
});
