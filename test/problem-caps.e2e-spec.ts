import Ajv from 'ajv';
import { PROBLEM_LIMITS, problem, truncate } from '../src/shared/http/problem-details.filter';
import { useTestApp } from './support/app';

/**
 * The `Problem` schema bounds `detail`, `errors`, `errors[].field` and `errors[].message` (the OWASP
 * ruleset in `npm run lint:api` asks for it); `problem()` makes every problem body, so it is where
 * the bounds are enforced. Checked directly, and over HTTP against the document the app serves.
 */

const codePoints = (text: string) => Array.from(text).length;

describe('problem+json bounds', () => {
  it('cuts text to the documented number of code points, never inside a surrogate pair', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('a'.repeat(10), 10)).toBe('a'.repeat(10));
    expect(truncate('a'.repeat(11), 10)).toBe(`${'a'.repeat(9)}…`);
    // 10 emoji are 20 UTF-16 units but 10 code points: within a bound of 10.
    expect(truncate('😀'.repeat(10), 10)).toBe('😀'.repeat(10));
    const cut = truncate('😀'.repeat(11), 10);
    expect(cut).toBe(`${'😀'.repeat(9)}…`);
    expect(cut).not.toMatch(/\p{Cs}/u); // no lone surrogate
  });

  it('bounds detail, the errors array and each field and message in problem()', () => {
    const errors = Array.from({ length: 3 * PROBLEM_LIMITS.errors }, (_, index) => ({
      field: `${'f'.repeat(2 * PROBLEM_LIMITS.field)}${index}`,
      message: '😀'.repeat(2 * PROBLEM_LIMITS.message),
    }));
    const body = problem(400, 'd'.repeat(5 * PROBLEM_LIMITS.detail), errors);
    expect(codePoints(body.detail)).toBe(PROBLEM_LIMITS.detail);
    expect(body.errors).toHaveLength(PROBLEM_LIMITS.errors);
    for (const error of body.errors!) {
      expect(codePoints(error.field)).toBe(PROBLEM_LIMITS.field);
      expect(codePoints(error.message)).toBe(PROBLEM_LIMITS.message);
      expect(error.message).not.toMatch(/\p{Cs}/u);
    }
    // Within the bounds nothing changes.
    expect(problem(404, 'Not found', [{ field: 'id', message: 'id must be a UUID' }])).toMatchObject({
      detail: 'Not found',
      errors: [{ field: 'id', message: 'id must be a UUID' }],
    });
  });

  describe('over HTTP', () => {
    const context = useTestApp();

    it('a body with many long unknown fields gets a 400 that the documented Problem schema accepts', async () => {
      const { api } = context;
      const document = (await api.request({ url: '/docs-json' })).body;
      const schema = document.components.schemas.Problem;
      expect(schema.properties.errors.maxItems).toBe(PROBLEM_LIMITS.errors);

      const body = Object.fromEntries(Array.from({ length: 150 }, (_, index) => [`${'x'.repeat(400)}${index}`, 1]));
      const response = await api.request({ method: 'POST', url: '/api/v1/auth/register', body });
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body.errors).toHaveLength(PROBLEM_LIMITS.errors);
      for (const error of response.body.errors) {
        expect(codePoints(error.field)).toBeLessThanOrEqual(PROBLEM_LIMITS.field);
        expect(codePoints(error.message)).toBeLessThanOrEqual(PROBLEM_LIMITS.message);
      }
      // maxLength counts code points, as `problem()` does (Ajv's default `unicode: true`).
      const validate = new Ajv({ strict: false, validateFormats: false }).compile(schema);
      expect(validate(response.body), JSON.stringify(validate.errors)).toBe(true);
    });
  });
});
