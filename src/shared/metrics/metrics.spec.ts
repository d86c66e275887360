import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics';

describe('Metrics', () => {
  it('counts each request once and reports it both as http_requests_total and in the latency histogram', async () => {
    const metrics = new Metrics();
    metrics.recordRequest('GET', '/api/v1/products/:id', 200, 0.003);
    metrics.recordRequest('GET', '/api/v1/products/:id', 200, 0.2);
    metrics.recordRequest('GET', undefined, 404, 0.001);

    const text = await metrics.registry.metrics();
    expect(text).toContain('http_requests_total{method="GET",route="/api/v1/products/:id",status="200"} 2');
    expect(text).toContain('http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).toContain('http_request_duration_seconds_count{method="GET",route="/api/v1/products/:id",status="200"} 2');
    expect(text).toContain('http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/products/:id",status="200"} 1');

    // A later scrape reports the running totals, not the same requests twice.
    metrics.recordRequest('GET', '/api/v1/products/:id', 200, 0.01);
    expect(await metrics.registry.metrics()).toContain('http_requests_total{method="GET",route="/api/v1/products/:id",status="200"} 3');
  });
});
