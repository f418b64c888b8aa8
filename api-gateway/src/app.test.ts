import { expect } from 'chai';
import { buildApp } from './app.ts';

const VARY = 'OpenStack-API-Version, X-OpenStack-Nova-API-Version';

describe('gateway app (Fastify inject)', () => {
  const app = buildApp();
  after(() => app.close());

  it('GET / returns 200 with the versions list, links on the request host, no version headers', async () => {
    const res = await app.inject({ method: 'GET', url: '/', headers: { host: 'nova.example:8774' } });
    expect(res.statusCode).to.equal(200);
    expect(res.body).to.equal(
      '{"versions":[{"id":"v2.0","status":"SUPPORTED","version":"","min_version":"","updated":"2011-01-21T11:33:21Z",' +
        '"links":[{"rel":"self","href":"http://nova.example:8774/v2/"}]},' +
        '{"id":"v2.1","status":"CURRENT","version":"2.101","min_version":"2.1","updated":"2013-07-23T11:33:21Z",' +
        '"links":[{"rel":"self","href":"http://nova.example:8774/v2.1/"}]}]}',
    );
    expect(res.headers).to.not.have.property('openstack-api-version');
  });

  it('every response carries x-openstack-request-id and x-compute-request-id, the same req-<uuid4>', async () => {
    for (const url of ['/', '/v2.1/', '/v2.1/nope', '/other']) {
      const res = await app.inject({ method: 'GET', url });
      const id = res.headers['x-openstack-request-id'];
      expect(id, url).to.match(/^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(res.headers['x-compute-request-id'], url).to.equal(id);
    }
    const [a, b] = await Promise.all([app.inject('/'), app.inject('/')]);
    expect(a.headers['x-openstack-request-id']).to.not.equal(b.headers['x-openstack-request-id']);
  });

  it('an incoming X-OpenStack-Request-Id is not reused as the local request id', async () => {
    const res = await app.inject({ url: '/', headers: { 'x-openstack-request-id': 'req-mine' } });
    expect(res.headers['x-openstack-request-id']).to.not.equal('req-mine');
  });

  for (const url of ['/v2.1', '/v2.1/']) {
    it(`GET ${url} returns the v2.1 version document with the 2.1 default version headers`, async () => {
      const res = await app.inject({ method: 'GET', url, headers: { host: 'h:8774' } });
      expect(res.statusCode).to.equal(200);
      expect(res.json()).to.deep.equal({
        version: {
          id: 'v2.1',
          status: 'CURRENT',
          version: '2.101',
          min_version: '2.1',
          updated: '2013-07-23T11:33:21Z',
          links: [
            { rel: 'self', href: 'http://h:8774/v2.1/' },
            { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' },
          ],
          'media-types': [
            { base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' },
          ],
        },
      });
      expect(res.headers['openstack-api-version']).to.equal('compute 2.1');
      expect(res.headers['x-openstack-nova-api-version']).to.equal('2.1');
      expect(res.headers['vary']).to.equal(VARY);
    });
  }

  it('links honour X-Forwarded-Proto, X-Forwarded-Host and X-Forwarded-Prefix behind a proxy', async () => {
    const res = await app.inject({
      url: '/v2.1/',
      headers: {
        host: 'internal:8774',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'cloud.example, proxy2',
        'x-forwarded-prefix': '/compute/',
      },
    });
    expect(res.json().version.links[0]).to.deep.equal({
      rel: 'self',
      href: 'https://cloud.example/compute/v2.1/',
    });
  });

  it('OpenStack-API-Version: compute latest negotiates 2.101 and stores it on the request', async () => {
    let seen = '';
    const local = buildApp();
    local.get('/v2.1/probe', async (request) => {
      seen = String(request.microversion);
      return {};
    });
    const res = await local.inject({
      url: '/v2.1/probe',
      headers: { 'openstack-api-version': 'compute latest' },
    });
    await local.close();
    expect(seen).to.equal('2.101');
    expect(res.headers['openstack-api-version']).to.equal('compute 2.101');
    expect(res.headers['x-openstack-nova-api-version']).to.equal('2.101');
  });

  it('a 404 under /v2.1 is an itemNotFound fault that still carries the version headers', async () => {
    const res = await app.inject({
      url: '/v2.1/no-such-thing',
      headers: { 'x-openstack-nova-api-version': '2.53' },
    });
    expect(res.statusCode).to.equal(404);
    expect(res.headers['content-type']).to.equal('application/json; charset=UTF-8');
    expect(res.json()).to.deep.equal({
      itemNotFound: { code: 404, message: 'The resource could not be found.' },
    });
    expect(res.headers['openstack-api-version']).to.equal('compute 2.53');
    expect(res.headers['x-openstack-nova-api-version']).to.equal('2.53');
    expect(res.headers['vary']).to.equal(VARY);
  });

  it('GET /v2.1/versions/v2.0 shows v2.0; an unknown id is 404', async () => {
    expect((await app.inject('/v2.1/versions/v2.0')).json().version.id).to.equal('v2.0');
    expect((await app.inject('/v2.1/versions/v9')).statusCode).to.equal(404);
  });

  it('an out-of-range version is 406 computeFault with Nova message, echoing the requested version', async () => {
    const res = await app.inject({ url: '/v2.1/', headers: { 'openstack-api-version': 'compute 2.200' } });
    expect(res.statusCode).to.equal(406);
    expect(res.body).to.equal(
      '{"computeFault":{"code":406,"message":"Version 2.200 is not supported by the API. Minimum is 2.1 and maximum is 2.101."}}',
    );
    expect(res.headers['openstack-api-version']).to.equal('compute 2.200');
    expect(res.headers['x-openstack-request-id']).to.match(/^req-/);
  });

  it('a malformed version is 400 badRequest without version headers', async () => {
    const res = await app.inject({ url: '/v2.1/', headers: { 'x-openstack-nova-api-version': '2.1a' } });
    expect(res.statusCode).to.equal(400);
    expect(res.json()).to.deep.equal({
      badRequest: {
        code: 400,
        message: 'API Version String 2.1a is of invalid format. Must be of format MajorNum.MinorNum.',
      },
    });
    expect(res.headers).to.not.have.property('openstack-api-version');
  });

  it('the unversioned root ignores version headers (not under microversion control)', async () => {
    const res = await app.inject({ url: '/', headers: { 'openstack-api-version': 'compute 9.9' } });
    expect(res.statusCode).to.equal(200);
  });

  it('any other unversioned path is 300 Multiple Choices', async () => {
    const res = await app.inject({ url: '/servers', headers: { host: 'h' } });
    expect(res.statusCode).to.equal(300);
    expect(res.json().choices.map((c: { links: { href: string }[] }) => c.links[0]!.href)).to.deep.equal([
      'http://h/v2/servers',
      'http://h/v2.1/servers',
    ]);
  });

  describe('faults from handlers and Fastify', () => {
    const local = buildApp();
    local.post('/v2.1/echo', async (request) => ({ body: request.body ?? null }));
    local.get('/v2.1/boom', async () => {
      throw new RangeError('kaboom');
    });
    local.get('/v2.1/locked', async () => {
      const { ApiError } = await import('./errors.ts');
      throw new ApiError(409, 'Instance is locked');
    });
    after(() => local.close());

    it('malformed JSON is 400 "Malformed request body"', async () => {
      const res = await local.inject({
        method: 'POST',
        url: '/v2.1/echo',
        headers: { 'content-type': 'application/json' },
        payload: '{nope',
      });
      expect(res.statusCode).to.equal(400);
      expect(res.json()).to.deep.equal({ badRequest: { code: 400, message: 'Malformed request body' } });
      expect(res.headers['openstack-api-version']).to.equal('compute 2.1');
    });

    it('application/vnd.openstack.compute+json bodies are parsed, and an empty body is allowed', async () => {
      const ok = await local.inject({
        method: 'POST',
        url: '/v2.1/echo',
        headers: { 'content-type': 'application/vnd.openstack.compute+json' },
        payload: '{"a":1}',
      });
      expect(ok.json()).to.deep.equal({ body: { a: 1 } });
      const empty = await local.inject({
        method: 'POST',
        url: '/v2.1/echo',
        headers: { 'content-type': 'application/json' },
      });
      expect(empty.json()).to.deep.equal({ body: null });
    });

    it('an unsupported Content-Type is 415 badMediaType "Unsupported Content-Type"', async () => {
      const res = await local.inject({
        method: 'POST',
        url: '/v2.1/echo',
        headers: { 'content-type': 'application/xml' },
        payload: '<a/>',
      });
      expect(res.json()).to.deep.equal({ badMediaType: { code: 415, message: 'Unsupported Content-Type' } });
    });

    it('an ApiError 409 is a conflictingRequest fault', async () => {
      const res = await local.inject('/v2.1/locked');
      expect(res.statusCode).to.equal(409);
      expect(res.json()).to.deep.equal({ conflictingRequest: { code: 409, message: 'Instance is locked' } });
    });

    it('an unexpected exception is 500 computeFault with Nova wording, version headers kept', async () => {
      const res = await local.inject('/v2.1/boom');
      expect(res.statusCode).to.equal(500);
      expect(res.json().computeFault.message).to.match(/^Unexpected API Error\. .*\n<class 'RangeError'>$/s);
      expect(res.headers['x-openstack-nova-api-version']).to.equal('2.1');
    });
  });
});
