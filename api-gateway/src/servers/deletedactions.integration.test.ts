// The instance actions of a deleted server (2.21: Nova reads deleted instances here) through the
// gateway on a real apiserver with the operator: readable after the delete, found by the server's
// uid label, and removed by the operator once deletedServerActionsRetention has passed.
import { expect } from 'chai';
import type { Image, ServerAction } from '../../../operator/src/api/v1alpha1/index.ts';
import { IMAGES } from '../../../operator/src/controllers/server.ts';
import { SERVER_ACTIONS, SERVER_UID_LABEL } from '../../../operator/src/controllers/serveraction.ts';
import { collectionPath } from '../../../operator/src/kube/resources.ts';
import { eventually } from '../../../e2e/harness/fixtures.ts';
import { type ServersSuite, startServersSuite } from './testsuite.ts';

const RETENTION = 6; // deletedServerActionsRetention, s
const v = (version: string) => ({ 'OpenStack-API-Version': `compute ${version}` });

describe("A deleted server's instance actions (2.21) and their retention", function () {
  this.timeout(180_000);
  let world: ServersSuite;

  before(async () => {
    world = await startServersSuite({ deletedServerActionsRetention: RETENTION });
  });
  after(async () => {
    await world?.stop();
  });

  it('lists and shows them from 2.21 (404 before, and for another project), then the operator removes them', async () => {
    const { suite, gw } = world;
    await gw.addUser('alice', 'alice-pw', 'project-a', 'member');
    await gw.addUser('bob', 'bob-pw', 'project-b', 'member');
    const alice = await gw.token('alice', 'alice-pw', 'project-a');
    const bob = await gw.token('bob', 'bob-pw', 'project-b');
    const imageId = (await suite.client.list<Image>(collectionPath(IMAGES))).items[0]!.metadata.uid!;
    const created = await gw.call('POST', '/v2.1/servers', {
      token: alice,
      body: { server: { name: 'gone', flavorRef: '2', imageRef: imageId } },
    });
    expect(created.status).to.equal(202);
    const id = created.body.server.id as string;
    const path = `/v2.1/servers/${id}/os-instance-actions`;
    await eventually('active', async () => {
      const r = await gw.call('GET', `/v2.1/servers/${id}`, { token: alice });
      return r.body.server?.status === 'ACTIVE';
    });
    expect((await gw.call('DELETE', `/v2.1/servers/${id}`, { token: alice })).status).to.equal(204);
    await eventually('deleted', async () => {
      const r = await gw.call('GET', `/v2.1/servers/${id}`, { token: alice });
      return r.status === 404;
    });

    const listed = await gw.call('GET', path, { token: alice, headers: v('2.21') });
    expect(listed.status).to.equal(200);
    expect(listed.body.instanceActions.map((a: { action: string }) => a.action)).to.deep.equal([
      'delete',
      'create',
    ]);
    for (const a of listed.body.instanceActions) expect(a.instance_uuid).to.equal(id);
    const requestId = listed.body.instanceActions[0].request_id;
    const shown = await gw.call('GET', `${path}/${requestId}`, { token: alice, headers: v('2.51') });
    expect(shown.status).to.equal(200);
    expect(shown.body.instanceAction).to.include({ action: 'delete', instance_uuid: id });

    const before221 = await gw.call('GET', path, { token: alice, headers: v('2.20') });
    expect(before221.status).to.equal(404);
    expect(before221.body.itemNotFound.message).to.equal(`Instance ${id} could not be found.`);
    const foreign = await gw.call('GET', path, { token: bob, headers: v('2.21') });
    expect(foreign.status).to.equal(404);

    // The records carry the server's uid; once the retention has passed, the operator removes them.
    const records = async () =>
      (await suite.client.list<ServerAction>(collectionPath(SERVER_ACTIONS, 'project-a'))).items.filter(
        (a) => a.metadata.labels?.[SERVER_UID_LABEL] === id,
      );
    expect((await records()).length).to.be.at.least(2);
    await eventually('records removed', async () => (await records()).length === 0, (RETENTION + 30) * 1000);
    const after = await gw.call('GET', path, { token: alice, headers: v('2.21') });
    expect(after.status).to.equal(404);
  });
});
