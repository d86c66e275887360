/** PostgreSQL's SQLSTATE for a unique-constraint violation. */
const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const details = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const source = details?.driverError ?? details;
  return source?.code === UNIQUE_VIOLATION && (constraint === undefined || source.constraint === constraint);
}
