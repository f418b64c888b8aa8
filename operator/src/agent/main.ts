// kova-libvirt-agent: `node operator/src/agent/main.ts --node NAME [flags]`, one per libvirt node
// (the chart's DaemonSet). Flags override the KOVA_* environment variables.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { loadConfig } from '../config.ts';
import { validateSchedulerConfig } from '../scheduler/config.ts';
import { Agent } from './agent.ts';

const USAGE = `Usage: kova-libvirt-agent [options]
  --node NAME            the node this agent serves (env KOVA_NODE_NAME; required)
  --config FILE          the operator's YAML configuration (its namespace, compute and scheduler
                         options: report_interval, service_down_time, shelved_offload_time, max_attempts)
  --kubeconfig FILE      kubeconfig (env KUBECONFIG; default ~/.kube/config or in-cluster)
  --state-dir DIR        instance disks and image cache (env KOVA_STATE_DIR; default /var/lib/kova/instances)
  --libvirt-uri URI      libvirt connection (env KOVA_LIBVIRT_URI; default qemu:///system)
  --virt-type TYPE       kvm or qemu (env KOVA_VIRT_TYPE; default kvm when /dev/kvm exists and the CPU
                         has VT-x/AMD-V, else qemu: software emulation)
  --namespace NS         namespace of the heartbeat Leases (env KOVA_NAMESPACE; default kova-system)
  --report-interval S    seconds between heartbeats (default: the config's report_interval, 10)
  --shutdown-timeout S   seconds a clean shutdown may take before power is pulled (default 60)
  --image-store-url URL  the gateway's URL for image data: snapshots are uploaded to its image store
                         (env KOVA_IMAGE_STORE_URL; without it a snapshot stays on this node)
  --image-store-secret-file FILE
                         the image store's signing secret, shared with the gateway
                         (env KOVA_IMAGE_STORE_SECRET_FILE; required with --image-store-url)
  --log-level LEVEL      trace, debug, info, warn, error (env KOVA_LOG_LEVEL; default info)`;

const { values } = parseArgs({
  options: {
    node: { type: 'string' },
    config: { type: 'string' },
    kubeconfig: { type: 'string' },
    'state-dir': { type: 'string' },
    'libvirt-uri': { type: 'string' },
    'virt-type': { type: 'string' },
    namespace: { type: 'string' },
    'report-interval': { type: 'string' },
    'shutdown-timeout': { type: 'string' },
    'image-store-url': { type: 'string' },
    'image-store-secret-file': { type: 'string' },
    'log-level': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const env = process.env;
const node = values.node ?? env.KOVA_NODE_NAME;
if (!node) {
  console.error(`--node (or KOVA_NODE_NAME) is required\n${USAGE}`);
  process.exit(2);
}
const virtType = values['virt-type'] ?? env.KOVA_VIRT_TYPE ?? (kvmUsable() ? 'kvm' : 'qemu');
if (virtType !== 'kvm' && virtType !== 'qemu') {
  console.error(`--virt-type must be kvm or qemu, not ${virtType}`);
  process.exit(2);
}
const log = pino({ name: 'kova-libvirt-agent', level: values['log-level'] ?? env.KOVA_LOG_LEVEL ?? 'info' });
const kubeConfig = new KubeConfig();
const kubeconfigFile = values.kubeconfig ?? env.KUBECONFIG;
if (kubeconfigFile) kubeConfig.loadFromFile(kubeconfigFile);
else kubeConfig.loadFromDefault();

const storeUrl = values['image-store-url'] ?? env.KOVA_IMAGE_STORE_URL;
const storeSecretFile = values['image-store-secret-file'] ?? env.KOVA_IMAGE_STORE_SECRET_FILE;
if (storeUrl && !storeSecretFile) {
  console.error('--image-store-url needs --image-store-secret-file');
  process.exit(2);
}

// The operator's configuration, so that both apply the same Nova options.
const config = loadConfig(values.config ?? env.KOVA_CONFIG);
const agent = await Agent.create({
  kubeConfig,
  node,
  stateDir: values['state-dir'] ?? env.KOVA_STATE_DIR ?? '/var/lib/kova/instances',
  libvirtUri: values['libvirt-uri'] ?? env.KOVA_LIBVIRT_URI ?? 'qemu:///system',
  virtType,
  namespace: values.namespace ?? env.KOVA_NAMESPACE ?? config.namespace,
  reportInterval: values['report-interval']
    ? Number(values['report-interval'])
    : config.compute.report_interval,
  serviceDownTime: config.compute.service_down_time,
  shelvedOffloadTime: config.compute.shelved_offload_time,
  maxAttempts: validateSchedulerConfig(config.scheduler).max_attempts,
  ...(values['shutdown-timeout'] ? { shutdownTimeout: Number(values['shutdown-timeout']) } : {}),
  ...(storeUrl ? { imageStore: { url: storeUrl, secret: readFileSync(storeSecretFile!) } } : {}),
  log,
});
log.info({ node, virtType }, 'kova-libvirt-agent started');
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    void agent.stop().then(() => process.exit(0));
  });
}
await agent.run();

/**
 * KVM needs both the device and the CPU's virtualisation extensions: a VM without nested
 * virtualisation may have /dev/kvm while QEMU cannot use it (its guests then never run).
 */
function kvmUsable(): boolean {
  if (!existsSync('/dev/kvm')) return false;
  try {
    return /^flags\s*:.*\b(vmx|svm)\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}
