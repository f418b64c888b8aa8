import { expect } from 'chai';
import {
  CustomObjectsApi,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { ControlPlane } from '../../../../e2e/harness/controlplane.ts';
import { GROUP, VERSION } from '../kind.ts';
import type { Flavor } from './flavor.ts';

const plural = 'flavors';

function flavor(name: string, spec: Record<string, unknown>) {
  return { apiVersion: `${GROUP}/${VERSION}`, kind: 'Flavor', metadata: { name }, spec };
}

/** The apiserver's message for a refused create, or '' if it was accepted. */
async function refusal(api: CustomObjectsApi, body: object): Promise<string> {
  try {
    await api.createClusterCustomObject({ group: GROUP, version: VERSION, plural, body });
    return '';
  } catch (e) {
    const err = e as { code?: number; body?: string };
    expect(err.code, String(e)).to.equal(422);
    return (JSON.parse(err.body ?? '{}') as { message?: string }).message ?? '';
  }
}

describe('Flavor CRD on the real apiserver', function () {
  this.timeout(60_000);
  let cp: ControlPlane;
  let api: CustomObjectsApi;

  before(async () => {
    cp = await ControlPlane.start();
    api = cp.kubeConfig.makeApiClient(CustomObjectsApi);
  });
  after(async () => {
    await cp?.stop();
  });

  it('a Flavor created through client-node arrives through an informer, with Nova defaults applied', async () => {
    const informer = makeInformer<KubernetesObject>(
      cp.kubeConfig,
      `/apis/${GROUP}/${VERSION}/${plural}`,
      () => api.listClusterCustomObject({ group: GROUP, version: VERSION, plural }),
    );
    const seen = new Promise<Flavor>((resolve) => informer.on('add', (o) => resolve(o as Flavor)));
    await informer.start();
    try {
      await api.createClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural,
        body: flavor('m1.tiny', { id: '1', name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1 }),
      });
      const got = await seen;
      expect(got.metadata.name).to.equal('m1.tiny');
      expect(got.spec).to.deep.equal({
        id: '1',
        name: 'm1.tiny',
        vcpus: 1,
        ram: 512,
        disk: 1,
        ephemeral: 0,
        swap: 0,
        rxtxFactor: 1,
        isPublic: true,
      });
    } finally {
      await informer.stop();
    }
  });

  it('refuses negative vcpus with the schema message', async () => {
    const msg = await refusal(api, flavor('bad-vcpus', { name: 'x', vcpus: -1, ram: 512, disk: 1 }));
    expect(msg).to.contain(
      'spec.vcpus: Invalid value: -1: spec.vcpus in body should be greater than or equal to 1',
    );
  });

  it('refuses a flavor without ram', async () => {
    const msg = await refusal(api, flavor('bad-ram', { name: 'x', vcpus: 1, disk: 1 }));
    expect(msg).to.contain('spec.ram: Required value');
  });

  it("keeps a flavor immutable except description, extra specs and access, as Nova's flavors are", async () => {
    await api.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural,
      body: flavor('m1.small', { name: 'm1.small', vcpus: 1, ram: 2048, disk: 20 }),
    });
    const patch = (spec: object) =>
      api.patchClusterCustomObject(
        { group: GROUP, version: VERSION, plural, name: 'm1.small', body: { spec } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    const updated = (await patch({
      description: 'general purpose',
      extraSpecs: { 'hw:cpu_policy': 'shared' },
    })) as Flavor;
    expect(updated.spec.description).to.equal('general purpose');
    const err = await patch({ vcpus: 2 }).then(
      () => undefined,
      (e: { code?: number; body?: string }) => e,
    );
    expect(err?.code).to.equal(422);
    expect(err?.body).to.contain('vcpus is immutable');
  });

  it('`kubectl apply` then `kubectl get flavors` shows the Nova columns', async () => {
    const manifest = [
      `apiVersion: ${GROUP}/${VERSION}`,
      'kind: Flavor',
      'metadata: {name: m1.large}',
      'spec: {id: "4", name: m1.large, vcpus: 4, ram: 8192, disk: 80, ephemeral: 10}',
    ].join('\n');
    const applied = await cp.kubectl(['apply', '-f', '-'], manifest);
    expect(applied.stderr).to.equal('');
    expect(applied.stdout.trim()).to.equal('flavor.compute.kova.io/m1.large created');

    const { code, stdout } = await cp.kubectl(['get', 'flavors', 'm1.large']);
    expect(code).to.equal(0);
    const [header, row] = stdout
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    expect(header).to.deep.equal([
      'NAME',
      'ID',
      'FLAVOR',
      'VCPUS',
      'RAM',
      'DISK',
      'EPHEMERAL',
      'PUBLIC',
      'AGE',
    ]);
    expect(row?.slice(0, 8)).to.deep.equal(['m1.large', '4', 'm1.large', '4', '8192', '80', '10', 'true']);

    const short = await cp.kubectl(['get', 'flv', '-o', 'name']);
    expect(short.stdout).to.contain('flavor.compute.kova.io/m1.large');
  });
});
