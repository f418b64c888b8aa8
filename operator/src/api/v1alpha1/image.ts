// Image: a Glance v2 image (the fields Nova reads: disk and container format, min disk/RAM and
// the hw_* / os_* properties read by the ImagePropertiesFilter and the drivers). Cluster-scoped,
// like Glance's catalogue: visibility and owner say which projects may use it.
import { Type } from 'typebox';
import { defineKind, type ObjectOf } from '../kind.ts';
import { MAX_INT, cel, conditions, immutable, map, set, stringEnum } from '../schema.ts';

export const DISK_FORMATS = [
  'ami',
  'ari',
  'aki',
  'vhd',
  'vhdx',
  'vmdk',
  'raw',
  'qcow2',
  'vdi',
  'iso',
  'ploop',
] as const;
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'] as const;
/** Glance's image statuses. */
export const IMAGE_STATUSES = [
  'queued',
  'saving',
  'uploading',
  'importing',
  'active',
  'deactivated',
  'killed',
  'deleted',
  'pending_delete',
] as const;

const ImageSource = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        pattern: '^(https?|file)://',
        description: 'Download URL.',
      }),
    ),
    nodePath: Type.Optional(
      Type.String({
        minLength: 2,
        maxLength: 4096,
        pattern: '^/',
        description: 'A file present on every node.',
      }),
    ),
    containerDisk: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        description: 'A containerDisk image reference (KubeVirt driver).',
      }),
    ),
  },
  {
    description: 'Where the image data comes from; absent while it is queued for an upload.',
    ...cel(immutable('source'), {
      rule: '[has(self.url), has(self.nodePath), has(self.containerDisk)].filter(x, x).size() == 1',
      message: 'source needs exactly one of url, nodePath or containerDisk',
    }),
  },
);

export const ImageSpec = Type.Object({
  name: Type.String({ maxLength: 255, description: 'Image name (may be empty, as in Glance).' }),
  diskFormat: stringEnum(DISK_FORMATS, { default: 'qcow2', description: 'disk_format' }),
  containerFormat: stringEnum(CONTAINER_FORMATS, { default: 'bare', description: 'container_format' }),
  minDisk: Type.Integer({
    minimum: 0,
    maximum: MAX_INT,
    default: 0,
    description: 'Minimum root disk, GiB (min_disk).',
  }),
  minRam: Type.Integer({
    minimum: 0,
    maximum: MAX_INT,
    default: 0,
    description: 'Minimum RAM, MiB (min_ram).',
  }),
  visibility: stringEnum(['public', 'private', 'shared', 'community'] as const, {
    default: 'shared',
    description:
      "Who may use it: everyone (public, community), its owner's project (private), or members (shared).",
  }),
  owner: Type.Optional(Type.String({ maxLength: 255, description: 'The owning project (owner).' })),
  protected: Type.Boolean({
    default: false,
    description: 'A protected image cannot be deleted (protected).',
  }),
  tags: Type.Optional(set(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 128 })),
  properties: Type.Optional(
    map(Type.String({ maxLength: 65535 }), {
      description:
        'Image properties: hw_* (hw_disk_bus, hw_firmware_type, ...), os_* (os_distro), architecture, ...',
    }),
  ),
  members: Type.Optional(
    map(stringEnum(['pending', 'accepted', 'rejected'] as const), {
      maxProperties: 128,
      description:
        "Glance's image members of a shared image: project id → the member's status (pending until the member accepts or rejects it).",
    }),
  ),
  source: Type.Optional(ImageSource),
});

export const ImageStatus = Type.Object({
  phase: Type.Optional(stringEnum(IMAGE_STATUSES, { description: "Glance's image status." })),
  size: Type.Optional(Type.Integer({ minimum: 0, description: 'Bytes.' })),
  virtualSize: Type.Optional(Type.Integer({ minimum: 0, description: 'Bytes (virtual_size).' })),
  checksum: Type.Optional(Type.String({ description: 'MD5 of the data (checksum).' })),
  osHashAlgo: Type.Optional(Type.String({ description: 'os_hash_algo, e.g. sha512.' })),
  osHashValue: Type.Optional(Type.String({ description: 'os_hash_value.' })),
  conditions: Type.Optional(conditions()),
});

export const ImageKind = defineKind({
  kind: 'Image',
  plural: 'images',
  singular: 'image',
  scope: 'Cluster',
  shortNames: ['img'],
  description: 'A Glance image that servers boot from. Its Glance/Nova id is metadata.uid.',
  spec: ImageSpec,
  status: ImageStatus,
  printerColumns: [
    { name: 'Image', type: 'string', jsonPath: '.spec.name' },
    { name: 'Status', type: 'string', jsonPath: '.status.phase' },
    { name: 'Format', type: 'string', jsonPath: '.spec.diskFormat' },
    { name: 'Visibility', type: 'string', jsonPath: '.spec.visibility' },
    { name: 'Size', type: 'integer', jsonPath: '.status.size' },
  ],
});

export type Image = ObjectOf<typeof ImageKind>;
