// ComputeHost: one per Kubernetes node that can run servers. It stands for Nova's compute
// service (os-services), its hypervisor (os-hypervisors) and its Placement resource provider.
// metadata.name is the node name. The spec is what an admin sets; the status is observed.
import { Type } from 'typebox';
import { defineKind, type ObjectOf } from '../kind.ts';
import { MAX_INT, cel, conditions, freeform, numberAbove, stringEnum } from '../schema.ts';

const Resources = (what: string) =>
  Type.Object(
    {
      vcpus: Type.Integer({ minimum: 0, maximum: MAX_INT }),
      memoryMb: Type.Integer({ minimum: 0, maximum: MAX_INT, description: 'MiB' }),
      localGb: Type.Integer({ minimum: 0, maximum: MAX_INT, description: 'GiB' }),
    },
    { description: what },
  );

export const ComputeHostSpec = Type.Object(
  {
    disabled: Type.Boolean({
      default: false,
      description: 'A disabled host takes no new servers (os-services disable; ComputeFilter).',
    }),
    disabledReason: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, description: 'disabled_reason' }),
    ),
    forcedDown: Type.Boolean({
      default: false,
      description:
        'Mark the host down now, whatever its heartbeat says (forced_down, 2.11), e.g. to evacuate it.',
    }),
    cpuAllocationRatio: Type.Optional(numberAbove(0, { description: 'Overrides cpu_allocation_ratio.' })),
    ramAllocationRatio: Type.Optional(numberAbove(0, { description: 'Overrides ram_allocation_ratio.' })),
    diskAllocationRatio: Type.Optional(numberAbove(0, { description: 'Overrides disk_allocation_ratio.' })),
    reservedHostCpus: Type.Optional(
      Type.Integer({ minimum: 0, maximum: MAX_INT, description: 'reserved_host_cpus' }),
    ),
    reservedHostMemoryMb: Type.Optional(
      Type.Integer({ minimum: 0, maximum: MAX_INT, description: 'reserved_host_memory_mb' }),
    ),
    reservedHostDiskMb: Type.Optional(
      Type.Integer({ minimum: 0, maximum: MAX_INT, description: 'reserved_host_disk_mb' }),
    ),
  },
  {
    ...cel({
      rule: 'self.disabled || !has(self.disabledReason)',
      message: 'disabledReason applies only to a disabled host',
      fieldPath: '.disabledReason',
    }),
  },
);

export const ComputeHostStatus = Type.Object({
  driver: Type.Optional(
    stringEnum(['fake', 'libvirt', 'kubevirt'] as const, { description: 'The virt driver.' }),
  ),
  hypervisorType: Type.Optional(Type.String({ description: 'hypervisor_type, e.g. QEMU, KubeVirt, fake.' })),
  hypervisorVersion: Type.Optional(
    Type.Integer({ minimum: 0, description: 'hypervisor_version, e.g. 8002000.' }),
  ),
  hostIp: Type.Optional(Type.String({ description: 'host_ip' })),
  cpuInfo: Type.Optional(freeform({ description: 'cpu_info: arch, model, vendor, topology, features.' })),
  capacity: Type.Optional(
    Resources('What the host offers to servers before allocation ratios and reservations.'),
  ),
  usage: Type.Optional(
    Type.Object(
      {
        vcpus: Type.Integer({ minimum: 0 }),
        memoryMb: Type.Integer({ minimum: 0 }),
        localGb: Type.Integer({ minimum: 0 }),
        runningVms: Type.Integer({ minimum: 0 }),
      },
      {
        description:
          'What the servers placed here use (vcpus_used, memory_mb_used, local_gb_used, running_vms).',
      },
    ),
  ),
  state: Type.Optional(
    stringEnum(['up', 'down'] as const, { description: 'up while its heartbeat is fresh.' }),
  ),
  lastHeartbeatTime: Type.Optional(
    Type.String({ format: 'date-time', description: 'updated_at of the service.' }),
  ),
  conditions: Type.Optional(conditions()),
});

export const ComputeHostKind = defineKind({
  kind: 'ComputeHost',
  plural: 'computehosts',
  singular: 'computehost',
  scope: 'Cluster',
  shortNames: ['ch', 'hypervisor'],
  description:
    "A node's compute service, hypervisor and resource provider: capacity, allocation ratios, reservations, enabled or disabled, up or down.",
  spec: ComputeHostSpec,
  status: ComputeHostStatus,
  printerColumns: [
    { name: 'State', type: 'string', jsonPath: '.status.state' },
    { name: 'Disabled', type: 'boolean', jsonPath: '.spec.disabled' },
    { name: 'Driver', type: 'string', jsonPath: '.status.driver' },
    { name: 'VCPUs', type: 'integer', jsonPath: '.status.capacity.vcpus' },
    { name: 'Memory', type: 'integer', jsonPath: '.status.capacity.memoryMb', description: 'MiB' },
    { name: 'VMs', type: 'integer', jsonPath: '.status.usage.runningVms' },
    { name: 'Reason', type: 'string', jsonPath: '.spec.disabledReason', priority: 1 },
  ],
});

export type ComputeHost = ObjectOf<typeof ComputeHostKind>;
