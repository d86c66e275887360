import type { FieldError } from './problem-details.filter';

/** Deeper than any request body of this API; a deeper one is refused before anything recurses into it. */
export const MAX_INPUT_DEPTH = 16;
const MAX_REPORTED = 20;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why PostgreSQL cannot store this text as it is, or undefined when it can. */
function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain a NUL character';
  // node-postgres would silently store U+FFFD in its place: refused rather than changed.
  if (LONE_SURROGATE.test(text)) return 'must not contain a lone UTF-16 surrogate';
  return undefined;
}

/**
 * Every string (value or key) in a request's body, query or route parameter, wherever it is
 * nested, that PostgreSQL cannot store — a NUL character, a lone surrogate — and any nesting
 * deeper than `MAX_INPUT_DEPTH`. Iterative, so hostile nesting cannot exhaust the stack.
 */
export function findUnstorableInput(input: unknown, root: string): FieldError[] {
  const errors: FieldError[] = [];
  const pending: Array<{ value: unknown; field: string; depth: number }> = [{ value: input, field: root, depth: 0 }];
  while (pending.length > 0 && errors.length < MAX_REPORTED) {
    const { value, field, depth } = pending.pop()!;
    if (typeof value === 'string') {
      const message = unstorableText(value);
      if (message) errors.push({ field: field || 'body', message });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) {
      errors.push({ field: field || 'body', message: `must not be nested more than ${MAX_INPUT_DEPTH} levels deep` });
      continue;
    }
    for (const [key, child] of Object.entries(value)) {
      const path = field ? `${field}.${key}` : key;
      const message = unstorableText(key);
      if (message) {
        errors.push({ field: field || 'body', message: `keys ${message}` });
        continue;
      }
      pending.push({ value: child, field: path, depth: depth + 1 });
    }
  }
  return errors;
}
