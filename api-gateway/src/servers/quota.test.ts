import { expect } from 'chai';
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import {
  admittedUsage,
  checkActionQuota,
  checkUpsize,
  instancesAllowed,
  limitsOf,
  recheckOver,
  usage,
} from './quota.ts';
import { activeServer, apiErrorOf } from './testdata.ts';

const flavor = { vcpus: 2, ram: 1024 };

describe('server create quota (compute/utils.py check_num_instances_quota)', () => {
  const limits = limitsOf(undefined);

  it('uses the defaults without a ProjectQuota: 10 instances, 20 cores, 51200 MiB', () => {
    expect(limits).to.deep.equal({ instances: 10, cores: 20, ram: 51200 });
  });

  it('allows max_count when it fits and reduces it to what fits when min_count still does', () => {
    expect(instancesAllowed(limits, { instances: 0, cores: 0, ram: 0 }, flavor, 1, 5)).to.equal(5);
    expect(instancesAllowed(limits, { instances: 7, cores: 14, ram: 7168 }, flavor, 1, 5)).to.equal(3);
  });

  it("refuses with Nova's TooManyInstances message when not even min_count fits", () => {
    const e = apiErrorOf(() =>
      instancesAllowed(limits, { instances: 10, cores: 20, ram: 10240 }, flavor, 1, 1),
    );
    expect(e.code).to.equal(403);
    expect(e.message).to.equal(
      'Quota exceeded for instances, cores: Requested 1, 2, but already used 10, 20 of 10, 20 instances, cores',
    );
    const range = apiErrorOf(() =>
      instancesAllowed(limits, { instances: 8, cores: 16, ram: 0 }, flavor, 3, 4),
    );
    expect(range.message).to.equal(
      'Quota exceeded for instances, cores: Requested 3-4, 8, but already used 8, 16 of 10, 20 instances, cores',
    );
  });

  it('treats -1 as unlimited', () => {
    const unlimited = { instances: -1, cores: -1, ram: -1 };
    expect(instancesAllowed(unlimited, { instances: 1000, cores: 5000, ram: 1e7 }, flavor, 1, 50)).to.equal(
      50,
    );
  });

  it("rechecks with Nova's message: the original request and the whole limit used", () => {
    const full = { instances: 10, cores: 20, ram: 10240 };
    const one = recheckOver(limits, { instances: 11, cores: 22, ram: 11264 }, full, flavor, 1);
    expect(one?.code).to.equal(403);
    expect(one?.message).to.equal(
      'Quota exceeded for instances, cores: Requested 1, 2, but already used 10, 20 of 10, 20 instances, cores',
    );
    const tight = { instances: 10, cores: -1, ram: -1 };
    expect(recheckOver(tight, { instances: 11, cores: 22, ram: 0 }, full, flavor, 1)?.message).to.equal(
      'Quota exceeded for instances: Requested 1, but already used 10 of 10 instances',
    );
    expect(recheckOver(limits, full, full, flavor, 3)).to.equal(undefined);
    // Concurrent creates not yet undone inflate the count (15 of 10 instances, 30 of 20 cores):
    // the message names what the request does not fit beside the 10 admitted before it.
    const inflated = { instances: 15, cores: 30, ram: 15360 };
    const admitted = { instances: 10, cores: 10, ram: 5120 };
    expect(recheckOver(limits, inflated, admitted, { vcpus: 1, ram: 512 }, 1)?.message).to.equal(
      'Quota exceeded for instances: Requested 1, but already used 10 of 10 instances',
    );
  });
});

describe('quota recheck as of the creation revision (recheck.ts)', () => {
  // A model of the store: each create gets the next revision; the recheck of a create counts the
  // servers that existed at its revision (what a list with resourceVersionMatch=Exact returns),
  // and an undo deletes later. Creates and rechecks interleave in a random (seeded) order.
  function run(seed: number, clients: number, limit: number): { kept: number[]; refusals: string[] } {
    let state = seed;
    const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const log: { revision: number; created: number; deleted?: number }[] = [];
    let revision = 0;
    const limits = { instances: limit, cores: -1, ram: -1 };
    const server = (i: number): Server => ({
      ...activeServer(),
      metadata: { name: `s-${i}`, namespace: 'p' },
    });
    const pending = Array.from({ length: clients }, (_, i) => ({ i, step: 0, at: 0 }));
    const refusals: string[] = [];
    while (pending.length > 0) {
      const k = Math.floor(random() * pending.length);
      const c = pending[k]!;
      if (c.step === 0) {
        c.at = ++revision;
        log.push({ revision: c.at, created: c.i });
        c.step = 1;
        continue;
      }
      const asCreated = log
        .filter((e) => e.revision <= c.at && (e.deleted === undefined || e.deleted > c.at))
        .map((e) => server(e.created));
      const before = asCreated.filter((x) => x.metadata.name !== `s-${c.i}`);
      const over = recheckOver(
        limits,
        usage('p', asCreated, []),
        admittedUsage('p', before, [], limits),
        { vcpus: 1, ram: 512 },
        1,
      );
      if (over) {
        refusals.push(over.message);
        log.find((e) => e.created === c.i)!.deleted = ++revision;
      }
      pending.splice(k, 1);
    }
    const kept = log.filter((e) => e.deleted === undefined);
    return { kept: kept.map((e) => e.revision), refusals };
  }

  it('keeps exactly the first N creates by revision whatever the interleaving, and refuses the rest', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const { kept, refusals } = run(seed, 50, 10);
      expect(kept, `seed ${seed}`).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(refusals).to.have.length(40);
      expect(new Set(refusals)).to.deep.equal(
        new Set(['Quota exceeded for instances: Requested 1, but already used 10 of 10 instances']),
      );
    }
  });
});

