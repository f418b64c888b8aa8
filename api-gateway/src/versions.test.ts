import { expect } from 'chai';
import { choicesDocument, urlJoin, versionDocument, versionsDocument } from './versions.ts';

const BASE = 'http://nova.example:8774';

describe('versions documents (compute/versions.py, views/versions.py)', () => {
  it('GET / lists v2.0 SUPPORTED and v2.1 CURRENT 2.101 with self links only', () => {
    expect(JSON.stringify(versionsDocument(BASE))).to.equal(
      JSON.stringify({
        versions: [
          {
            id: 'v2.0',
            status: 'SUPPORTED',
            version: '',
            min_version: '',
            updated: '2011-01-21T11:33:21Z',
            links: [{ rel: 'self', href: `${BASE}/v2/` }],
          },
          {
            id: 'v2.1',
            status: 'CURRENT',
            version: '2.101',
            min_version: '2.1',
            updated: '2013-07-23T11:33:21Z',
            links: [{ rel: 'self', href: `${BASE}/v2.1/` }],
          },
        ],
      }),
    );
  });

  it('GET /v2.1/ puts the self link before describedby and lists the media types', () => {
    expect(JSON.stringify(versionDocument(`${BASE}/v2.1`))).to.equal(
      JSON.stringify({
        version: {
          id: 'v2.1',
          status: 'CURRENT',
          version: '2.101',
          min_version: '2.1',
          updated: '2013-07-23T11:33:21Z',
          links: [
            { rel: 'self', href: `${BASE}/v2.1/` },
            { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' },
          ],
          'media-types': [
            { base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' },
          ],
        },
      }),
    );
  });

  it('building a version document does not mutate the shared VERSIONS table', () => {
    versionDocument(`${BASE}/v2.1`);
    expect(versionDocument(`${BASE}/v2.1/`).version.links).to.have.length(2);
  });

  it('300 choices append the request path under each version', () => {
    expect(choicesDocument(BASE, '/servers')).to.deep.equal({
      choices: [
        {
          id: 'v2.0',
          status: 'SUPPORTED',
          links: [{ rel: 'self', href: `${BASE}/v2/servers` }],
          'media-types': [
            { base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2' },
          ],
        },
        {
          id: 'v2.1',
          status: 'CURRENT',
          links: [{ rel: 'self', href: `${BASE}/v2.1/servers` }],
          'media-types': [
            { base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' },
          ],
        },
      ],
    });
  });

  it('urlJoin strips slashes and an empty last part gives a trailing slash (common.url_join)', () => {
    expect(urlJoin('http://h/', '/v2.1/', '')).to.equal('http://h/v2.1/');
    expect(urlJoin('http://h', 'v2', '/x')).to.equal('http://h/v2/x');
  });
});
