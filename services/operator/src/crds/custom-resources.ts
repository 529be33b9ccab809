// The operator's custom resources (vigil.dev/v1alpha1) and their CustomResourceDefinitions. A document kind's
// spec is its KV document as the CLIs write it, plus `preventDelete`; its schema comes from libs/contracts.
import {
  AlertingDocuments,
  Documents,
  ScoringPolicyDocument,
  alertingPolicySchema,
  ruleSetSchema,
  scoringPolicySchema,
  type DocumentSpec,
} from '@vigil/contracts';
import { peakScheduleSchema } from '../peak-hours/peak-schedule.js';
import { toStructuralSchema, type StructuralSchema } from './structural-schema.js';

export const GROUP = 'vigil.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
/** Held by every document resource until its document has been removed (or kept, with preventDelete). */
export const DOCUMENT_FINALIZER = `${GROUP}/document`;

export interface ResourceNames {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
}

/** A resource whose spec is a configuration document the operator compiles and stores in vigil-config. */
export interface DocumentKind extends ResourceNames {
  document: DocumentSpec<unknown>;
  schema: object;
  /** Checks the API server makes beyond the document schema, so `kubectl apply` fails before the operator. */
  extraRules?: { rule: string; message: string }[];
  /** Lists whose items are identified by a field: the API server refuses two items with one id. */
  listKeys?: Record<string, string>;
  /**
   * Fields (a path of property names, `*` for any map key) whose value may instead come from a Secret:
   * `<field>From: {secretKeyRef: {name, key}}`, resolved by the operator into the document.
   */
  secretFields?: string[][];
}

export const ValidationRuleSetKind: DocumentKind = {
  kind: 'ValidationRuleSet',
  plural: 'validationrulesets',
  singular: 'validationruleset',
  shortNames: ['vrs'],
  document: Documents.validationRuleSet,
  schema: ruleSetSchema,
  listKeys: { rules: 'id' },
};

export const ScoringPolicyKind: DocumentKind = {
  kind: 'ScoringPolicy',
  plural: 'scoringpolicies',
  singular: 'scoringpolicy',
  shortNames: ['sp'],
  document: ScoringPolicyDocument,
  schema: scoringPolicySchema,
  extraRules: [
    {
      rule: 'self.thresholds.review <= self.thresholds.block',
      message: 'thresholds.review must not exceed thresholds.block',
    },
  ],
  listKeys: { rules: 'id' },
};

export const AlertPolicyKind: DocumentKind = {
  kind: 'AlertPolicy',
  plural: 'alertpolicies',
  singular: 'alertpolicy',
  shortNames: ['ap'],
  document: AlertingDocuments.policy,
  schema: alertingPolicySchema,
  // a webhook URL often carries a token: it may be kept in a Secret
  secretFields: [['channels', '*', 'url']],
};

export const DOCUMENT_KINDS: readonly DocumentKind[] = [
  ValidationRuleSetKind,
  ScoringPolicyKind,
  AlertPolicyKind,
];

export const PeakScheduleKind: ResourceNames = {
  kind: 'PeakSchedule',
  plural: 'peakschedules',
  singular: 'peakschedule',
  shortNames: ['peak'],
};

const conditions: StructuralSchema = {
  type: 'array',
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
  items: {
    type: 'object',
    required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
    properties: {
      type: { type: 'string', maxLength: 316 },
      status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
      observedGeneration: { type: 'integer', minimum: 0 },
      lastTransitionTime: { type: 'string', format: 'date-time' },
      reason: { type: 'string', maxLength: 1024 },
      message: { type: 'string', maxLength: 32768 },
    },
  },
};

const documentStatus: StructuralSchema = {
  type: 'object',
  properties: {
    observedGeneration: { type: 'integer', description: 'The generation the Ready condition speaks of' },
    appliedVersion: {
      type: 'integer',
      description: 'The version of the document in vigil-config that this resource applied',
    },
    appliedAt: { type: 'string', format: 'date-time' },
    documentKey: { type: 'string', description: 'The key in the vigil-config bucket' },
    conditions,
  },
};

