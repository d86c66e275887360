import {
  Context,
  context,
  isSpanContextValid,
  Link,
  propagation,
  ROOT_CONTEXT,
  Span,
  SpanOptions,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/**
 * Helpers over `@opentelemetry/api` only: without the SDK (tracing off) every call here is a no-op
 * of the API's own, and nothing of the SDK is loaded.
 */

/** W3C trace context headers (`traceparent`, `tracestate`), as stored beside work that continues elsewhere. */
export type TraceCarrier = Record<string, string>;

export const tracer = trace.getTracer('orderly');

/**
 * The active trace, to store with work another process will do; `null` when nothing is traced.
 * Only the trace context is kept: baggage comes from the caller's headers and has no business
 * resting in the database.
 */
export function currentTraceCarrier(): TraceCarrier | null {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  if (carrier.traceparent === undefined) return null;
  return carrier.tracestate === undefined
    ? { traceparent: carrier.traceparent }
    : { traceparent: carrier.traceparent, tracestate: carrier.tracestate };
}

/** The trace a stored carrier names, as a parent context; `undefined` when there is none to continue. */
export function contextFromCarrier(carrier: TraceCarrier | null): Context | undefined {
  if (!carrier) return undefined;
  const extracted = propagation.extract(ROOT_CONTEXT, carrier);
  const spanContext = trace.getSpanContext(extracted);
  return spanContext && isSpanContextValid(spanContext) ? extracted : undefined;
}

/** A link to the span a stored carrier names, for work that serves many traces at once (a batch). */
export function linkToCarrier(carrier: TraceCarrier | null): Link | undefined {
  const parent = contextFromCarrier(carrier);
  return parent && { context: trace.getSpanContext(parent)! };
}

/** A link to the active span, for work that continues another trace but was started from this one. */
export function linkToActiveSpan(): Link[] {
  const active = trace.getActiveSpan()?.spanContext();
  return active && isSpanContextValid(active) ? [{ context: active }] : [];
}

/** Runs `work` in a new active span under `parent`; a thrown error marks the span failed and is rethrown. */
export function inSpan<T>(name: string, options: SpanOptions, parent: Context, work: (span: Span) => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, options, parent, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Runs `work` outside any trace: background work woken by a request must not join that request's trace. */
export function detachedFromTrace<T>(work: () => T): T {
  return context.with(ROOT_CONTEXT, work);
}
