import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { validateSchedulerConfig, watchSchedulerConfig } from './config.ts';
import type { SchedulerConfig } from './registry.ts';

describe('Scheduler configuration file (Nova option names, ajv)', () => {
  it("fills in Nova's defaults", () => {
    const c = validateSchedulerConfig({});
    expect(c.enabled_filters).to.deep.equal([
      'ComputeFilter',
      'ComputeCapabilitiesFilter',
      'ImagePropertiesFilter',
      'ServerGroupAntiAffinityFilter',
      'ServerGroupAffinityFilter',
    ]);
    expect(c.host_subset_size).to.equal(1);
    expect(c.max_attempts).to.equal(3);
    expect(c.query_placement_for_availability_zone).to.equal(true);
  });

  it("accepts the plugins' options and keeps their values", () => {
    const c = validateSchedulerConfig({ ram_weight_multiplier: -1.0, max_io_ops_per_host: 4 });
    expect(c.ram_weight_multiplier).to.equal(-1);
    expect(c.max_io_ops_per_host).to.equal(4);
  });

  it('refuses an unknown option, an unknown filter and a wrong type, naming each', () => {
    expect(() =>
      validateSchedulerConfig({
        ram_wieght_multiplier: 2,
        enabled_filters: ['NoSuchFilter'],
        host_subset_size: 'two',
      }),
    ).to.throw(
      /unknown option ram_wieght_multiplier.*enabled_filters\/0 must be equal to one of the allowed values.*host_subset_size must be integer/,
    );
  });

  it('reloads the file when it changes, and keeps going past a bad version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kova-sched-'));
    const file = join(dir, 'scheduler.yaml');
    writeFileSync(file, 'host_subset_size: 1\n');
    const seen: SchedulerConfig[] = [];
    const errors: Error[] = [];
    const stop = watchSchedulerConfig(
      file,
      (c) => seen.push(c),
      (e) => errors.push(e),
      20,
    );
    try {
      await sleep(50);
      writeFileSync(file, 'host_subset_size: 3\nram_weight_multiplier: -1\n');
      for (let i = 0; i < 100 && !seen.length; i++) await sleep(20);
      expect(seen.at(-1)?.host_subset_size).to.equal(3);
      writeFileSync(file, 'host_subset_size: zero\n');
      for (let i = 0; i < 100 && !errors.length; i++) await sleep(20);
      expect(errors[0]?.message).to.contain('host_subset_size must be integer');
    } finally {
      stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