const peakStatus: StructuralSchema = {
  type: 'object',
  properties: {
    observedGeneration: { type: 'integer' },
    active: { type: 'boolean', description: 'Whether a window is open now' },
    nextChange: {
      type: 'string',
      format: 'date-time',
      description: 'When the schedule next opens or closes',
    },
    conditions,
  },
};

export function documentSpecSchema(kind: DocumentKind): StructuralSchema {
  const spec = toStructuralSchema(kind.schema);
  spec.description = `The ${kind.document.key} document, as the CLIs write it, plus preventDelete`;
  spec.properties = {
    ...spec.properties,
    preventDelete: {
      type: 'boolean',
      description: 'Keep the document in vigil-config when this resource is deleted',
    },
  };
  for (const path of kind.secretFields ?? []) addSecretReference(spec, path);
  for (const [list, key] of Object.entries(kind.listKeys ?? {})) {
    const property = spec.properties[list]!;
    property['x-kubernetes-list-type'] = 'map';
    property['x-kubernetes-list-map-keys'] = [key];
  }
  if (kind.extraRules)
    spec['x-kubernetes-validations'] = [...(spec['x-kubernetes-validations'] ?? []), ...kind.extraRules];
  return spec;
}

const secretKeyRef: StructuralSchema = {
  type: 'object',
  required: ['secretKeyRef'],
  properties: {
    secretKeyRef: {
      type: 'object',
      required: ['name', 'key'],
      properties: {
        name: { type: 'string', minLength: 1, description: 'A Secret in the namespace of this resource' },
        key: { type: 'string', minLength: 1 },
      },
    },
  },
};

/** Adds `<field>From` beside the field at `path`, and a rule that the field comes from one of the two. */
function addSecretReference(spec: StructuralSchema, path: string[]): void {
  let node = spec;
  for (const step of path.slice(0, -1))
    node = step === '*' ? node.additionalProperties! : node.properties![step]!;
  const field = path.at(-1)!;
  node.properties![`${field}From`] = {
    ...secretKeyRef,
    description: `Where ${field} comes from when it is kept in a Secret instead`,
  };
  node['x-kubernetes-validations'] = [
    ...(node['x-kubernetes-validations'] ?? []),
    {
      rule: `!(has(self.${field}) && has(self.${field}From))`,
      message: `${field} and ${field}From exclude each other`,
    },
  ];
}

const column = (name: string, jsonPath: string, type = 'string', description?: string) => ({
  name,
  type,
  jsonPath,
  ...(description ? { description } : {}),
});

function definition(
  names: ResourceNames,
  spec: StructuralSchema,
  status: StructuralSchema,
  columns: ReturnType<typeof column>[],
  description: string,
) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: names.kind,
        listKind: `${names.kind}List`,
        plural: names.plural,
        singular: names.singular,
        shortNames: names.shortNames,
        categories: ['vigil'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec,
                status,
              },
            },
          },
        },
      ],
    },
  };
}

const ready = column('Ready', '.status.conditions[?(@.type=="Ready")].status');
const reason = column('Reason', '.status.conditions[?(@.type=="Ready")].reason');
const age = column('Age', '.metadata.creationTimestamp', 'date');

/** Every CustomResourceDefinition of the operator, in a stable order (the chart keeps them as generated). */
export function customResourceDefinitions(): object[] {
  const descriptions: Record<string, string> = {
    ValidationRuleSet: "The validator's rule set: rules every record is checked against, with reference data",
    ScoringPolicy: "The scorer's policy: the model that acts, a shadow model, thresholds and CEL rules",
    AlertPolicy:
      "Alerting's policy: channels, receivers, escalations, the routing tree and business triggers",
  };
  return [
    ...DOCUMENT_KINDS.map((kind) =>
      definition(
        kind,
        documentSpecSchema(kind),
        documentStatus,
        [ready, column('Version', '.status.appliedVersion', 'integer'), reason, age],
        descriptions[kind.kind]!,
      ),
    ),
    definition(
      PeakScheduleKind,
      toStructuralSchema(peakScheduleSchema),
      peakStatus,
      [ready, column('Active', '.status.active', 'boolean'), column('Next', '.status.nextChange'), age],
      'Peak hours: windows in a time zone during which validator and scorer keep a higher replica floor',
    ),
  ];
}
