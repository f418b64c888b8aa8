import { expect } from 'chai';
import {
  APIVersionRequest,
  MAX_VERSION,
  MIN_VERSION,
  negotiate,
  requestedVersionString,
  versionHeaders,
} from './microversion.ts';
import { ApiError } from './errors.ts';

function negotiateError(headers: Record<string, string | string[]>): ApiError {
  try {
    negotiate(headers);
  } catch (e) {
    expect(e).to.be.instanceOf(ApiError);
    return e as ApiError;
  }
  throw new Error('negotiate did not throw');
}

describe('APIVersionRequest', () => {
  it('parses "2.53" into major 2, minor 53', () => {
    const v = APIVersionRequest.parse('2.53');
    expect([v.major, v.minor]).to.deep.equal([2n, 53n]);
    expect(v.toString()).to.equal('2.53');
  });

  it('accepts minor 0 but rejects leading zeros, signs, spaces and a missing part (Nova regex)', () => {
    expect(APIVersionRequest.parse('3.0').toString()).to.equal('3.0');
    for (const bad of [
      '2.01',
      '02.1',
      '0.1',
      '2',
      '2.',
      '.1',
      '-2.1',
      ' 2.1',
      '2.1.1',
      '2,1',
      'latest',
      '',
    ]) {
      expect(() => APIVersionRequest.parse(bad), bad).to.throw(ApiError);
    }
  });

  it('compares numerically, not as text: 2.10 > 2.9', () => {
    expect(APIVersionRequest.parse('2.10').compare('2.9')).to.equal(1);
    expect(APIVersionRequest.parse('2.9').compare('2.10')).to.equal(-1);
    expect(APIVersionRequest.parse('2.9').compare('2.9')).to.equal(0);
    expect(APIVersionRequest.parse('3.0').compare('2.93')).to.equal(1);
  });

  it('matches(min, max) is inclusive and an undefined bound is unlimited', () => {
    const v = APIVersionRequest.parse('2.53');
    expect(v.matches('2.53', '2.53')).to.equal(true);
    expect(v.matches('2.1', '2.52')).to.equal(false);
    expect(v.matches('2.54')).to.equal(false);
    expect(v.matches(undefined, '2.53')).to.equal(true);
    expect(v.matches()).to.equal(true);
  });

  it('MIN is 2.1 and MAX is 2.101 (Zed 2.93 and master up to 2.101)', () => {
    expect(`${MIN_VERSION}`).to.equal('2.1');
    expect(`${MAX_VERSION}`).to.equal('2.101');
  });
});

describe('negotiate (Request.set_api_version_request)', () => {
  it('no version header negotiates 2.1, the minimum', () => {
    expect(negotiate({}).toString()).to.equal('2.1');
  });

  it('OpenStack-API-Version: compute 2.53 negotiates 2.53', () => {
    expect(negotiate({ 'openstack-api-version': 'compute 2.53' }).toString()).to.equal('2.53');
  });

  it('OpenStack-API-Version: compute latest negotiates 2.101', () => {
    expect(negotiate({ 'openstack-api-version': 'compute latest' }).toString()).to.equal('2.101');
  });

  it('X-OpenStack-Nova-API-Version: latest negotiates 2.101', () => {
    expect(negotiate({ 'x-openstack-nova-api-version': 'latest' }).toString()).to.equal('2.101');
  });

  it('"Latest" is case-sensitive and is a malformed version (400)', () => {
    expect(negotiateError({ 'openstack-api-version': 'compute Latest' }).code).to.equal(400);
  });

  it('the service name is case-insensitive: COMPUTE 2.5', () => {
    expect(negotiate({ 'OpenStack-API-Version': 'COMPUTE 2.5' }).toString()).to.equal('2.5');
  });

  it('picks the compute entry from a comma-separated list of services', () => {
    expect(
      negotiate({ 'openstack-api-version': 'identity 3.7, compute 2.60, placement 1.30' }).toString(),
    ).to.equal('2.60');
  });

  it('the last compute entry wins, including across repeated headers', () => {
    expect(requestedVersionString({ 'openstack-api-version': 'compute 2.3, compute 2.7' })).to.equal('2.7');
    expect(requestedVersionString({ 'openstack-api-version': ['compute 2.3', 'compute 2.8'] })).to.equal(
      '2.8',
    );
  });

  it('the standard header takes precedence over the legacy header', () => {
    const h = { 'openstack-api-version': 'compute 2.30', 'x-openstack-nova-api-version': '2.10' };
    expect(negotiate(h).toString()).to.equal('2.30');
  });

  it('a standard header naming no compute version falls back to the legacy header', () => {
    const h = { 'openstack-api-version': 'identity 3.7', 'x-openstack-nova-api-version': '2.10' };
    expect(negotiate(h).toString()).to.equal('2.10');
    expect(negotiate({ 'openstack-api-version': 'identity 3.7' }).toString()).to.equal('2.1');
  });

  it('the legacy header uses its last comma-separated value', () => {
    expect(negotiate({ 'x-openstack-nova-api-version': '2.2, 2.4' }).toString()).to.equal('2.4');
  });

  it('a malformed version is 400 "API Version String <v> is of invalid format"', () => {
    const e = negotiateError({ 'openstack-api-version': 'compute 2.x' });
    expect(e.code).to.equal(400);
    expect(e.message).to.equal(
      'API Version String 2.x is of invalid format. Must be of format MajorNum.MinorNum.',
    );
    expect(e.headers, 'the version stays null, so no version headers').to.deep.equal({});
  });

  it('an out-of-range version is 406 with Nova message and echoes the requested version headers', () => {
    const e = negotiateError({ 'openstack-api-version': 'compute 2.200' });
    expect(e.code).to.equal(406);
    expect(e.message).to.equal(
      'Version 2.200 is not supported by the API. Minimum is 2.1 and maximum is 2.101.',
    );
    expect(e.headers['OpenStack-API-Version']).to.equal('compute 2.200');
    expect(negotiateError({ 'x-openstack-nova-api-version': '2.0' }).code).to.equal(406);
    expect(negotiateError({ 'x-openstack-nova-api-version': '3.0' }).code).to.equal(406);
    expect(negotiateError({ 'x-openstack-nova-api-version': '2.102' }).code).to.equal(406);
  });

  it('huge versions are compared and echoed exactly, like Python ints', () => {
    const e = negotiateError({ 'x-openstack-nova-api-version': '2.99999999999999999999' });
    expect(e.message).to.equal(
      'Version 2.99999999999999999999 is not supported by the API. Minimum is 2.1 and maximum is 2.101.',
    );
  });

  it('versionHeaders: OpenStack-API-Version, X-OpenStack-Nova-API-Version and Vary', () => {
    expect(versionHeaders(APIVersionRequest.parse('2.47'))).to.deep.equal({
      'OpenStack-API-Version': 'compute 2.47',
      'X-OpenStack-Nova-API-Version': '2.47',
      Vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
    });
  });
});
