import { expect } from 'chai';
import type { SchedulerConfig } from '../registry.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import { NAME, REASON_ISOLATED_HOST, REASON_ISOLATED_IMAGE, create } from './isolated_hosts.ts';

const conf = (opts: Record<string, unknown> = {}): SchedulerConfig => ({
  enabled_filters: [],
  weight_classes: [],
  host_subset_size: 1,
  max_attempts: 3,
  ...opts,
});

const ISOLATED_IMAGE = 'img-isolated';
const FLAGS = { isolated_images: [ISOLATED_IMAGE], isolated_hosts: ['isolated_host'] };

/** Nova's _do_test_isolated_hosts: true when the host passes. */
function passes(hostInList: boolean, imageInList: boolean, opts: Record<string, unknown>): boolean {
  const host = fakeHost(hostInList ? 'isolated_host' : 'free_host');
  const spec = fakeSpec({ image: { id: imageInList ? ISOLATED_IMAGE : 'img-other', properties: {} } });
  return create(conf(opts)).hostPasses(host, spec) === undefined;
}

describe('IsolatedHostsFilter (Nova isolated_hosts_filter.py)', () => {
  it('is named IsolatedHostsFilter', () => {
    expect(create(conf()).name).to.equal(NAME).and.equal('IsolatedHostsFilter');
  });

  it('fails an isolated image on a non-isolated host', () => {
    expect(passes(false, true, FLAGS)).to.equal(false);
    const spec = fakeSpec({ image: { id: ISOLATED_IMAGE, properties: {} } });
    expect(create(conf(FLAGS)).hostPasses(fakeHost('free_host'), spec)).to.equal(REASON_ISOLATED_IMAGE);
  });

  it('fails a non-isolated image on an isolated host (restrict_isolated_hosts_to_isolated_images defaults to true)', () => {
    expect(passes(true, false, FLAGS)).to.equal(false);
    const spec = fakeSpec({ image: { id: 'img-other', properties: {} } });
    expect(create(conf(FLAGS)).hostPasses(fakeHost('isolated_host'), spec)).to.equal(REASON_ISOLATED_HOST);
  });

  it('passes an isolated image on an isolated host', () => {
    expect(passes(true, true, FLAGS)).to.equal(true);
  });

  it('passes a non-isolated image on a non-isolated host', () => {
    expect(passes(false, false, FLAGS)).to.equal(true);
  });

  it('filters nothing without isolated hosts or images (the default config)', () => {
    for (const [h, i] of [
      [false, true],
      [true, false],
      [true, true],
      [false, false],
    ] as const)
      expect(passes(h, i, {})).to.equal(true);
  });

  it('with isolated images but no isolated hosts, only the isolated images are filtered out', () => {
    const opts = { isolated_images: [ISOLATED_IMAGE] };
    expect(passes(false, true, opts)).to.equal(false);
    expect(passes(true, false, opts)).to.equal(true);
    expect(passes(true, true, opts)).to.equal(false);
    expect(passes(false, false, opts)).to.equal(true);
  });

  it('with isolated hosts but no isolated images, only the isolated hosts are filtered out', () => {
    const opts = { isolated_hosts: ['isolated_host'] };
    expect(passes(false, true, opts)).to.equal(true);
    expect(passes(true, false, opts)).to.equal(false);
    expect(passes(true, true, opts)).to.equal(false);
    expect(passes(false, false, opts)).to.equal(true);
  });

  it('with no isolated images and the restriction off, isolated hosts pass too', () => {
    const opts = { isolated_hosts: ['isolated_host'], restrict_isolated_hosts_to_isolated_images: false };
    expect(passes(true, false, opts)).to.equal(true);
    expect(passes(true, true, opts)).to.equal(true);
  });

  it('less restrictive: isolated hosts take any image, isolated images still need an isolated host', () => {
    const opts = { ...FLAGS, restrict_isolated_hosts_to_isolated_images: false };
    expect(passes(true, false, opts)).to.equal(true);
    expect(passes(true, true, opts)).to.equal(true);
    expect(passes(false, false, opts)).to.equal(true);
    expect(passes(false, true, opts)).to.equal(false);
  });

  it('a request without an image id (volume-backed) is a non-isolated image', () => {
    const f = create(conf(FLAGS));
    const spec = fakeSpec({ image: { properties: {} } });
    expect(f.hostPasses(fakeHost('free_host'), spec)).to.equal(undefined);
    expect(f.hostPasses(fakeHost('isolated_host'), spec)).to.equal(REASON_ISOLATED_HOST);
  });

  it('reads the list options as nova.conf writes them: comma-separated strings', () => {
    const opts = {
      isolated_images: ` ${ISOLATED_IMAGE} , img-2`,
      isolated_hosts: 'isolated_host,other',
      restrict_isolated_hosts_to_isolated_images: 'False',
    };
    expect(passes(false, true, opts)).to.equal(false);
    expect(passes(true, false, opts)).to.equal(true);
    expect(() => create(conf({ restrict_isolated_hosts_to_isolated_images: 'maybe' }))).to.throw(
      /restrict_isolated_hosts_to_isolated_images/,
    );
  });
});
