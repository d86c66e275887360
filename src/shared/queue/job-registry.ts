/**
 * Every background job, by name, with its payload type and queue: one registry, so a producer and
 * its processor cannot disagree on a payload's shape.
 */
export interface JobPayloads {
  'welcome-mail': { to: string; name: string };
  'password-reset-mail': { to: string; name: string; token: string };
  'order-confirmation-mail': { to: string; name: string; orderId: string; totalCents: number; currency: string };
}

export type JobName = keyof JobPayloads;

/**
 * Payload fields that hold a secret. A job's payload lives only in its PostgreSQL outbox row (the
 * BullMQ job carries the row id), and these fields are cleared there once the job is finished.
 */
export const SECRET_FIELDS: { [Name in JobName]?: readonly (keyof JobPayloads[Name] & string)[] } = {
  'password-reset-mail': ['token'],
};

export const SECRET_PAYLOAD_FIELDS: string[] = [...new Set(Object.values(SECRET_FIELDS).flat())];

export interface RetryPolicy {
  attempts: number;
  /** First retry delay; each further retry doubles it, with ±50% jitter. */
  backoffMs: number;
}

export const QUEUES = {
  mail: { attempts: 8, backoffMs: 2_000 },
} as const satisfies Record<string, RetryPolicy>;

export type QueueName = keyof typeof QUEUES;

export const JOB_QUEUE: Record<JobName, QueueName> = {
  'welcome-mail': 'mail',
  'password-reset-mail': 'mail',
  'order-confirmation-mail': 'mail',
};

/** Delay before retry number `attempt` (1-based), exponential with jitter so retries do not stampede. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const base = policy.backoffMs * 2 ** (attempt - 1);
  return Math.round(base * (0.5 + random()));
}

/** A failure that retrying cannot fix (e.g. the mail server rejected the address for good). */
export function isPermanentFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'UnrecoverableError';
}
