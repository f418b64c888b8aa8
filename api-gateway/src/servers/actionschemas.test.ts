import { expect } from 'chai';
import { ApiError } from '../errors.ts';
import { APIVersionRequest } from '../microversion.ts';
import { actionKey, validateAction } from './actionschemas.ts';
import { refusalStatus } from './actions.ts';

const V = (v: string) => APIVersionRequest.parse(v);

function error(version: string, body: Record<string, unknown>): string | undefined {
  try {
    validateAction(V(version), Object.keys(body)[0]!, body);
    return undefined;
  } catch (e) {
    expect(e).to.be.instanceOf(ApiError);
    expect((e as ApiError).code).to.equal(400);
    return (e as ApiError).message;
  }
}

describe('action body schemas (nova/api/openstack/compute/schemas)', () => {
  it("action_peek: the body is an object with exactly one key, else 'Malformed request body'", () => {
    expect(actionKey({ 'os-stop': null })).to.equal('os-stop');
    for (const bad of [null, [], 'x', {}, { a: 1, b: 2 }]) {
      expect(() => actionKey(bad)).to.throw('Malformed request body');
    }
  });

  it('actions without a schema in Nova take any value (os-stop, pause, unlock)', () => {
    expect(error('2.1', { 'os-stop': { anything: 1 } })).to.equal(undefined);
    expect(error('2.1', { pause: 'x' })).to.equal(undefined);
    expect(error('2.1', { unlock: null })).to.equal(undefined);
  });

  it('reboot needs type, one of HARD/SOFT in three casings', () => {
    for (const type of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']) {
      expect(error('2.1', { reboot: { type } })).to.equal(undefined);
    }
    expect(error('2.1', { reboot: {} })).to.contain("'type' is a required property");
    expect(error('2.1', { reboot: { type: 'WARM' } })).to.contain('Invalid input for field/attribute type.');
    expect(error('2.1', { reboot: null })).to.contain('Invalid input for field/attribute reboot.');
  });

  it('lock takes locked_reason from 2.73 only; before 2.73 the body is not checked', () => {
    expect(error('2.72', { lock: { locked_reason: 7 } })).to.equal(undefined);
    expect(error('2.73', { lock: { locked_reason: 'why' } })).to.equal(undefined);
    expect(error('2.73', { lock: null })).to.equal(undefined);
    expect(error('2.73', { lock: { locked_reason: '' } })).to.contain('locked_reason');
    expect(error('2.73', { lock: { reason: 'x' } })).to.contain('Additional properties are not allowed');
  });

  it('os-migrateLive: disk_over_commit until 2.24, block_migration auto from 2.25, force 2.30-2.67', () => {
    const body = (o: Record<string, unknown>) => ({ 'os-migrateLive': o });
    expect(error('2.1', body({ block_migration: false, disk_over_commit: false, host: null }))).to.equal(
      undefined,
    );
    expect(error('2.1', body({ block_migration: 'auto', disk_over_commit: false, host: null }))).to.contain(
      'block_migration',
    );
    expect(error('2.25', body({ block_migration: 'auto', host: null }))).to.equal(undefined);
    expect(error('2.25', body({ block_migration: 'auto', host: null, disk_over_commit: true }))).to.contain(
      'Additional properties',
    );
    expect(error('2.30', body({ block_migration: 'auto', host: 'h', force: true }))).to.equal(undefined);
    expect(error('2.68', body({ block_migration: 'auto', host: 'h', force: true }))).to.contain(
      'Additional properties',
    );
  });

  it('evacuate requires onSharedStorage until 2.13 and refuses it from 2.14', () => {
    expect(error('2.13', { evacuate: {} })).to.contain("'onSharedStorage' is a required property");
    expect(error('2.13', { evacuate: { onSharedStorage: 'False' } })).to.equal(undefined);
    expect(error('2.14', { evacuate: { onSharedStorage: false } })).to.contain('Additional properties');
    expect(error('2.29', { evacuate: { force: true } })).to.equal(undefined);
    expect(error('2.68', { evacuate: { force: true } })).to.contain('Additional properties');
  });

  it('rebuild: imageRef a uuid; description 2.19, key_name 2.54, user_data 2.57 (personality gone), hostname 2.90', () => {
    const img = '70a599e0-31e7-49b7-b260-868f441e862b';
    expect(error('2.1', { rebuild: {} })).to.contain("'imageRef' is a required property");
    expect(error('2.1', { rebuild: { imageRef: 'x' } })).to.contain('imageRef');
    expect(error('2.1', { rebuild: { imageRef: img, description: 'd' } })).to.contain('Additional');
    expect(error('2.19', { rebuild: { imageRef: img, description: 'd' } })).to.equal(undefined);
    expect(error('2.53', { rebuild: { imageRef: img, key_name: null } })).to.contain('Additional');
    expect(error('2.54', { rebuild: { imageRef: img, key_name: null } })).to.equal(undefined);
    expect(error('2.56', { rebuild: { imageRef: img, personality: [] } })).to.equal(undefined);
    expect(error('2.57', { rebuild: { imageRef: img, personality: [] } })).to.contain('Additional');
    expect(error('2.57', { rebuild: { imageRef: img, user_data: null } })).to.equal(undefined);
    expect(error('2.89', { rebuild: { imageRef: img, hostname: 'web-1' } })).to.contain('Additional');
    expect(error('2.90', { rebuild: { imageRef: img, hostname: 'web-1' } })).to.equal(undefined);
    // 2.94: an FQDN (Nova's fqdn type: dots and underscores, up to 255 characters).
    expect(error('2.93', { rebuild: { imageRef: img, hostname: 'web-1.example.com' } })).to.contain(
      'hostname',
    );
    expect(error('2.94', { rebuild: { imageRef: img, hostname: 'web-1.example.com' } })).to.equal(undefined);
    expect(error('2.94', { rebuild: { imageRef: img, hostname: 'a b' } })).to.contain('hostname');
  });

  it("evacuate: the 2.68 body is also 2.95's (only the outcome changes: the server ends stopped)", () => {
    expect(error('2.95', { evacuate: { host: 'node-2' } })).to.equal(undefined);
    expect(error('2.95', { evacuate: { force: true } })).to.contain('Additional');
  });

  it('unshelve: anything until 2.76; {availability_zone} or null from 2.77; host from 2.91', () => {
    expect(error('2.76', { unshelve: { host: 'x' } })).to.equal(undefined);
    expect(error('2.77', { unshelve: null })).to.equal(undefined);
    expect(error('2.77', { unshelve: {} })).to.contain("'availability_zone' is a required property");
    expect(error('2.77', { unshelve: { host: 'h', availability_zone: 'az' } })).to.contain('Additional');
    expect(error('2.91', { unshelve: { host: 'h', availability_zone: null } })).to.equal(undefined);
  });

  it('the rest: resize flavorRef, createImage name, resetState state, console length, crash dump null, migrate host 2.56', () => {
    expect(error('2.1', { resize: { flavorRef: 3 } })).to.equal(undefined);
    expect(error('2.1', { resize: { flavorRef: '' } })).to.contain('flavorRef');
    expect(error('2.1', { createImage: {} })).to.contain("'name' is a required property");
    expect(error('2.1', { createImage: { name: 'snap', metadata: { a: 'b' } } })).to.equal(undefined);
    expect(error('2.1', { 'os-resetState': { state: 'paused' } })).to.contain('state');
    expect(error('2.1', { 'os-getConsoleOutput': { length: '-1' } })).to.equal(undefined);
    expect(error('2.1', { 'os-getConsoleOutput': { length: -2 } })).to.contain('length');
    expect(error('2.1', { 'os-getConsoleOutput': { length: null } })).to.equal(undefined);
    expect(error('2.17', { trigger_crash_dump: {} })).to.contain('trigger_crash_dump');
    expect(error('2.55', { migrate: { host: 'a/b' } })).to.equal(undefined);
    expect(error('2.56', { migrate: { host: 'a/b' } })).to.contain('host');
    expect(error('2.56', { migrate: null })).to.equal(undefined);
  });
});

describe('refusalStatus: operator refusals Nova answers other than 409', () => {
  it('same flavor 400, unlock_override 403, a driver without pause/rescue/console 501, the rest 409', () => {
    expect(refusalStatus('resize', 'When resizing, instances must change flavor!')).to.deep.equal({
      code: 400,
    });
    expect(
      refusalStatus(
        'unlock',
        "Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed.",
      ),
    ).to.deep.equal({ code: 403 });
    expect(refusalStatus('pause', 'Action pause is not supported by the kubevirt driver.')).to.deep.equal({
      code: 501,
      message: 'The requested functionality is not supported.',
    });
    expect(refusalStatus('suspend', 'Action suspend is not supported by the kubevirt driver.')).to.deep.equal(
      {},
    );
    expect(refusalStatus('stop', "Cannot 'stop' instance x while it is in vm_state stopped")).to.deep.equal(
      {},
    );
  });
});
