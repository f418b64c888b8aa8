// Flavor: Nova's flavor (nova/objects/flavor.py, schemas/flavor_manage.py). Cluster-scoped.
// Immutable, as in Nova, except for its description, extra specs and project access list.
import { Type } from 'typebox';
import { defineKind, type ObjectOf } from '../kind.ts';
import { MAX_INT, cel, immutable, map, novaName, numberAbove, set } from '../schema.ts';

/** Nova's flavor id: 1-255 of `[a-zA-Z0-9. _-]`, no leading or trailing space (RE2 has no lookaround). */
const FLAVOR_ID_PATTERN = '^[a-zA-Z0-9._-]([a-zA-Z0-9. _-]*[a-zA-Z0-9._-])?$';
/** Nova's extra-spec key pattern (parameter_types.py metadata keys). */
const EXTRA_SPEC_KEY_PATTERN = '^[a-zA-Z0-9-_:. /]+$';

export const FlavorSpec = Type.Object(
  {
    id: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        pattern: FLAVOR_ID_PATTERN,
        description: "Nova's flavor id (flavorid). Defaults to metadata.name.",
        ...cel(immutable('id')),
      }),
    ),
    name: novaName("Nova's flavor name: 1-255 printable characters, no leading or trailing whitespace."),
    vcpus: Type.Integer({
      minimum: 1,
      maximum: MAX_INT,
      description: 'Virtual CPUs.',
      ...cel(immutable('vcpus')),
    }),
    ram: Type.Integer({
      minimum: 1,
      maximum: MAX_INT,
      description: 'Memory in MiB.',
      ...cel(immutable('ram')),
    }),
    disk: Type.Integer({
      minimum: 0,
      maximum: MAX_INT,
      description: 'Root disk in GiB; 0 means the image size (boot from volume in Nova).',
      ...cel(immutable('disk')),
    }),
    ephemeral: Type.Integer({
      minimum: 0,
      maximum: MAX_INT,
      default: 0,
      description: 'Ephemeral disk in GiB (OS-FLV-EXT-DATA:ephemeral).',
      ...cel(immutable('ephemeral')),
    }),
    swap: Type.Integer({
      minimum: 0,
      maximum: MAX_INT,
      default: 0,
      description: 'Swap disk in MiB; 0 means none.',
      ...cel(immutable('swap')),
    }),
    rxtxFactor: numberAbove(0, {
      default: 1,
      description: 'Network bandwidth factor (rxtx_factor).',
      ...cel(immutable('rxtxFactor')),
    }),
    isPublic: Type.Boolean({
      default: true,
      description: 'Whether every project may use it (os-flavor-access:is_public).',
      ...cel(immutable('isPublic')),
    }),
    description: Type.Optional(
      Type.String({ maxLength: 65535, description: 'Free-form description (microversion 2.55).' }),
    ),
    extraSpecs: Type.Optional(
      map(Type.String({ maxLength: 255 }), {
        description: 'Extra specs (os-extra_specs): scheduler and driver hints such as hw:cpu_policy.',
        ...cel({
          rule: `self.all(k, k.size() <= 255 && k.matches('${EXTRA_SPEC_KEY_PATTERN}'))`,
          message: 'extra spec keys must be 1-255 characters of letters, digits and - _ : . / or space',
        }),
      }),
    ),
    access: Type.Optional(
      set(Type.String({ minLength: 1, maxLength: 255 }), {
        maxItems: 4096,
        description: 'Projects allowed to use a private flavor (os-flavor-access).',
      }),
    ),
  },
  {
    description: 'The flavor as Nova defines it.',
    ...cel(
      { rule: 'has(self.id) == has(oldSelf.id)', message: 'id is immutable' },
      {
        rule: '!self.isPublic || !has(self.access) || size(self.access) == 0',
        message: 'access lists apply only to private flavors: set isPublic to false',
        fieldPath: '.access',
      },
    ),
  },
);

export const FlavorKind = defineKind({
  kind: 'Flavor',
  plural: 'flavors',
  singular: 'flavor',
  scope: 'Cluster',
  shortNames: ['flv'],
  description:
    'A Nova flavor: the virtual hardware of a server. Immutable except for description, extra specs and access; a server keeps a copy of the flavor it was built with.',
  spec: FlavorSpec,
  printerColumns: [
    { name: 'ID', type: 'string', jsonPath: '.spec.id' },
    { name: 'Flavor', type: 'string', jsonPath: '.spec.name' },
    { name: 'VCPUs', type: 'integer', jsonPath: '.spec.vcpus' },
    { name: 'RAM', type: 'integer', jsonPath: '.spec.ram', description: 'MiB' },
    { name: 'Disk', type: 'integer', jsonPath: '.spec.disk', description: 'GiB' },
    { name: 'Ephemeral', type: 'integer', jsonPath: '.spec.ephemeral', description: 'GiB' },
    { name: 'Public', type: 'boolean', jsonPath: '.spec.isPublic' },
  ],
});

export type Flavor = ObjectOf<typeof FlavorKind>;

/** Nova's flavor id of a Flavor object. */
export function flavorId(f: Pick<Flavor, 'metadata' | 'spec'>): string {
  return f.spec.id ?? f.metadata.name ?? '';
}
