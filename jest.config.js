// Two projects: fast unit specs beside the code, and integration tests that start a private
// nats-server and a fresh Postgres database per file (see libs/testing). A third, the chart and cluster
// tests in test/k8s/*.test.ts, needs the tools of tools/k8s/build-tools.sh and joins only when
// VIGIL_K8S_TESTS=1 (npm run test:k8s). A fourth, test/observability/*.test.ts, runs the suite against real
// Jaeger and Prometheus (JAEGER_BIN, PROMETHEUS_BIN, PROMTOOL_BIN) and joins when VIGIL_OBSERVABILITY_TESTS=1.
// A fifth, test/cluster/*.test.ts, runs against the kind cluster `npm run cluster:up` made and joins when
// VIGIL_CLUSTER_TESTS=1 (npm run test:cluster).
import { availableParallelism } from 'node:os';

const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      target: 'es2023',
      keepClassNames: true,
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
    module: { type: 'es6' },
  },
];
const shared = {
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@vigil/(contracts|messaging|db|observability|runtime|testing)$': '<rootDir>/libs/$1/src/index.ts',
    // the document compilers services export for the operator (package.json "exports"), from source
    '^@vigil/validator/rule-set-compiler$': '<rootDir>/services/validator/src/rules/rule-set.compiler.ts',
    '^@vigil/scorer/(scoring-policy)$': '<rootDir>/services/scorer/src/policy/$1.ts',
    '^@vigil/scorer/(model-artifact)$': '<rootDir>/services/scorer/src/model/$1.ts',
    '^@vigil/alerting/alerting-policy$': '<rootDir>/services/alerting/src/policy/policy.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
};
export default {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/{libs,services}/*/src/**/*.spec.ts', '<rootDir>/test/k8s/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/{libs,services}/*/test/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/test/k8s/',
        '<rootDir>/test/observability/',
        '<rootDir>/test/cluster/',
      ],
    },
    ...(process.env.VIGIL_OBSERVABILITY_TESTS === '1'
      ? [
          {
            ...shared,
            displayName: 'observability',
            testMatch: ['<rootDir>/test/observability/**/*.test.ts'],
          },
        ]
      : []),
    ...(process.env.VIGIL_K8S_TESTS === '1'
      ? [{ ...shared, displayName: 'k8s', testMatch: ['<rootDir>/test/k8s/**/*.test.ts'] }]
      : []),
    ...(process.env.VIGIL_CLUSTER_TESTS === '1'
      ? [{ ...shared, displayName: 'cluster', testMatch: ['<rootDir>/test/cluster/**/*.test.ts'] }]
      : []),
  ],
  // One worker per core (at least 2, at most 8: a worker runs a whole suite at times). On two cores the tests keep
  // both busy; a third worker only adds suites competing for them.
  maxWorkers: Math.max(2, Math.min(availableParallelism(), 8)),
  testTimeout: 90000,
  testSequencer: '<rootDir>/jest.sequencer.js',
};
