import { expect } from 'chai';
import { expandAssignments } from './roles.ts';
import { appCredOf, effectiveRoles, impliedBy, projectOf, queryBool, roleId, userOf } from './store.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { TokenSigner, auditId } from './tokens.ts';

describe('Identity: passwords, tokens and roles', () => {
  it('hashes passwords with scrypt and a random salt, and verifies them', async () => {
    const a = await hashPassword('s3cret');
    const b = await hashPassword('s3cret');
    expect(a).to.match(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.to.equal(b);
    expect(await verifyPassword('s3cret', a)).to.equal(true);
    expect(await verifyPassword('S3cret', a)).to.equal(false);
    expect(await verifyPassword('s3cret', 'md5$whatever')).to.equal(false);
  });

  it('signs tokens that verify until they expire, and rejects any change to them', () => {
    const signer = new TokenSigner(Buffer.alloc(32, 7));
    const payload = { u: 'user', p: 'project', m: ['password'], iat: 1000, exp: 5000, a: [auditId()] };
    const token = signer.sign(payload);
    expect(signer.verify(token, 4999)).to.deep.equal(payload);
    expect(signer.verify(token, 5000)).to.equal(undefined);
    const [prefix, body, mac] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...payload, p: 'other' })).toString('base64url');
    expect(signer.verify(`${prefix}.${forged}.${mac}`, 2000)).to.equal(undefined);
    // The MAC's first character carries 6 of its bits (the last one partly padding): change it.
    const tampered = (mac![0] === 'A' ? 'B' : 'A') + mac!.slice(1);
    expect(signer.verify(`${prefix}.${body}.${tampered}`, 2000)).to.equal(undefined);
    expect(new TokenSigner(Buffer.alloc(32, 8)).verify(token, 2000)).to.equal(undefined);
    expect(signer.verify('garbage', 2000)).to.equal(undefined);
  });

  it("makes Keystone's 22-character audit ids", () => {
    expect(auditId()).to.match(/^[A-Za-z0-9_-]{22}$/);
  });

  it('implies member and reader from admin, and reader from member', () => {
    expect(effectiveRoles(['admin'])).to.deep.equal(['admin', 'member', 'reader']);
    expect(effectiveRoles(['member'])).to.deep.equal(['member', 'reader']);
    expect(effectiveRoles(['reader'])).to.deep.equal(['reader']);
    expect(effectiveRoles([])).to.deep.equal([]);
    expect(roleId('admin'))
      .to.match(/^[0-9a-f]{32}$/)
      .and.not.equal(roleId('member'));
  });

  it('states the implied-role rules one step at a time (admin ⇒ member, member ⇒ reader)', () => {
    expect(impliedBy('admin')).to.deep.equal(['member']);
    expect(impliedBy('member')).to.deep.equal(['reader']);
    expect(impliedBy('reader')).to.deep.equal([]);
  });

  it('expands role assignments to effective ones, each implied row naming its prior role, without duplicates', () => {
    const p = { id: 'p1' };
    const direct = [
      { userId: 'u', project: p, role: 'admin' as const },
      { userId: 'u', project: p, role: 'member' as const },
    ];
    expect(expandAssignments(direct, false)).to.equal(direct);
    const rows = expandAssignments(direct, true);
    expect(rows.map((r) => [r.role, r.prior])).to.deep.equal([
      ['admin', undefined],
      ['member', undefined],
      ['reader', 'admin'],
    ]);
  });

  it("reads Keystone's query booleans as Keystone does", () => {
    for (const f of ['0', 'false', 'False', 'no', 'off']) expect(queryBool(f)).to.equal(false);
    for (const t of ['1', 'true', 'True', 'yes', '']) expect(queryBool(t)).to.equal(true);
  });

  const b64 = (o: Record<string, string>) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));

  it('reads a project from its namespace: a renamed one keeps its namespace, a disabled one says so', () => {
    const p = projectOf({
      metadata: {
        name: 'demo',
        labels: { 'identity.kova.io/project-id': 'abc', 'identity.kova.io/managed': 'true' },
        annotations: {
          'identity.kova.io/name': 'Demo 2',
          'identity.kova.io/enabled': 'false',
          'identity.kova.io/delete-servers': 'true',
        },
      },
    });
    expect(p).to.deep.include({
      id: 'abc',
      name: 'Demo 2',
      namespace: 'demo',
      enabled: false,
      managed: true,
      cascade: true,
    });
    const plain = projectOf({ metadata: { name: 'x', labels: { 'identity.kova.io/project-id': 'i' } } });
    expect(plain).to.deep.include({ name: 'x', enabled: true, managed: false, cascade: false });
  });

  it('reads users and application credentials from their Secrets', () => {
    const u = userOf({
      metadata: {},
      data: b64({ id: 'u1', name: 'bob', enabled: 'false', tokens_valid_after: '42', email: 'b@x' }),
    });
    expect(u).to.deep.include({ id: 'u1', name: 'bob', enabled: false, tokensValidAfter: 42, email: 'b@x' });
    expect(u.defaultProjectId).to.equal(undefined);
    const c = appCredOf({
      metadata: {},
      data: b64({
        id: 'c1',
        name: 'ci',
        user_id: 'u1',
        project_id: 'p1',
        roles: '["member","reader","bogus"]',
        expires_at: '2030-01-01T00:00:00.000Z',
        unrestricted: 'false',
      }),
    });
    expect(c).to.deep.include({ id: 'c1', userId: 'u1', projectId: 'p1', unrestricted: false });
    expect(c.roles).to.deep.equal(['member', 'reader']);
    expect(c.expiresAt).to.equal(Date.parse('2030-01-01T00:00:00Z'));
    const broken = appCredOf({ metadata: {}, data: b64({ id: 'c2', roles: 'not json' }) });
    expect(broken.roles).to.deep.equal([]);
    expect(broken.expiresAt).to.equal(null);
  });
});
