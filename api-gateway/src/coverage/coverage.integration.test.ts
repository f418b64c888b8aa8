// The route-coverage walk: every (method, path) of Nova's route table (novaroutes.ts), at 2.1, at
// each boundary of its microversion range and at the gateway's max, against the gateway on a real
// apiserver with the operator and the fake driver. Real ids are substituted (a booted server, a
// flavor, keypair, aggregate, server group, compute host ...). Every answer must be in the expected
// status family, never a 5xx, with its OpenStack-API-Version header, and a route Nova serves at that
// version never gets the bare 404 of the gateway's not-found handler (a missing route). The routes
// that fail are printed as the uncovered list; the test fails on any that is not in EXCLUSIONS
// (exclusions.ts, the same table as docs/api-coverage.md).
import { expect } from 'chai';
import type { Image } from '../../../operator/src/api/v1alpha1/index.ts';
import { IMAGES } from '../../../operator/src/controllers/server.ts';
import { collectionPath } from '../../../operator/src/kube/resources.ts';
import { eventually } from '../../../e2e/harness/fixtures.ts';
import type { TestGateway } from '../../../e2e/harness/gateway.ts';
import { GONE_MESSAGE } from '../compute/removed.ts';
import { NOT_FOUND_MESSAGE } from '../errors.ts';
import { APIVersionRequest, MAX_VERSION } from '../microversion.ts';
import { type ServersSuite, startServersSuite } from '../servers/testsuite.ts';
import { EXCLUSIONS, routeKey } from './exclusions.ts';
import { NOVA_ROUTES } from './novaroutes.ts';
import { type Family, type NovaRoute, expectedFamily, inFamily, probeVersions } from './routetable.ts';

const v = (version: string) => ({ 'OpenStack-API-Version': `compute ${version}` });
const BOGUS_UUID = '00000000-0000-4000-8000-000000000000';

/**
 * The walk's request for a write: bodies are empty or invalid and ids of deletes are unknown, so
 * no write changes the world the other probes read; such a request must answer 4xx (400, 404 with
 * Nova's message, 409). These writes are harmless and sent valid (2xx).
 */
const VALID_WRITES = new Set([
  'DELETE /servers/{server_id}/tags',
  'DELETE /servers/{server_id}/os-server-password',
  'PUT /servers/{server_id}/tags/{id}',
  'POST /servers/{server_id}/metadata',
  'PUT /servers/{server_id}/metadata/{id}',
  'POST /os-aggregates/{id}/images',
  // Resets the member project's quotas to the defaults.
  'DELETE /os-quota-sets/{id}',
  // Nova's schema puts its anyOf inside "properties": an empty body is valid and changes nothing.
  'PUT /os-hosts/{id}',
]);

/** Writes whose schema is a null body (server_tags.update): sent without one. */
const NO_BODY = new Set(['PUT /servers/{server_id}/tags/{id}']);

/**
 * Nova's own 501 (common.raise_feature_not_supported) where the virt driver lacks the function:
 * host power actions (libvirt has none) and the hypervisor uptime of a driver without it.
 */
const NOT_IMPLEMENTED: Record<string, string> = {
  'GET /os-hosts/{id}/reboot': 'host power actions: no Kova driver has them (as libvirt in Nova)',
  'GET /os-hosts/{id}/shutdown': 'host power actions: no Kova driver has them (as libvirt in Nova)',
  'GET /os-hosts/{id}/startup': 'host power actions: no Kova driver has them (as libvirt in Nova)',
  'GET /os-hypervisors/{id}/uptime': 'the driver reports no host uptime',
};

/** Reads that answer 4xx with the walk's ids (documented in docs/api-coverage.md). */
const READ_4XX: Record<string, string> = {
  'GET /servers/{server_id}/migrations/{id}': 'no migration in progress: 404 with Nova message',
  'GET /servers/{server_id}/os-interface/{id}': 'the fake driver has no port ids: 404',
  'GET /servers/{server_id}/os-volume_attachments/{id}': 'no volume attached: 404',
  'GET /os-console-auth-tokens/{id}': 'an unknown token: 404 "The token has expired or is invalid."',
  'GET /os-networks/{id}': 'Kova has no networks to show: 404',
  'GET /os-tenant-networks/{id}': 'Kova has no networks to show: 404',
  'GET /os-floating-ips/{id}': 'Kova has no floating IPs: 404',
  'GET /os-security-groups/{id}': 'an unknown security group: 404',
  'GET /os-snapshots/{id}': 'Kova has no Cinder: 404',
  'GET /os-volumes/{id}': 'Kova has no Cinder: 404',
  'GET /os-baremetal-nodes/{id}': 'Kova has no Ironic: 404',
  'GET /os-instance_usage_audit_log/{id}': 'a date before any audit period: 2xx or 4xx',
  'GET /servers/{server_id}/shares/{id}': 'no share attached: 404',
};

