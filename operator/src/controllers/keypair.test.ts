import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { fingerprint } from './keypair.ts';

describe('Keypair fingerprints (nova/crypto.py generate_fingerprint)', () => {
  it('an OpenSSH key: MD5 of its blob, colon-separated (ssh-keygen -l -E md5)', () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIqEr+cwqUU4w648xqk85LraLVfmI9Vz3ZYqnrrCyUxX demo@kova';
    // `ssh-keygen -l -E md5 -f demo.pub` prints MD5:b0:8a:fc:d8:76:93:9a:79:f7:42:57:a0:3e:9b:a7:19
    expect(fingerprint('ssh', key).fingerprint).to.equal('b0:8a:fc:d8:76:93:9a:79:f7:42:57:a0:3e:9b:a7:19');
    expect(fingerprint('ssh', key).fingerprint).to.equal(
      fingerprint('ssh', key.replace(' demo@kova', '')).fingerprint,
    );
  });

  it('a key whose blob does not decode to its type is invalid', () => {
    expect(fingerprint('ssh', 'ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIIqEr demo').error).to.contain(
      'Keypair data is invalid',
    );
    expect(fingerprint('ssh', 'ssh-rsa !!!!').error).to.contain('Keypair data is invalid');
  });

  it('an x509 certificate: SHA-1 of its DER, as `openssl x509 -fingerprint -sha1` prints it', () => {
    const cert = execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=kova',
        '-days',
        '1',
        '-keyout',
        '/dev/null',
      ],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    ).toString();
    const expected = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha1'], { input: cert })
      .toString()
      .trim()
      .split('=')[1]!
      .toLowerCase();
    expect(fingerprint('x509', cert).fingerprint).to.equal(expected);
  });

  it('an x509 certificate that cannot be parsed is invalid', () => {
    expect(
      fingerprint('x509', '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----').error,
    ).to.contain('Keypair data is invalid');
  });
});
