// kova-operator: `node operator/src/main.ts [--config FILE] [--kubeconfig FILE] [flags]`.
import { KubeConfig } from '@kubernetes/client-node';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { type DeepPartial, type OperatorConfig, loadConfig } from './config.ts';
import { Operator } from './operator.ts';
import { serveHealth } from './runtime/metrics.ts';

const USAGE = `Usage: kova-operator [options]
  --config FILE          YAML configuration (see docs/operator.md); flags override it
  --kubeconfig FILE      kubeconfig (default: KUBECONFIG, ~/.kube/config, or in-cluster)
  --namespace NS         namespace of the operator's leases (default kova-system)
  --identity ID          leader-election identity (default hostname-pid)
  --metrics-port N       port of /metrics, /healthz, /readyz (default 8080; 0 picks one)
  --fake-state-dir DIR   run the fake driver for nodes labelled compute.kova.io/driver=fake
  --no-leader-election   run the controllers without electing a leader (one replica only)
  --log-level LEVEL      trace, debug, info, warn, error (default info)`;

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    kubeconfig: { type: 'string' },
    namespace: { type: 'string' },
    identity: { type: 'string' },
    'metrics-port': { type: 'string' },
    'fake-state-dir': { type: 'string' },
    'no-leader-election': { type: 'boolean' },
    'log-level': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const overrides: DeepPartial<OperatorConfig> = {};
if (values.namespace) overrides.namespace = values.namespace;
if (values.identity) overrides.identity = values.identity;
if (values['metrics-port']) overrides.metrics = { port: Number(values['metrics-port']) };
if (values['fake-state-dir']) overrides.fake = { enabled: true, stateDir: values['fake-state-dir'] };
if (values['no-leader-election']) overrides.leaderElection = { enabled: false };
if (values['log-level']) overrides.logLevel = values['log-level'];
const config = loadConfig(values.config, overrides);

const log = pino({ name: 'kova-operator', level: config.logLevel });
const kubeConfig = new KubeConfig();
if (values.kubeconfig) kubeConfig.loadFromFile(values.kubeconfig);
else kubeConfig.loadFromDefault();

const operator = await Operator.create({
  kubeConfig,
  config,
  log,
  onLostLeadership: () => process.exit(1), // a new leader takes over; never act on a stale view
});
operator.metrics.withProcessMetrics();
const health = await serveHealth(config.metrics.port, config.metrics.host, operator.metrics, {
  healthy: () => true,
  ready: () => operator.informers.servers.lists > 0,
});
const address = health.address();
log.info({ identity: operator.identity, metrics: address }, 'kova-operator started');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    void operator.stop().then(() => {
      health.close();
      process.exit(0);
    });
  });
}
await operator.run();
