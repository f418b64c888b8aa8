// The gateway's Prometheus metrics: requests and their latency per route (the route's pattern,
// e.g. /v2.1/flavors/:id, so ids do not explode the label space), and the requests the gateway
// itself sent to the Kubernetes API.
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class GatewayMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'method' | 'route' | 'code'>;
  readonly latency: Histogram<'method' | 'route'>;
  readonly apiRequests: Counter<'verb'>;

  constructor(registry = new Registry()) {
    this.registry = registry;
    this.requests = new Counter({
      name: 'kova_gateway_requests_total',
      help: 'HTTP requests served, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'code'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'kova_gateway_request_duration_seconds',
      help: 'Time to serve a request, by method and route pattern.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.apiRequests = new Counter({
      name: 'kova_gateway_apiserver_requests_total',
      help: 'Requests the gateway sent to the Kubernetes API, by verb.',
      labelNames: ['verb'],
      registers: [registry],
    });
  }

  /** KubeClient's onRequest hook. */
  countApiRequest = (method: string): void => {
    this.apiRequests.inc({ verb: method });
  };

  withProcessMetrics(): this {
    collectDefaultMetrics({ register: this.registry });
    return this;
  }

  /** Times every request of the app and serves GET /metrics. */
  instrument(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const labels = { method: request.method, route };
      this.requests.inc({ ...labels, code: String(reply.statusCode) });
      this.latency.observe(labels, reply.elapsedTime / 1000);
    });
    app.get('/metrics', async (_request, reply) => {
      reply.type(this.registry.contentType);
      return this.registry.metrics();
    });
  }
}
