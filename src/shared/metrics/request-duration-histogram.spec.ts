import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RequestDurationHistogram } from './request-duration-histogram';

const BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const OBSERVED: [string, string, number, number][] = [
  ['GET', '/api/v1/products/:id', 200, 0.0012],
  ['GET', '/api/v1/products/:id', 200, 0.005], // on a bound: counted in that bucket, as Prometheus defines `le`
  ['GET', '/api/v1/products/:id', 304, 0.0004],
  ['POST', '/api/v1/orders', 201, 0.031],
  ['GET', 'unmatched', 404, 7.5], // above every bound: only in +Inf
  ['GET', '/api/v1/products/:id', 200, 0.3],
  ['GET', '/api/v1/orders', 200, 0.004], // a route answered for a second method, after others
];

/** Series may come in another order (Prometheus reads them in any): the lines, each once. */
const lines = (text: string) => text.split('\n').sort();

describe('RequestDurationHistogram', () => {
  it("is scraped as exactly the lines prom-client's own histogram writes for the same observations", async () => {
    const theirs = new Registry();
    const reference = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'latency',
      labelNames: ['method', 'route', 'status'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    const ours = new Registry();
    const histogram = new RequestDurationHistogram('http_request_duration_seconds', 'latency', BUCKETS, ours);
    for (const [method, route, status, seconds] of OBSERVED) {
      reference.observe({ method, route, status: String(status) }, seconds);
      histogram.observe(method, route, status, seconds);
    }

    expect(lines(await ours.metrics())).toEqual(lines(await theirs.metrics()));
  });

  it('counts per series, and starts again from nothing when the registry is reset', async () => {
    const registry = new Registry();
    const histogram = new RequestDurationHistogram('latency_seconds', 'latency', BUCKETS, registry);
    for (const [method, route, status, seconds] of OBSERVED) histogram.observe(method, route, status, seconds);
    expect(histogram.counts()).toContainEqual({ labels: { method: 'GET', route: '/api/v1/products/:id', status: '200' }, count: 3 });

    registry.resetMetrics();
    expect(histogram.counts()).toEqual([]);
    expect(await registry.metrics()).not.toContain('latency_seconds_count');
  });
});
