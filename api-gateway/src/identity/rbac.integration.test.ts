import { expect } from 'chai';
import { KubeClient } from '../../../operator/src/kube/client.ts';
import { ControlPlane } from '../../../e2e/harness/controlplane.ts';
import { createNamespace } from '../../../e2e/harness/fixtures.ts';
import { type TestGateway, startGateway } from '../../../e2e/harness/gateway.ts';
import { RBAC_MANIFESTS, ensureRbac, gatewayRbac } from './rbac.ts';
import { SYSTEM_NAMESPACE } from './store.ts';

const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGXhFQ9S6FXRzBLf0Vgvw3jDvqfKOxI6eHO+/W2iVDAY test@kova';

describe('The gateway with only its own ClusterRole (kova:gateway), not cluster-admin', function () {
  this.timeout(120_000);
  let cp: ControlPlane;
  let gw: TestGateway;
  let admin: KubeClient;

  before(async () => {
    cp = await ControlPlane.start({ users: [{ name: 'kova-gateway' }] });
    admin = await KubeClient.create(cp.kubeConfig);
    // What a chart installs: kova-system, Kova's roles and admission policy, the gateway's rights.
    await createNamespace(admin, SYSTEM_NAMESPACE);
    await ensureRbac(admin, [...RBAC_MANIFESTS, ...gatewayRbac({ kind: 'User', name: 'kova-gateway' })]);
    gw = await startGateway(cp, {
      kubeConfig: cp.kubeConfigFor('kova-gateway'),
      applyRbac: false,
      bootstrap: { user: 'admin', password: 'secret', project: 'admin' },
    });
  });
  after(async () => {
    await gw?.close();
    await admin?.close();
    await cp?.stop();
  });

  it('bootstraps, manages projects, users and roles, and serves flavors and keypairs for users', async () => {
    const adminToken = await gw.token('admin', 'secret', 'admin');
    const call = (method: string, path: string, body?: unknown, token = adminToken) =>
      gw.call(method, path, { token, body });

    const project = await call('POST', '/identity/v3/projects', { project: { name: 'team' } });
    expect(project.status).to.equal(201);
    const user = await call('POST', '/identity/v3/users', { user: { name: 'dev', password: 'dev-pw' } });
    expect(user.status).to.equal(201);
    const grant = await call(
      'PUT',
      `/identity/v3/projects/${project.body.project.id}/users/${user.body.user.id}/roles/member`,
    );
    expect(grant.status).to.equal(204);

    const flavor = await call('POST', '/v2.1/flavors', {
      flavor: { name: 'f1', id: 'f1', ram: 64, vcpus: 1, disk: 0 },
    });
    expect(flavor.status).to.equal(200);
    const dev = await gw.token('dev', 'dev-pw', 'team');
    const listed = await call('GET', '/v2.1/flavors', undefined, dev);
    expect(listed.body.flavors.map((f: { id: string }) => f.id)).to.deep.equal(['f1']);
    const kp = await call('POST', '/v2.1/os-keypairs', { keypair: { name: 'k', public_key: SSH_KEY } }, dev);
    expect(kp.status).to.equal(200);
    expect((await call('GET', '/v2.1/os-keypairs/k', undefined, dev)).status).to.equal(200);
    expect((await call('DELETE', '/v2.1/os-keypairs/k', undefined, dev)).status).to.equal(202);
    const tokenRevoked = await gw.call('DELETE', '/identity/v3/auth/tokens', {
      token: adminToken,
      headers: { 'X-Subject-Token': dev },
    });
    expect(tokenRevoked.status).to.equal(204);
    const revoked = await call(
      'DELETE',
      `/identity/v3/projects/${project.body.project.id}/users/${user.body.user.id}/roles/member`,
    );
    expect(revoked.status).to.equal(204);
  });

  it('cannot itself write Kova objects: its writes for users are impersonated', async () => {
    const err = await gw.gateway.ctx.kube
      .create('/apis/compute.kova.io/v1alpha1/flavors', {
        apiVersion: 'compute.kova.io/v1alpha1',
        kind: 'Flavor',
        metadata: { name: 'direct' },
        spec: { name: 'direct', ram: 1, vcpus: 1, disk: 0 },
      })
      .catch((e: { code?: number }) => e);
    expect((err as { code?: number }).code).to.equal(403);
  });
});
