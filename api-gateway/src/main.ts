// kova-gateway: `node api-gateway/src/main.ts [flags]`: the Nova compute API, the Keystone v3
// subset and the Glance read subset on one listener (see docs/gateway.md).
import { KubeConfig } from '@kubernetes/client-node';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createGateway } from './gateway.ts';

const USAGE = `Usage: kova-gateway [options]
  --listen HOST:PORT         listen address (default 0.0.0.0:8774)
  --kubeconfig FILE          kubeconfig (default: KUBECONFIG, ~/.kube/config, or in-cluster)
  --bootstrap-user NAME      create this admin user at start if missing (default admin)
  --bootstrap-project NAME   ... in this project (default admin)
  --bootstrap-password-file FILE
                             ... with the password in FILE (or env KOVA_BOOTSTRAP_PASSWORD);
                             no bootstrap without a password
  --no-rbac                  do not apply Kova's ClusterRoles and admission policy at start
  --token-ttl SECONDS        lifetime of issued tokens (default 3600)
  --authz-cache-ttl SECONDS  how long a SubjectAccessReview answer is reused (default 10)
  --image-store DIR          keep uploaded image data in DIR (a persistent volume); without it
                             image records can be created but no data uploaded
  --image-store-url URL      the URL the libvirt agents reach this gateway at for image data
                             (default: the URL each upload was made to)
  --image-store-secret-file FILE
                             the secret signing image data URLs, shared with the libvirt agents
                             (at least 32 bytes; default: one made in DIR/.secret)
  --image-size-cap BYTES     the largest image accepted (default 1099511627776, 1 TiB)
  --log-level LEVEL          trace, debug, info, warn, error (default info)`;

const { values } = parseArgs({
  options: {
    listen: { type: 'string', default: '0.0.0.0:8774' },
    kubeconfig: { type: 'string' },
    'bootstrap-user': { type: 'string', default: 'admin' },
    'bootstrap-project': { type: 'string', default: 'admin' },
    'bootstrap-password-file': { type: 'string' },
    'no-rbac': { type: 'boolean' },
    'token-ttl': { type: 'string', default: '3600' },
    'authz-cache-ttl': { type: 'string', default: '10' },
    'image-store': { type: 'string' },
    'image-store-url': { type: 'string' },
    'image-store-secret-file': { type: 'string' },
    'image-size-cap': { type: 'string', default: String(2 ** 40) },
    'log-level': { type: 'string', default: 'info' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const seconds = (flag: 'token-ttl' | 'authz-cache-ttl'): number => {
  const n = Number(values[flag]);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${flag}: a positive number of seconds, not ${values[flag]}`);
    process.exit(2);
  }
  return n * 1000;
};
const log = pino({ name: 'kova-gateway', level: values['log-level'] });
const kubeConfig = new KubeConfig();
if (values.kubeconfig) kubeConfig.loadFromFile(values.kubeconfig);
else kubeConfig.loadFromDefault();

const { readFileSync } = await import('node:fs');
const password = values['bootstrap-password-file']
  ? readFileSync(values['bootstrap-password-file'], 'utf8').trim()
  : process.env.KOVA_BOOTSTRAP_PASSWORD;

const sizeCap = Number(values['image-size-cap']);
if (!Number.isSafeInteger(sizeCap) || sizeCap <= 0) {
  console.error(`--image-size-cap: a positive number of bytes, not ${values['image-size-cap']}`);
  process.exit(2);
}

const gateway = await createGateway({
  kubeConfig,
  log,
  applyRbac: !values['no-rbac'],
  tokenTtlMs: seconds('token-ttl'),
  authzTtlMs: seconds('authz-cache-ttl'),
  imageStore: values['image-store']
    ? {
        dir: values['image-store'],
        url: values['image-store-url'],
        maxBytes: sizeCap,
        ...(values['image-store-secret-file']
          ? { secret: readFileSync(values['image-store-secret-file']) }
          : {}),
      }
    : undefined,
  bootstrap: password
    ? { user: values['bootstrap-user'], project: values['bootstrap-project'], password }
    : undefined,
});
gateway.ctx.metrics.withProcessMetrics();
const [host, port] = [values.listen.replace(/:\d+$/, ''), Number(/:(\d+)$/.exec(values.listen)?.[1] ?? 8774)];
const address = await gateway.app.listen({ host: host || '0.0.0.0', port });
log.info({ address }, 'kova-gateway listening');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'shutting down');
    void gateway.close().then(() => process.exit(0));
  });
}
