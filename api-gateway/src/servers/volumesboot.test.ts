// /os-volumes_boot as an alias of /servers: the URL rewrite before routing.
import type { IncomingMessage } from 'node:http';
import { expect } from 'chai';
import { aliasVolumesBoot } from './volumesboot.ts';

describe('/os-volumes_boot: the /servers routes under the clone path', () => {
  it('/os-volumes_boot is routed as /servers (with its sub-paths and query); other URLs are untouched', () => {
    const req = {} as IncomingMessage;
    expect(aliasVolumesBoot(req, '/v2.1/os-volumes_boot')).to.equal('/v2.1/servers');
    expect(aliasVolumesBoot(req, '/v2.1/os-volumes_boot/detail?limit=1')).to.equal(
      '/v2.1/servers/detail?limit=1',
    );
    expect(aliasVolumesBoot(req, '/v2.1/os-volumes_boot/abc/action')).to.equal('/v2.1/servers/abc/action');
    expect(aliasVolumesBoot(req, '/v2.1/os-volumes_bootx')).to.equal('/v2.1/os-volumes_bootx');
    expect(aliasVolumesBoot(req, '/v2.1/servers')).to.equal('/v2.1/servers');
  });
});
