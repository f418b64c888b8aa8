import { expect } from 'chai';
import { ADD_TENANT_ACCESS, CREATE as FLAVOR_CREATE, EXTRA_SPECS_CREATE } from './compute/flavors.ts';
import { CREATE as KEYPAIR_CREATE } from './compute/keypairs.ts';
import { intParam, pyRepr, querySchema, validationError } from './validation.ts';

const flavorCreate = FLAVOR_CREATE[0]!.schema;

describe("Request validation in Nova's words (nova/api/validation/validators.py)", () => {
  it("writes values as Python's repr", () => {
    expect(pyRepr({ name: 'x', n: 1, ok: true, no: null, l: ['a'] })).to.equal(
      "{'name': 'x', 'n': 1, 'ok': True, 'no': None, 'l': ['a']}",
    );
    expect(pyRepr("it's")).to.equal("'it\\'s'");
  });

  it('names the missing property of the object it is missing from', () => {
    expect(validationError(flavorCreate, {})).to.equal("'flavor' is a required property");
    expect(validationError(flavorCreate, { flavor: { name: 'a', ram: 1, vcpus: 1 } })).to.equal(
      "Invalid input for field/attribute flavor. Value: {'name': 'a', 'ram': 1, 'vcpus': 1}. 'disk' is a required property",
    );
  });

  it('reports unexpected properties', () => {
    expect(
      validationError(flavorCreate, { flavor: { name: 'a', ram: 1, vcpus: 1, disk: 0, x: 1 } }),
    ).to.equal(
      "Invalid input for field/attribute flavor. Value: {'name': 'a', 'ram': 1, 'vcpus': 1, 'disk': 0, 'x': 1}. Additional properties are not allowed ('x' was unexpected)",
    );
  });

  it('compares numeric strings with minimum and maximum, as Nova does', () => {
    const body = (ram: unknown) => ({ flavor: { name: 'a', ram, vcpus: 1, disk: 0 } });
    expect(validationError(flavorCreate, body('0'))).to.equal(
      'Invalid input for field/attribute ram. Value: 0. 0 is less than the minimum of 1',
    );
    expect(validationError(flavorCreate, body(0))).to.equal(
      'Invalid input for field/attribute ram. Value: 0. 0 is less than the minimum of 1',
    );
    expect(validationError(flavorCreate, body('2147483648'))).to.equal(
      'Invalid input for field/attribute ram. Value: 2147483648. 2147483648 is greater than the maximum of 2147483647',
    );
    expect(validationError(flavorCreate, body('12'))).to.equal(undefined);
    expect(validationError(flavorCreate, body('abc'))).to.equal(
      "Invalid input for field/attribute ram. Value: abc. 'abc' does not match '^[0-9]+$'",
    );
    expect(validationError(flavorCreate, body(true))).to.equal(
      "Invalid input for field/attribute ram. Value: True. True is not of type 'integer', 'string'",
    );
  });

  it("gives Nova's InvalidName message for names with edge whitespace and keypair names with odd characters", () => {
    expect(validationError(flavorCreate, { flavor: { name: ' a', ram: 1, vcpus: 1, disk: 0 } })).to.equal(
      "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
    );
    const kp = KEYPAIR_CREATE.find((v) => v.min === '2.10')!.schema;
    expect(validationError(kp, { keypair: { name: 'a/b' } })).to.equal(
      "An invalid 'name' value was provided. Only expected characters: [_- 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ]",
    );
    const kp292 = KEYPAIR_CREATE.find((v) => v.min === '2.92')!.schema;
    expect(validationError(kp292, { keypair: { name: 'me@host.example', public_key: 'k' } })).to.equal(
      undefined,
    );
  });

  it('checks extra spec keys against the metadata key pattern', () => {
    expect(
      validationError(EXTRA_SPECS_CREATE, { extra_specs: { 'hw:cpu_policy': 'dedicated', n: 1 } }),
    ).to.equal(undefined);
    expect(validationError(EXTRA_SPECS_CREATE, { extra_specs: { 'a/b': 'x' } })).to.equal(
      "Invalid input for field/attribute extra_specs. Value: {'a/b': 'x'}. Additional properties are not allowed ('a/b' was unexpected)",
    );
  });

  it('words query errors with the parameter name and the offending value', () => {
    const schema = querySchema({ limit: intParam(0, 2 ** 31, '^[0-9]*$') }, false);
    expect(validationError(schema, { limit: ['-1'] }, 'query')).to.equal(
      "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'",
    );
    expect(validationError(schema, { foo: ['1'] }, 'query')).to.equal(
      "Additional properties are not allowed ('foo' was unexpected)",
    );
  });

  it('requires a non-empty tenant string for flavor access', () => {
    expect(validationError(ADD_TENANT_ACCESS, { addTenantAccess: { tenant: '' } })).to.equal(
      "Invalid input for field/attribute tenant. Value: . '' should be non-empty",
    );
  });
});
