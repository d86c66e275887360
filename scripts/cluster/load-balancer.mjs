// A small round-robin HTTP load balancer for the local cluster: it polls each backend's
// /health/ready and only routes to ready ones (as a Kubernetes Service does with endpoints), sets
// X-Forwarded-For, and retries an idempotent request once on another backend if a connection to
// a backend fails before any response (a pod that just closed).
import http from 'node:http';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);
// Per-connection headers describe the balancer↔backend hop only; a draining backend's
// `Connection: close` must not close the client's connection to the balancer.
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

function endToEnd(headers) {
  const copy = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
}

export function startLoadBalancer({ port = 0, backends, healthIntervalMs = 200 }) {
  const pool = backends.map((target) => ({ ...target, ready: false }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  let next = 0;

  const poll = async () => {
    await Promise.all(
      pool.map(async (backend) => {
        try {
          const response = await fetch(`http://${backend.host}:${backend.port}/health/ready`, { signal: AbortSignal.timeout(1_000) });
          backend.ready = response.ok;
        } catch {
          backend.ready = false;
        }
      }),
    );
  };
  const timer = setInterval(poll, healthIntervalMs);

  const pick = (exclude) => {
    const candidates = pool.filter((backend) => backend.ready && backend !== exclude);
    if (candidates.length === 0) return undefined;
    next = (next + 1) % candidates.length;
    return candidates[next];
  };

  const forward = (request, response, body, backend, retried) => {
    const upstream = http.request(
      {
        host: backend.host,
        port: backend.port,
        method: request.method,
        path: request.url,
        agent,
        headers: { ...endToEnd(request.headers), 'x-forwarded-for': request.socket.remoteAddress, connection: 'keep-alive' },
      },
      (reply) => {
        response.writeHead(reply.statusCode, endToEnd(reply.headers));
        reply.pipe(response);
      },
    );
    upstream.on('error', () => {
      // A kept-alive upstream socket can fail after its response was delivered: nothing to do then
      // (destroying `response` would kill the client's connection and the next request on it).
      if (response.writableEnded) return;
      if (response.headersSent) return response.destroy();
      const other = !retried && IDEMPOTENT.has(request.method) ? pick(backend) : undefined;
      if (other) return forward(request, response, body, other, true);
      response
        .writeHead(502, { 'content-type': 'application/problem+json' })
        .end(JSON.stringify({ type: 'about:blank', title: 'Bad Gateway', status: 502 }));
    });
    upstream.end(body);
  };

  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const backend = pick();
      if (!backend) {
        response
          .writeHead(503, { 'content-type': 'application/problem+json' })
          .end(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503 }));
        return;
      }
      forward(request, response, Buffer.concat(chunks), backend, false);
    });
  });

  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', async () => {
      await poll();
      resolve({
        port: server.address().port,
        backends: pool,
        async close() {
          clearInterval(timer);
          agent.destroy();
          await new Promise((done) => server.close(done));
        },
      });
    });
  });
}
