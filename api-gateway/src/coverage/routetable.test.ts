import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { APIVersionRequest } from '../microversion.ts';
import { EXCLUSIONS, routeKey } from './exclusions.ts';
import { NOVA_ROUTES } from './novaroutes.ts';
import { type NovaRoute, expectedFamily, fastifyPath, inFamily, probeVersions } from './routetable.ts';

const route = (path: string, method = 'GET'): NovaRoute => {
  const r = NOVA_ROUTES.find((x) => x.path === path && x.method === method);
  if (!r) throw new Error(`no route ${method} ${path}`);
  return r;
};

describe('Nova route table', () => {
  it("holds Zed's 205 routes plus master's 4 shares routes, each (method, path) once", () => {
    expect(NOVA_ROUTES).to.have.length(209);
    expect(new Set(NOVA_ROUTES.map(routeKey)).size).to.equal(209);
    expect(NOVA_ROUTES.filter((r) => r.master?.startsWith('Manila'))).to.have.length(4);
  });

  it('marks the 48 removed routes, the 34 proxies capped at 2.35 plus baremetal action, and the 6 image-metadata routes at 2.38', () => {
    expect(NOVA_ROUTES.filter((r) => r.removed)).to.have.length(48);
    expect(NOVA_ROUTES.filter((r) => r.max === '2.35')).to.have.length(35);
    expect(NOVA_ROUTES.filter((r) => r.max === '2.38')).to.have.length(6);
  });

  it("takes ranges and policies from the inventory: os-hosts ≤2.42, tags 2.26+, volumes_boot ≤2.102, admin-only hypervisors, anyone's limits", () => {
    expect(route('/os-hosts/{id}')).to.include({ min: '2.1', max: '2.42', policy: 'admin' });
    expect(route('/servers/{server_id}/tags')).to.include({ min: '2.26', policy: 'project_reader' });
    expect(route('/servers/{server_id}/tags', 'PUT').policy).to.equal('project_member');
    expect(route('/os-volumes_boot', 'POST')).to.include({ max: '2.102' });
    expect(route('/os-hypervisors/statistics')).to.include({ max: '2.87', policy: 'admin' });
    expect(route('/limits').policy).to.equal('any');
    expect(route('/os-quota-sets/{id}/defaults').policy).to.equal('any');
    expect(route('/os-quota-sets/{id}', 'PUT').policy).to.equal('admin');
    expect(route('/os-baremetal-nodes', 'POST').policy).to.equal('any');
    expect(route('/os-instance_usage_audit_log').policy).to.equal('admin');
    expect(route('/os-cells/capacities')).to.include({ removed: true, policy: 'any' });
  });

  it('expects 410 at every version for a removed route, 404 outside a range, 2xx inside', () => {
    expect(expectedFamily(route('/os-agents'), '2.1')).to.equal(410);
    expect(expectedFamily(route('/os-agents'), '2.93')).to.equal(410);
    expect(expectedFamily(route('/images'), '2.35')).to.equal('2xx');
    expect(expectedFamily(route('/images'), '2.36')).to.equal(404);
    expect(expectedFamily(route('/servers/{server_id}/topology'), '2.77')).to.equal(404);
    expect(expectedFamily(route('/servers/{server_id}/topology'), '2.78')).to.equal('2xx');
  });

  it('probes 2.1, each boundary and the version just outside it, and the max', () => {
    const max = APIVersionRequest.parse('2.93');
    const show = (r: NovaRoute) => probeVersions(r, max).map(String);
    expect(show(route('/os-hosts'))).to.deep.equal(['2.1', '2.42', '2.43', '2.93']);
    expect(show(route('/servers/{server_id}/tags'))).to.deep.equal(['2.1', '2.25', '2.26', '2.93']);
    expect(show(route('/servers'))).to.deep.equal(['2.1', '2.93']);
    expect(show(route('/servers/{server_id}/shares'))).to.deep.equal(['2.1', '2.93']);
    expect(show(route('/os-volumes_boot'))).to.deep.equal(['2.1', '2.93']);
  });

  it('maps families and paths', () => {
    expect(inFamily(204, '2xx')).to.equal(true);
    expect(inFamily(409, '4xx')).to.equal(true);
    expect(inFamily(404, 410)).to.equal(false);
    expect(fastifyPath('/servers/{server_id}/tags/{id}')).to.equal('/v2.1/servers/:server_id/tags/:id');
    expect(fastifyPath('/')).to.equal('/v2.1/');
  });

  it('lists every exclusion of the walk in docs/api-coverage.md, and nothing else there', () => {
    const doc = readFileSync(new URL('../../../docs/api-coverage.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Exclusions'));
    const rows = [...section.matchAll(/^\| `(GET|POST|PUT|DELETE) ([^`]+)` \|/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    expect(rows.sort()).to.deep.equal(Object.keys(EXCLUSIONS).sort());
    for (const key of rows) expect(NOVA_ROUTES.map(routeKey)).to.include(key);
  });
});
