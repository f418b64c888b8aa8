import { expect } from 'chai';
import { effectiveRoles, roleId } from './store.ts';
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
});
