/**
 * Whether an error means PostgreSQL or Redis dropped, refused or could not give a connection — a
 * fault of a dependency, answered 503 with `Retry-After` — rather than a bug (500). The one place
 * that knows what such errors look like; the exception filter asks it.
 *
 * Drivers say it in different ways: a SQLSTATE (PostgreSQL's own reasons), a socket error code, or
 * only a message (pg, pg-pool and ioredis have no codes for a closed connection or a pool that
 * cannot hand one out). TypeORM wraps the driver's error (`driverError`), pg-pool and node-redis
 * chain theirs (`cause`, `originalError`), and a connection tried on several addresses fails with
 * an `AggregateError`: all of these are looked through.
 */
export function isDependencyFault(error: unknown): boolean {
  return causesOf(error).some(isFaultItself);
}

/**
 * SQLSTATEs that mean the database ended or refused the session, or cannot take writes:
 * class 08 (connection exception), class 57 (operator intervention: `pg_terminate_backend`,
 * shutdown, crash recovery, a cancelled statement), 53300 (too many connections), 25006 (read-only
 * transaction: a former primary after a failover) and 25P03 (the session was ended for idling in a
 * transaction, which only a stalled process does).
 */
const FAULT_SQLSTATE = /^(08...|57...|53300|25006|25P03)$/;

/** What the operating system says of a socket that could not connect, or broke. */
const SOCKET_FAULTS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** Messages of driver errors that carry no code; each names a connection that is gone or never came. */
const FAULT_MESSAGES = [
  // pg and pg-pool
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Cannot use a pool after calling end on the pool$/,
  /^Client (has encountered a connection error|was closed) and is not queryable$/,
  // TypeORM, once its pool is closed
  /^Driver not Connected$/,
  // TypeORM releases a query runner whose connection emits an error — a backend terminated between
  // two statements of a transaction — and the next statement is refused with only this to say. Our
  // code never uses a runner it released itself (`dataSource.transaction` owns every release), so
  // here it means the connection was lost.
  /^Query runner already released\. Cannot run queries anymore\.$/,
  /^Database connection provided by a query runner was already released/,
  // ioredis (no offline queue, a command timeout, a closed connection)
  /^Connection is closed\.$/,
  /^Stream isn't writeable and enableOfflineQueue options is false$/,
  /^Command timed out$/,
  // Redis replies while it cannot serve: loading its data set, a replica after failover, no primary
  /^(LOADING|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN) /,
];

/** Error classes of ioredis and node-redis (the cache's client) that mean the connection, not the command, failed. */
const FAULT_CLASSES = new Set([
  'MaxRetriesPerRequestError',
  'ClusterAllFailedError',
  'ClientClosedError',
  'ClientOfflineError',
  'ConnectionTimeoutError',
  'SocketClosedUnexpectedlyError',
  'SocketTimeoutError',
  'ReconnectStrategyError',
]);

interface DriverError {
  code?: unknown;
  message?: unknown;
  name?: unknown;
}

function isFaultItself(error: object): boolean {
  const { code, message, name } = error as DriverError;
  if (typeof code === 'string' && (FAULT_SQLSTATE.test(code) || SOCKET_FAULTS.has(code))) return true;
  if (typeof message === 'string' && FAULT_MESSAGES.some((pattern) => pattern.test(message))) return true;
  return FAULT_CLASSES.has(typeof name === 'string' && name !== 'Error' ? name : error.constructor?.name);
}

/** The error and every error it wraps, at most a few levels deep (a cycle or a long chain stops there). */
function causesOf(error: unknown, depth = 0): object[] {
  if (typeof error !== 'object' || error === null || depth > 4) return [];
  const { driverError, cause, originalError, errors } = error as {
    driverError?: unknown;
    cause?: unknown;
    originalError?: unknown;
    errors?: unknown;
  };
  const nested = [driverError, cause, originalError, ...(Array.isArray(errors) ? errors : [])];
  return [error, ...nested.flatMap((inner) => causesOf(inner, depth + 1))];
}
