// Version documents, after nova/api/openstack/compute/versions.py and views/versions.py.
import { MAX_VERSION, MIN_VERSION } from './microversion.ts';

export interface Link {
  rel: string;
  href: string;
  type?: string;
}
export interface MediaType {
  base: string;
  type: string;
}
export interface VersionInfo {
  id: string;
  status: string;
  version: string;
  min_version: string;
  updated: string;
  links: Link[];
  'media-types': MediaType[];
}

const DESCRIBED_BY: Link = { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' };

/** versions.VERSIONS verbatim (the timestamps are Nova's fixed strings, not build dates). */
export const VERSIONS: Readonly<Record<'v2.0' | 'v2.1', VersionInfo>> = {
  'v2.0': {
    id: 'v2.0',
    status: 'SUPPORTED',
    version: '',
    min_version: '',
    updated: '2011-01-21T11:33:21Z',
    links: [DESCRIBED_BY],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2' }],
  },
  'v2.1': {
    id: 'v2.1',
    status: 'CURRENT',
    version: MAX_VERSION.toString(),
    min_version: MIN_VERSION.toString(),
    updated: '2013-07-23T11:33:21Z',
    links: [DESCRIBED_BY],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
  },
};

/** nova.api.openstack.common.url_join: strip '/' from each part; an empty last part adds a trailing slash. */
export function urlJoin(...parts: string[]): string {
  const clean = parts.filter((p) => p).map((p) => p.replace(/^\/+|\/+$/g, ''));
  if (!parts.at(-1)) clean.push('');
  return clean.join('/');
}

/** ViewBuilder.generate_href: ids starting "v2.1" live under /v2.1, every other id under /v2. */
function versionHref(baseUrl: string, id: string, path = ''): string {
  return urlJoin(baseUrl, id.startsWith('v2.1') ? 'v2.1' : 'v2', path);
}

/** GET / (200): both versions, sorted by id, each with only a self link. */
export function versionsDocument(baseUrl: string) {
  return {
    versions: Object.values(VERSIONS).map((v) => ({
      id: v.id,
      status: v.status,
      version: v.version,
      min_version: v.min_version,
      updated: v.updated,
      links: [{ rel: 'self', href: versionHref(baseUrl, v.id) }],
    })),
  };
}

/** Any other unversioned path (300 Multiple Choices): the request path is appended to each version's href. */
export function choicesDocument(baseUrl: string, path: string) {
  return {
    choices: Object.values(VERSIONS).map((v) => ({
      id: v.id,
      status: v.status,
      links: [{ rel: 'self', href: versionHref(baseUrl, v.id, path) }],
      'media-types': v['media-types'],
    })),
  };
}

/**
 * GET /v2.1 and /v2.1/ (200): the full version entry with a self link inserted first.
 * appUrl is the versioned application's URL, e.g. "https://nova.example/v2.1".
 */
export function versionDocument(appUrl: string, id: 'v2.0' | 'v2.1' = 'v2.1') {
  const v = structuredClone(VERSIONS[id]);
  v.links.unshift({ rel: 'self', href: appUrl.replace(/\/+$/, '') + '/' });
  return { version: v };
}
