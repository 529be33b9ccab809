// Two projects: fast unit specs beside the code, and integration tests that start a private
// nats-server and a fresh Postgres database per file (see libs/testing). A third, the chart and cluster
// tests in test/k8s/*.test.ts, needs the tools of tools/k8s/build-tools.sh and joins only when
// VIGIL_K8S_TESTS=1 (npm run test:k8s).
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
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/k8s/'],
    },
    ...(process.env.VIGIL_K8S_TESTS === '1'
      ? [{ ...shared, displayName: 'k8s', testMatch: ['<rootDir>/test/k8s/**/*.test.ts'] }]
      : []),
  ],
  maxWorkers: 2,
  testTimeout: 90000,
};