interface Probe {
  route: NovaRoute;
  version: string;
  url: string;
  status: number;
  expected: Family;
  problem: string;
}

describe('Route coverage: every route of Nova’s table answers as Nova (gateway on a real apiserver, fake driver)', function () {
  this.timeout(900_000);
  let world: ServersSuite;
  let gw: TestGateway;
  let admin: string;
  let member: string;
  let reader: string;
  const ids: Record<string, string> = {};
  const probes: Probe[] = [];

  const call = (method: string, path: string, body?: unknown, version = '2.1', token = admin) =>
    gw.call(method, `/v2.1${path === '/' ? '/' : path}`, { token, body, headers: v(version) });
  const ok = async (method: string, path: string, body?: unknown, version = '2.1') => {
    const res = await call(method, path, body, version);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  before(async () => {
    world = await startServersSuite();
    gw = world.gw;
    admin = await gw.token('admin', 'secret', 'admin');
    await gw.addUser('mia', 'mia-pw', 'project-m', 'member');
    await gw.addUser('rita', 'rita-pw', 'project-m', 'reader');
    member = await gw.token('mia', 'mia-pw', 'project-m');
    reader = await gw.token('rita', 'rita-pw', 'project-m');
    const images = await world.suite.client.list<Image>(collectionPath(IMAGES));
    ids.image = images.items[0]!.metadata.uid!;
    const created = await ok('POST', '/servers', {
      server: { name: 'walker', flavorRef: '2', imageRef: ids.image, metadata: { role: 'web' } },
    });
    ids.server = created.server.id;
    // A server of the member's project: admin-only routes on it are the policy's 403, not a 404.
    const mine = await gw.call('POST', '/v2.1/servers', {
      token: member,
      body: { server: { name: 'member-walker', flavorRef: '2', imageRef: ids.image, networks: 'auto' } },
      headers: v('2.37'),
    });
    if (mine.status !== 202) throw new Error(`member server: ${mine.status} ${JSON.stringify(mine.body)}`);
    ids.memberServer = mine.body.server.id;
    await eventually(
      'walker ACTIVE',
      async () => (await ok('GET', `/servers/${ids.server}`)).server.status === 'ACTIVE',
    );
    // Tags are served by the sub-resources routes; without them the tag probes show as uncovered.
    await call('PUT', `/servers/${ids.server}/tags/blue`, undefined, '2.26');
    const addresses = (await ok('GET', `/servers/${ids.server}/ips`)).addresses as Record<string, unknown>;
    ids.network = Object.keys(addresses)[0] ?? 'private';
    const actions = (await ok('GET', `/servers/${ids.server}/os-instance-actions`)).instanceActions;
    ids.request = actions[0].request_id;
    await ok('POST', '/os-keypairs', { keypair: { name: 'walk-key' } });
    ids.aggregate = String(
      (await ok('POST', '/os-aggregates', { aggregate: { name: 'walk-agg' } })).aggregate.id,
    );
    ids.group = (
      await ok('POST', '/os-server-groups', { server_group: { name: 'g', policies: ['affinity'] } })
    ).server_group.id;
    ids.project = gw.gateway.ctx.identity.projectByName('project-m')!.id;
    ids.adminProject = gw.gateway.ctx.identity.projectByName('admin')!.id;
    const hv = (await ok('GET', '/os-hypervisors')).hypervisors[0];
    ids.hypervisor = String(hv.id);
    ids.hypervisorHost = hv.hypervisor_hostname;
    ids.hypervisorUuid = (await ok('GET', '/os-hypervisors', undefined, '2.53')).hypervisors[0].id;
    ids.today = new Date().toISOString().slice(0, 10);
    await ok('POST', `/images/${ids.image}/metadata`, { metadata: { walked: 'yes' } });
    await ok('POST', '/flavors/2/os-extra_specs', { extra_specs: { 'hw:cpu_policy': 'shared' } });
    // Public flavors have no access list (404): the access routes walk a private one.
    await ok('POST', '/flavors', {
      flavor: {
        name: 'walk-private',
        id: 'walk-private',
        ram: 512,
        vcpus: 1,
        disk: 1,
        'os-flavor-access:is_public': false,
      },
    });
  });
  after(async () => {
    await world?.stop();
  });

  /** The concrete URL for a route at a version: real ids, or unknown ones for deletes. */
  function concrete(route: NovaRoute, version: APIVersionRequest): string {
    const key = routeKey(route);
    const del = route.method === 'DELETE';
    const hv = version.compare('2.53') >= 0 ? ids.hypervisorUuid! : ids.hypervisor!;
    const byCollection: Record<string, string> = {
      versions: 'v2.1',
      extensions: 'os-keypairs',
      servers: del ? BOGUS_UUID : ids.server!,
      'os-volumes_boot': del ? BOGUS_UUID : ids.server!,
      flavors: del ? 'no-such-flavor' : '2',
      'os-keypairs': del ? 'nokey' : 'walk-key',
      'os-quota-class-sets': 'default',
      'os-quota-sets': ids.project!,
      'os-server-groups': del ? BOGUS_UUID : ids.group!,
      'os-aggregates': del ? '999999' : ids.aggregate!,
      'os-assisted-volume-snapshots': BOGUS_UUID,
      'os-console-auth-tokens': 'no-such-token',
      'os-hosts': ids.hypervisorHost!,
      'os-hypervisors': key.endsWith('/search') || key.endsWith('/servers') ? ids.hypervisorHost! : hv,
      'os-instance_usage_audit_log': ids.today!,
      'os-services': version.compare('2.53') >= 0 ? BOGUS_UUID : route.method === 'PUT' ? 'enable' : '999999',
      'os-simple-tenant-usage': ids.project!,
      images: del ? BOGUS_UUID : ids.image!,
      'os-baremetal-nodes': BOGUS_UUID,
      'os-floating-ips': BOGUS_UUID,
      'os-networks': 'private',
      'os-tenant-networks': 'private',
      'os-security-groups': BOGUS_UUID,
      'os-security-group-rules': BOGUS_UUID,
      'os-snapshots': BOGUS_UUID,
      'os-volumes': BOGUS_UUID,
    };
    const sub: Record<string, string> = {
      metadata: del ? 'nokey' : 'role',
      'os-extra_specs': del ? 'no:key' : 'hw:cpu_policy',
      tags: del ? 'no-tag' : 'blue',
      ips: ids.network!,
      'os-instance-actions': ids.request!,
      migrations: '4242',
      'os-interface': BOGUS_UUID,
      'os-volume_attachments': BOGUS_UUID,
      shares: BOGUS_UUID,
      consoles: '1',
      entries: 'host1',
    };
    const parts = route.path.split('/');
    return parts
      .map((seg, i) => {
        if (seg === '{server_id}')
          return del && route.path.endsWith('{server_id}') ? BOGUS_UUID : ids.server!;
        if (seg === '{flavor_id}') return route.path.includes('os-flavor-access') ? 'walk-private' : '2';
        if (seg === '{image_id}') return ids.image!;
        if (seg === '{domain_id}') return 'example.org';
        if (seg !== '{id}') return seg;
        const parent = parts[i - 1]!;
        if (i === 2) return byCollection[parent] ?? BOGUS_UUID;
        if (parent === 'metadata' && route.path.startsWith('/images')) return del ? 'nokey' : 'walked';
        return sub[parent] ?? BOGUS_UUID;
      })
      .join('/');
  }

  function expected(route: NovaRoute, version: APIVersionRequest): Family {
    const family = expectedFamily(route, version);
    if (family !== '2xx') return family;
    const key = routeKey(route);
    if (key in NOT_IMPLEMENTED) return 501;
    if (route.method !== 'GET') return VALID_WRITES.has(key) ? '2xx' : '4xx';
    return key in READ_4XX ? '4xx' : '2xx';
  }

  it('walks every route at 2.1, each boundary and the max: the expected family, no 5xx, no missing route', async () => {
    // Reads first, so that they see the world the setup made (a valid write may change it).
    const ordered = [...NOVA_ROUTES].sort((a, b) => Number(a.method !== 'GET') - Number(b.method !== 'GET'));
    for (const route of ordered) {
      for (const version of probeVersions(route, MAX_VERSION)) {
        const url = concrete(route, version);
        const family = expected(route, version);
        // Writes send an empty body (the schema rejects it) unless listed as valid.
        const body =
          route.method === 'GET' || route.method === 'DELETE' || NO_BODY.has(routeKey(route))
            ? undefined
            : (validBody(route) ?? {});
        const res = await call(route.method, url, body, version.toString());
        let problem = '';
        // The not-found handler's bare 404 is what an unrouted path answers (the same body as
        // Nova's VersionNotFoundForAPIMethod): inside a route's range it means a missing route.
        const bare404 = res.status === 404 && res.body?.itemNotFound?.message === NOT_FOUND_MESSAGE;
        if (res.status >= 500 && res.status !== family) problem = `${res.status} ${JSON.stringify(res.body)}`;
        else if (family !== 404 && bare404) problem = 'the bare 404 of an unrouted path: no route';
        else if (
          !inFamily(res.status, family) &&
          !(family === '4xx' && READ_4XX[routeKey(route)]?.includes('2xx') && res.status < 300)
        )
          problem = `${res.status} (expected ${family}) ${String(JSON.stringify(res.body)).slice(0, 200)}`;
        else if (res.headers.get('openstack-api-version') !== `compute ${version}`)
          problem = `no OpenStack-API-Version: compute ${version} header`;
        else if (family === 410 && !res.body?.computeFault)
          problem = `410 without Nova's body: ${JSON.stringify(res.body)}`;
        probes.push({
          route,
          version: version.toString(),
          url,
          status: res.status,
          expected: family,
          problem,
        });
      }
    }
    const failed = probes.filter((p) => p.problem);
    const uncovered = new Map<string, string[]>();
    for (const p of failed) {
      const key = routeKey(p.route);
      uncovered.set(key, [...(uncovered.get(key) ?? []), `${p.version}: ${p.problem}`]);
    }
    const unexcused = [...uncovered.keys()].filter((k) => !(k in EXCLUSIONS));
    console.log(
      `ROUTE COVERAGE: ${NOVA_ROUTES.length} routes, ${probes.length} probes, ${uncovered.size} uncovered`,
    );
    for (const [key, problems] of uncovered) {
      const why = EXCLUSIONS[key];
      console.log(
        `  ${why ? 'excluded' : 'UNCOVERED'} ${key}${why ? ` (${why.why})` : ''}\n    ${problems.join('\n    ')}`,
      );
    }
    const stale = Object.keys(EXCLUSIONS).filter((k) => !uncovered.has(k) && EXCLUSIONS[k]!.pending);
    if (stale.length) console.log(`  pending exclusions now covered (delete them): ${stale.join(', ')}`);
    expect(unexcused, 'uncovered routes not in the exclusion list').to.deep.equal([]);
  });

  it("admin-only reads and deletes answer a member and a reader with Nova's policy 403", async () => {
    const failures: string[] = [];
    for (const route of NOVA_ROUTES) {
      if (route.policy !== 'admin' || route.removed || (route.method !== 'GET' && route.method !== 'DELETE'))
        continue;
      if (routeKey(route) in EXCLUSIONS) continue; // reported by the walk
      const version = route.max ?? MAX_VERSION.toString();
      const url = concrete(route, APIVersionRequest.parse(version)).replace(ids.server!, ids.memberServer!);
      for (const [who, token] of [
        ['member', member],
        ['reader', reader],
      ] as const) {
        const res = await call(route.method, url, undefined, version, token);
        const msg = res.body?.forbidden?.message as string | undefined;
        if (
          res.status !== 403 ||
          !/^Policy doesn't allow os_compute_api:\S+ to be performed\.$/.test(msg ?? '')
        )
          failures.push(
            `${who} ${routeKey(route)} @${version}: ${res.status} ${String(JSON.stringify(res.body)).slice(0, 160)}`,
          );
      }
    }
    expect(failures).to.deep.equal([]);
  });

  it('reads open to anyone (limits, extensions, zones, floating-IP pools, quota defaults) answer a member and a reader', async () => {
    const failures: string[] = [];
    for (const route of NOVA_ROUTES) {
      if (route.policy !== 'any' || route.removed || route.method !== 'GET' || routeKey(route) in EXCLUSIONS)
        continue;
      const version = route.max ?? MAX_VERSION.toString();
      const url =
        route.path === '/os-quota-sets/{id}/defaults'
          ? `/os-quota-sets/${ids.project}/defaults`
          : concrete(route, APIVersionRequest.parse(version));
      for (const [who, token] of [
        ['member', member],
        ['reader', reader],
      ] as const) {
        const res = await call(route.method, url, undefined, version, token);
        if (!inFamily(res.status, expected(route, APIVersionRequest.parse(version))))
          failures.push(
            `${who} ${routeKey(route)} @${version}: ${res.status} ${String(JSON.stringify(res.body)).slice(0, 160)}`,
          );
      }
    }
    expect(failures).to.deep.equal([]);
  });

  it('answers the removed resetNetwork server action with 410 at any microversion', async () => {
    for (const version of ['2.1', MAX_VERSION.toString()]) {
      const res = await call('POST', `/servers/${ids.server}/action`, { resetNetwork: null }, version);
      expect(res.status).to.equal(410);
      expect(res.body).to.deep.equal({ computeFault: { code: 410, message: GONE_MESSAGE } });
    }
  });

  /** A valid body for the writes the walk sends valid. */
  function validBody(route: NovaRoute): unknown {
    switch (routeKey(route)) {
      case 'POST /servers/{server_id}/metadata':
        return { metadata: { walked: 'yes' } };
      case 'PUT /servers/{server_id}/metadata/{id}':
        return { meta: { role: 'web' } };
      case 'POST /os-aggregates/{id}/images':
        return { cache: [{ id: ids.image }] };
      default:
        return undefined;
    }
  }
});
