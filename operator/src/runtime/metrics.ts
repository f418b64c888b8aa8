// Prometheus metrics of the controller runtime, and the /metrics, /healthz, /readyz server.
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class RuntimeMetrics {
  readonly registry: Registry;
  readonly reconciles: Counter<'controller' | 'result'>;
  readonly reconcileDuration: Histogram<'controller'>;
  readonly queueDepth: Gauge<'controller'>;
  readonly apiRequests: Counter<'verb'>;

  constructor(registry = new Registry()) {
    this.registry = registry;
    this.reconciles = new Counter({
      name: 'kova_reconcile_total',
      help: 'Reconciles by controller and result (success, error, requeue).',
      labelNames: ['controller', 'result'],
      registers: [registry],
    });
    this.reconcileDuration = new Histogram({
      name: 'kova_reconcile_duration_seconds',
      help: 'Time spent in one reconcile.',
      labelNames: ['controller'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    });
    this.queueDepth = new Gauge({
      name: 'kova_workqueue_depth',
      help: 'Keys waiting in a controller work queue.',
      labelNames: ['controller'],
      registers: [registry],
    });
    this.apiRequests = new Counter({
      name: 'kova_apiserver_requests_total',
      help: 'Requests this process sent to the Kubernetes API, by verb.',
      labelNames: ['verb'],
      registers: [registry],
    });
  }

  /** Counts a client request (KubeClient's onRequest hook). */
  countRequest = (method: string): void => {
    this.apiRequests.inc({ verb: method });
  };

  withProcessMetrics(): this {
    collectDefaultMetrics({ register: this.registry });
    return this;
  }
}

export interface HealthChecks {
  /** The process is alive and its loops turn. */
  healthy: () => boolean;
  /** Ready to serve: caches synced. */
  ready: () => boolean;
}

/** Serves /metrics, /healthz and /readyz; resolves with the server once listening. */
export function serveHealth(
  port: number,
  host: string,
  metrics: RuntimeMetrics,
  checks: HealthChecks,
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const respond = (ok: boolean) => {
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ok ? 'ok' : 'not ok');
    };
    if (path === '/healthz' || path === '/livez') return respond(checks.healthy());
    if (path === '/readyz') return respond(checks.ready());
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
      return;
    }
    res.writeHead(404).end('not found');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
