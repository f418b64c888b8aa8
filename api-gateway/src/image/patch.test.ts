import { expect } from 'chai';
import { GlanceError } from './errors.ts';
import { type ImageRecord, applyPatch, parsePatch, recordFromCreate, recordOf, specOf } from './patch.ts';

const base = (): ImageRecord => recordFromCreate({ name: 'img', os_distro: 'cirros' }, 'p1');
const refusal = (f: () => unknown): GlanceError => {
  try {
    f();
  } catch (e) {
    if (e instanceof GlanceError) return e;
    throw e;
  }
  throw new Error('no GlanceError');
};

describe('Glance image records and JSON patch', () => {
  it("defaults a create as Glance does: shared, unprotected, owned by the caller's project", () => {
    expect(base()).to.deep.include({
      name: 'img',
      visibility: 'shared',
      protected: false,
      owner: 'p1',
      min_ram: 0,
      properties: { os_distro: 'cirros' },
    });
  });

  it('round-trips a record through an Image spec, keeping the source', () => {
    const spec = specOf(base(), { ...specOf(base()), source: { url: 'http://x/y' } });
    expect(spec.source).to.deep.equal({ url: 'http://x/y' });
    expect(recordOf(spec)).to.deep.equal(base());
  });

  it('add replaces an existing property or core attribute (JSON patch semantics of v2.1)', () => {
    const r = applyPatch(
      base(),
      parsePatch([
        { op: 'add', path: '/os_distro', value: 'debian' },
        { op: 'add', path: '/name', value: 'n2' },
      ]),
      { status: 'active', isAdmin: false },
    );
    expect(r.properties.os_distro).to.equal('debian');
    expect(r.name).to.equal('n2');
  });

  it('decodes JSON pointer escapes in property names', () => {
    const r = applyPatch(base(), parsePatch([{ op: 'add', path: '/a~1b~0c', value: 'v' }]), {
      status: 'queued',
      isAdmin: false,
    });
    expect(r.properties['a/b~c']).to.equal('v');
  });

  it('refuses read-only and reserved attributes with 403, a missing property with 409', () => {
    const ctx = { status: 'queued', isAdmin: true };
    expect(
      refusal(() => applyPatch(base(), parsePatch([{ op: 'add', path: '/checksum', value: 'x' }]), ctx)),
    ).to.include({ code: 403, message: "Attribute 'checksum' is read-only." });
    expect(
      refusal(() => applyPatch(base(), parsePatch([{ op: 'add', path: '/deleted_at', value: 'x' }]), ctx)),
    ).to.include({ code: 403, message: "Attribute 'deleted_at' is reserved." });
    expect(refusal(() => applyPatch(base(), parsePatch([{ op: 'remove', path: '/hw_x' }]), ctx))).to.include({
      code: 409,
      message: 'Property hw_x does not exist.',
    });
  });

  it('lets only an admin change the owner, and formats only while queued', () => {
    const owner = parsePatch([{ op: 'replace', path: '/owner', value: 'p2' }]);
    expect(refusal(() => applyPatch(base(), owner, { status: 'queued', isAdmin: false })).code).to.equal(403);
    expect(applyPatch(base(), owner, { status: 'queued', isAdmin: true }).owner).to.equal('p2');
    const fmt = parsePatch([{ op: 'replace', path: '/disk_format', value: 'raw' }]);
    expect(refusal(() => applyPatch(base(), fmt, { status: 'active', isAdmin: true })).code).to.equal(403);
  });

  it('validates values against the image schema and dedupes tags', () => {
    const ctx = { status: 'queued', isAdmin: false };
    expect(
      refusal(() => applyPatch(base(), parsePatch([{ op: 'add', path: '/protected', value: 'yes' }]), ctx))
        .code,
    ).to.equal(400);
    expect(
      refusal(() => applyPatch(base(), parsePatch([{ op: 'add', path: '/min_disk', value: 1.5 }]), ctx)).code,
    ).to.equal(400);
    const r = applyPatch(base(), parsePatch([{ op: 'replace', path: '/tags', value: ['a', 'a', 'b'] }]), ctx);
    expect(r.tags).to.deep.equal(['a', 'b']);
  });

  it('refuses malformed patch documents with 400', () => {
    for (const bad of [
      {},
      [{ op: 'test', path: '/x', value: 1 }],
      [{ op: 'add', path: 'x', value: 1 }],
      [{ op: 'add', path: '/x' }],
    ]) {
      expect(refusal(() => parsePatch(bad)).code, JSON.stringify(bad)).to.equal(400);
    }
  });
});
