// IsolatedHostsFilter (nova/scheduler/filters/isolated_hosts_filter.py): keeps the images listed
// in isolated_images on the hosts listed in isolated_hosts. With
// restrict_isolated_hosts_to_isolated_images (the default), isolated hosts also take nothing but
// isolated images:
//
//                  | isolated image | other image         (restrict = true)
//   isolated host  |     pass       |    fail
//   other host     |     fail       |    pass
//
//                  | isolated image | other image         (restrict = false)
//   isolated host  |     pass       |    pass
//   other host     |     fail       |    pass
//
// With no isolated_images, only the restriction applies: isolated hosts fail when it is on.
// A request without an image id (volume-backed) counts as a non-isolated image.
import { Type } from 'typebox';
import type { Filter } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';

export const NAME = 'IsolatedHostsFilter';
export const REASON_ISOLATED_HOST = 'host is isolated: it only takes the isolated images';
export const REASON_ISOLATED_IMAGE = 'the image is isolated: it only goes to the isolated hosts';

/** ListOpts: a list, or a comma-separated string as nova.conf writes them. */
const listOpt = () => Type.Union([Type.Array(Type.String()), Type.String()], { default: [] });

/** [filter_scheduler] options it reads, with Nova's defaults. */
export const OPTIONS = {
  isolated_images: listOpt(),
  isolated_hosts: listOpt(),
  restrict_isolated_hosts_to_isolated_images: Type.Boolean({ default: true }),
};

/** A ListOpt value: a list, or a comma-separated string as in nova.conf. */
function listOption(config: SchedulerConfig, name: string): string[] {
  const v = config[name];
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  throw new Error(`${name}: expected a list of strings`);
}

/** A BoolOpt value: a boolean, or one of oslo.config's spellings. */
function boolOption(config: SchedulerConfig, name: string, dflt: boolean): boolean {
  const v = config[name];
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'boolean') return v;
  const s = String(v).trim().toLowerCase();
  if (['true', '1', 'on', 'yes'].includes(s)) return true;
  if (['false', '0', 'off', 'no'].includes(s)) return false;
  throw new Error(`${name}: expected a boolean, got ${JSON.stringify(v)}`);
}

export function create(config: SchedulerConfig): Filter {
  const isolatedHosts = listOption(config, 'isolated_hosts');
  const isolatedImages = listOption(config, 'isolated_images');
  const restrict = boolOption(config, 'restrict_isolated_hosts_to_isolated_images', true);
  return {
    name: NAME,
    hostPasses(host, spec) {
      const hostIsolated = isolatedHosts.includes(host.name);
      if (!isolatedImages.length) {
        // No image to match: only the restriction of the isolated hosts applies.
        return restrict && hostIsolated ? REASON_ISOLATED_HOST : undefined;
      }
      const imageRef = spec.image.id;
      const imageIsolated = imageRef !== undefined && isolatedImages.includes(imageRef);
      if (restrict) {
        if (imageIsolated === hostIsolated) return undefined;
        return hostIsolated ? REASON_ISOLATED_HOST : REASON_ISOLATED_IMAGE;
      }
      return !imageIsolated || hostIsolated ? undefined : REASON_ISOLATED_IMAGE;
    },
  };
}