describe('resize quota (compute.API._check_quota_for_upsize)', () => {
  const limits = { instances: 10, cores: 20, ram: 51200 };
  const small = { vcpus: 1, ram: 512 };
  const big = { vcpus: 4, ram: 8192 };

  it("checks only the growth of cores and RAM; over, Nova's 403 with the delta asked", () => {
    expect(() => checkUpsize(limits, { instances: 1, cores: 17, ram: 512 }, small, big)).to.not.throw();
    const e = apiErrorOf(() => checkUpsize(limits, { instances: 5, cores: 18, ram: 4096 }, small, big));
    expect(e.code).to.equal(403);
    expect(e.message).to.equal('Quota exceeded for cores: Requested 3, but already used 18 of 20 cores');
  });

  it('lets a downsize (and a revert of an upsize) pass whatever the usage', () => {
    expect(() => checkUpsize(limits, { instances: 10, cores: 40, ram: 99999 }, big, small)).to.not.throw();
  });
});

describe('quota usage (nova/quota.py _instances_cores_ram_count)', () => {
  const withState = (vmState: string): Server => {
    const s = activeServer();
    return { ...s, status: { ...s.status!, vmState: vmState as 'active' } };
  };

  it('counts shelved-offloaded servers but neither soft-deleted nor deleting ones', () => {
    const deleting = activeServer();
    deleting.metadata.deletionTimestamp = '2026-11-24T10:00:00Z';
    const servers = [withState('active'), withState('shelved_offloaded'), withState('soft-delete'), deleting];
    expect(usage('proj-a', servers, [])).to.deep.equal({ instances: 2, cores: 2, ram: 4096 });
  });
});

describe("actions' quota checks (resize, revert_resize, restore, unshelve)", () => {
  const limits = { instances: 2, cores: 4, ram: 8192 };
  const flavorCopy = (vcpus: number, ram: number) => ({ ...activeServer().status!.flavor!, vcpus, ram });
  const server = (status: Partial<NonNullable<Server['status']>>): Server => {
    const s = activeServer();
    return { ...s, status: { ...s.status!, ...status } };
  };

  it('reverting a downsize checks the growth back to the old flavor', () => {
    const resized = server({
      vmState: 'resized',
      flavor: flavorCopy(1, 512),
      migration: {
        kind: 'resize',
        oldFlavor: flavorCopy(4, 4096),
        newFlavor: flavorCopy(1, 512),
        vmStateBefore: 'active',
      },
    });
    const used = { instances: 2, cores: 2, ram: 1024 };
    const e = apiErrorOf(() => checkActionQuota('revertResize', resized, { limits, used }));
    expect(e.message).to.equal('Quota exceeded for cores: Requested 3, but already used 2 of 4 cores');
  });

  it('restoring a soft-deleted server counts it again; an unshelve checks nothing', () => {
    const used = { instances: 2, cores: 2, ram: 4096 };
    const soft = server({ vmState: 'soft-delete' });
    expect(apiErrorOf(() => checkActionQuota('restore', soft, { limits, used })).message).to.equal(
      'Quota exceeded for instances: Requested 1, but already used 2 of 2 instances',
    );
    const offloaded = server({ vmState: 'shelved_offloaded' });
    expect(() => checkActionQuota('unshelve', offloaded, { limits, used })).to.not.throw();
  });
});

describe('admitted usage (what a create is checked against and a refusal reports)', () => {
  it('counts the servers in creation order while they fit: a create past the limit holds nothing', () => {
    const at = (name: string, creationTimestamp: string, vcpus: number): Server => {
      const s = activeServer();
      return {
        ...s,
        metadata: { ...s.metadata, name, creationTimestamp },
        status: { ...s.status!, flavor: { ...s.status!.flavor!, vcpus, ram: 512 } },
      };
    };
    const limits = { instances: 10, cores: 4, ram: -1 };
    const servers = [
      at('c', '2026-11-24T10:00:02Z', 2),
      at('a', '2026-11-24T10:00:01Z', 3),
      at('b', '2026-11-24T10:00:01Z', 1),
    ];
    expect(admittedUsage('proj-a', servers, [], limits)).to.deep.equal({ instances: 2, cores: 4, ram: 1024 });
    expect(usage('proj-a', servers, [])).to.deep.equal({ instances: 3, cores: 6, ram: 1536 });
  });
});
