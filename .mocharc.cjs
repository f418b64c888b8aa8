// Every test: unit tests beside the code, integration suites on a real kube-apiserver + etcd.
// SPEC=<file or glob>[,...] runs just those (`make test SPEC=operator/src/scheduler/filters/ram.test.ts`).
const spec = process.env.SPEC
  ? process.env.SPEC.split(',')
  : ['operator/**/*.test.ts', 'api-gateway/**/*.test.ts', 'e2e/**/*.test.ts'];

module.exports = {
  spec,
  extension: ['ts'],
  reporter: './e2e/harness/reporter.ts',
  timeout: 60000,
  exit: true,
};
