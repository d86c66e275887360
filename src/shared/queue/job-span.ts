import { context, SpanKind } from '@opentelemetry/api';
import { contextFromCarrier, inSpan, linkToActiveSpan } from '../tracing/trace-context';
import type { OutboxJob } from './outbox';

/**
 * Runs a job in a span that continues the trace of the transaction that recorded it (its outbox
 * row keeps that trace context), so one trace reads from the request to the job's last effect.
 * The span that started the run here (BullMQ's, under the relay's hand-over) is linked instead.
 * A row recorded untraced makes the job a child of whatever runs it.
 */
export function inJobSpan<T>(job: OutboxJob, work: () => Promise<T>): Promise<T> {
  const recordedIn = contextFromCarrier(job.traceContext);
  return inSpan(
    `${job.queue} ${job.name}`,
    {
      kind: SpanKind.CONSUMER,
      links: recordedIn ? linkToActiveSpan() : [],
      attributes: {
        'messaging.system': 'orderly.outbox',
        'messaging.operation.type': 'process',
        'messaging.destination.name': job.queue,
        'messaging.message.id': job.id,
        'orderly.job.name': job.name,
        'orderly.job.previous_attempts': job.attempts,
      },
    },
    recordedIn ?? context.active(),
    work,
  );
}
