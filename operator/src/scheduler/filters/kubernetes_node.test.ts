import { expect } from 'chai';
import { fakeHost, fakeSpec } from '../testing.ts';
import {
  NAME,
  REASON_NOT_READY,
  REASON_TAINT,
  REASON_UNSCHEDULABLE,
  create,
  tolerates,
} from './kubernetes_node.ts';

const node = (over: Partial<ReturnType<typeof fakeHost>['node']>) =>
  fakeHost('n', { node: { ready: true, unschedulable: false, taints: [], labels: {}, ...over } });

describe('KubernetesNodeFilter (kube-scheduler NodeReady, NodeUnschedulable, TaintToleration)', () => {
  const f = create();

  it(`is named ${NAME}`, () => expect(f.name).to.equal('KubernetesNodeFilter'));

  it('passes a Ready, uncordoned, untainted node', () => {
    expect(f.hostPasses(node({}), fakeSpec())).to.equal(undefined);
  });

  it('rejects a node that is not Ready, and a cordoned one', () => {
    expect(f.hostPasses(node({ ready: false }), fakeSpec())).to.equal(REASON_NOT_READY);
    expect(f.hostPasses(node({ unschedulable: true }), fakeSpec())).to.equal(REASON_UNSCHEDULABLE);
  });

  it('rejects NoSchedule and NoExecute taints the server does not tolerate; PreferNoSchedule never', () => {
    const gpu = { key: 'gpu', value: 'true', effect: 'NoSchedule' as const };
    expect(f.hostPasses(node({ taints: [gpu] }), fakeSpec())).to.equal(REASON_TAINT);
    expect(f.hostPasses(node({ taints: [{ ...gpu, effect: 'NoExecute' }] }), fakeSpec())).to.equal(
      REASON_TAINT,
    );
    expect(f.hostPasses(node({ taints: [{ ...gpu, effect: 'PreferNoSchedule' }] }), fakeSpec())).to.equal(
      undefined,
    );
    const tolerating = fakeSpec({
      tolerations: [{ key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
    });
    expect(f.hostPasses(node({ taints: [gpu] }), tolerating)).to.equal(undefined);
  });

  it('matches tolerations as Kubernetes does: Exists, Equal, empty key with Exists, effect', () => {
    const taint = { key: 'k', value: 'v', effect: 'NoSchedule' as const };
    expect(tolerates({ key: 'k', operator: 'Exists' }, taint)).to.equal(true);
    expect(tolerates({ key: 'k', operator: 'Equal', value: 'v' }, taint)).to.equal(true);
    expect(tolerates({ key: 'k', value: 'v' }, taint)).to.equal(true); // Equal is the default operator
    expect(tolerates({ key: 'k', operator: 'Equal', value: 'w' }, taint)).to.equal(false);
    expect(tolerates({ operator: 'Exists' }, taint)).to.equal(true); // tolerates everything
    expect(tolerates({ key: 'k', operator: 'Exists', effect: 'NoExecute' }, taint)).to.equal(false);
  });
});
