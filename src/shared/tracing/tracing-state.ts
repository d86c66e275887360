import type { Telemetry } from 'bullmq';

/**
 * What the tracing starter leaves for the rest of the process. It stays empty when
 * OTEL_EXPORTER_OTLP_ENDPOINT is unset, so reading it loads nothing of OpenTelemetry.
 */
export const tracingState: { bullmqTelemetry?: Telemetry; stop?: () => Promise<void> } = {};

/**
 * Exports the spans still buffered and stops the SDK. Call it after the application closed, so
 * the spans of its last requests and jobs are sent; without tracing it does nothing.
 */
export async function stopTracing(): Promise<void> {
  await tracingState.stop?.();
}
