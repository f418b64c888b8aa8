// The parts of KubeVirt's kubevirt.io/v1 objects the driver writes and reads, named as in
// @kubevirt-ui/kubevirt-api's models. That package ships TypeScript sources (not declarations)
// written for CommonJS, which the project's strict ESM settings (verbatimModuleSyntax) refuse to
// compile, so its types cannot be imported; the tests validate every object against KubeVirt's
// schema (e2e/testdata/kubevirt, generated from the same models) instead.
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: {
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }[];
  deletionTimestamp?: string;
}

type NodeAffinity = {
  requiredDuringSchedulingIgnoredDuringExecution?: {
    nodeSelectorTerms: { matchFields?: { key: string; operator: string; values?: string[] }[] }[];
  };
};

export interface V1DomainSpec {
  cpu?: { sockets?: number; cores?: number; threads?: number };
  memory?: { guest?: string };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  firmware?: { uuid?: string };
  devices: {
    disks?: { name: string; bootOrder?: number; disk?: { bus?: string } }[];
    interfaces?: { name: string; masquerade?: object; bridge?: object }[];
  };
}

export interface V1VirtualMachineInstanceSpec {
  hostname?: string;
  affinity?: { nodeAffinity?: NodeAffinity } & Record<string, unknown>;
  domain: V1DomainSpec;
  networks?: { name: string; pod?: object }[];
  volumes?: ({ name: string } & Record<string, unknown>)[];
  accessCredentials?: object[];
}

export interface V1VirtualMachine {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec: {
    runStrategy?: string;
    dataVolumeTemplates?: object[];
    template: { metadata?: ObjectMeta; spec?: V1VirtualMachineInstanceSpec };
  };
  status?: { printableStatus?: string; ready?: boolean };
}

export interface V1VirtualMachineInstanceCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface V1VirtualMachineInstance {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: V1VirtualMachineInstanceSpec;
  status?: {
    phase?: string;
    reason?: string;
    nodeName?: string;
    conditions?: V1VirtualMachineInstanceCondition[];
    interfaces?: { name?: string; ipAddress?: string; ipAddresses?: string[]; mac?: string }[];
    phaseTransitionTimestamps?: { phase?: string; phaseTransitionTimestamp?: string }[];
    migrationState?: { completed?: boolean; failed?: boolean; targetNode?: string; sourceNode?: string };
  };
}

export interface V1VirtualMachineInstanceMigration {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec: { vmiName?: string; addedNodeSelector?: Record<string, string> };
  status?: { phase?: string };
}
