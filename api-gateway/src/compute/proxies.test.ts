import { expect } from 'chai';
import type { FastifyRequest } from 'fastify';
import type { Image } from '../../../operator/src/api/v1alpha1/index.ts';
import { imageDetailView, imageMatches } from './proxies.ts';

const image = (over: Partial<Image['spec']> = {}, phase = 'active'): Image =>
  ({
    apiVersion: 'compute.kova.io/v1alpha1',
    kind: 'Image',
    metadata: { name: 'snap', uid: 'img-1', creationTimestamp: '2026-11-24T10:00:00Z' },
    spec: {
      name: 'snap',
      visibility: 'public',
      minRam: 512,
      minDisk: 1,
      properties: {
        instance_uuid: 'srv-1',
        image_type: 'snapshot',
        auto_disk_config: 'True',
        os_distro: 'cirros',
      },
      ...over,
    },
    status: { phase, size: 1024 },
  }) as unknown as Image;

const request = { protocol: 'http', headers: { host: 'gw:8774' }, raw: {} } as unknown as FastifyRequest;

describe('images proxy (views/images.py, ImagesController._get_filters)', () => {
  it("shows an image as Nova's detail view: status, progress, size, the snapshot's server, diskConfig", () => {
    const v = imageDetailView(request, image());
    expect(v).to.include({
      id: 'img-1',
      name: 'snap',
      minRam: 512,
      minDisk: 1,
      status: 'ACTIVE',
      progress: 100,
      'OS-EXT-IMG-SIZE:size': 1024,
      created: '2026-11-24T10:00:00Z',
      updated: '2026-11-24T10:00:00Z',
      'OS-DCF:diskConfig': 'AUTO',
    });
    expect(v.server).to.deep.equal({
      id: 'srv-1',
      links: [
        { rel: 'self', href: 'http://gw:8774/v2.1/servers/srv-1' },
        { rel: 'bookmark', href: 'http://gw:8774/servers/srv-1' },
      ],
    });
    expect(imageDetailView(request, image({}, 'queued'))).to.include({ status: 'SAVING', progress: 25 });
    expect(imageDetailView(request, image({}, 'killed'))).to.include({ status: 'ERROR', progress: 0 });
  });

  it('filters by name, status, server, type, minRam, minDisk, changes-since and property-<key>', () => {
    const img = image();
    expect(imageMatches(img, {})).to.equal(true);
    expect(imageMatches(img, { name: 'snap', status: 'ACTIVE' })).to.equal(true);
    expect(imageMatches(img, { status: 'saving' })).to.equal(false);
    expect(imageMatches(img, { server: 'http://gw/v2.1/servers/srv-1', type: 'snapshot' })).to.equal(true);
    expect(imageMatches(img, { server: 'srv-2' })).to.equal(false);
    expect(imageMatches(img, { minRam: '512', minDisk: '1' })).to.equal(true);
    expect(imageMatches(img, { minRam: '256' })).to.equal(false);
    expect(imageMatches(img, { 'changes-since': '2026-11-24T09:00:00Z' })).to.equal(true);
    expect(imageMatches(img, { 'changes-since': '2026-11-24T11:00:00Z' })).to.equal(false);
    expect(imageMatches(img, { 'property-os_distro': 'cirros' })).to.equal(true);
    expect(imageMatches(img, { 'property-os_distro': 'ubuntu' })).to.equal(false);
  });
});
