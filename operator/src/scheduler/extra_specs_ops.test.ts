import { expect } from 'chai';
import { match } from './extra_specs_ops.ts';

// Nova's test_extra_specs_ops.py, case by case: [value, req, matches].
const NOVA_CASES: [string, string, string, boolean][] = [
  ['matches simple', '1', '1', true],
  ['fails simple', '', '1', false],
  ['fails simple 2', '3', '1', false],
  ['fails simple 3', '222', '2', false],
  ['fails with bogus ops', '4', '> 2', false],
  ['matches with op eq', '123', '= 123', true],
  ['matches with op eq 2 ("=" is >=)', '124', '= 123', true],
  ['fails with op eq', '34', '= 234', false],
  ['fails with op eq 3 (no operand)', '34', '=', false],
  ['matches with op s==', '123', 's== 123', true],
  ['fails with op s==', '1234', 's== 123', false],
  ['matches with op s!=', '1234', 's!= 123', true],
  ['fails with op s!=', '123', 's!= 123', false],
  ['fails with op s>= (string order)', '1000', 's>= 234', false],
  ['fails with op s<= (string order)', '1234', 's<= 1000', false],
  ['fails with op s< (string order)', '2', 's< 12', false],
  ['fails with op s> (string order)', '12', 's> 2', false],
  ['matches with op <in>', '12311321', '<in> 11', true],
  ['matches with op <in> 2', '12311321', '<in> 12311321', true],
  ['matches with op <in> 3 (trailing words ignored)', '12311321', '<in> 12311321 <in>', true],
  ['fails with op <in>', '12310321', '<in> 11', false],
  ['fails with op <in> 2', '12310321', '<in> 11 <in>', false],
  ['matches with op <or>', '12', '<or> 11 <or> 12', true],
  ['matches with op <or> 2', '12', '<or> 11 <or> 12 <or>', true],
  ['fails with op <or>', '13', '<or> 11 <or> 12', false],
  ['fails with op <or> 2', '13', '<or> 11 <or> 12 <or>', false],
  ['matches with op <=', '2', '<= 10', true],
  ['fails with op <=', '3', '<= 2', false],
  ['matches with op >=', '3', '>= 1', true],
  ['fails with op >=', '2', '>= 3', false],
  ['matches all with op <all-in>', "['aes', 'mmx', 'aux']", '<all-in> aes mmx', true],
  ['matches one with op <all-in>', "['aes', 'mmx', 'aux']", '<all-in> mmx', true],
  ['fails with op <all-in>', "['aes', 'mmx', 'aux']", '<all-in>  txt', false],
  ['fails all with op <all-in>', "['aes', 'mmx', 'aux']", '<all-in> txt 3dnow', false],
  ['fails match one with op <all-in>', "['aes', 'mmx', 'aux']", '<all-in> txt aes', false],
];

describe('extra_specs_ops.match (Nova extra_specs_ops.py)', () => {
  for (const [name, value, req, matches] of NOVA_CASES) {
    it(`${name}: match(${JSON.stringify(value)}, ${JSON.stringify(req)}) is ${matches}`, () => {
      expect(match(value, req)).to.equal(matches);
    });
  }

  it('compares == and != numerically: "1.0" == 1, "1e3" == 1000', () => {
    expect(match('1.0', '== 1')).to.equal(true);
    expect(match('1e3', '== 1000')).to.equal(true);
    expect(match('1', '!= 1.0')).to.equal(false);
    expect(match('2', '!= 1')).to.equal(true);
  });

  it('compares s< etc. as strings, by code point', () => {
    expect(match('abc', 's< abd')).to.equal(true);
    expect(match('b', 's> abc')).to.equal(true);
    expect(match('a', 's<= a')).to.equal(true);
    expect(match('a', 's>= b')).to.equal(false);
    expect(match('\u{1F600}', 's> \uFFFF')).to.equal(true);
  });

  it('splits req on any whitespace, as str.split()', () => {
    expect(match('5', '  >=\t 3 \n')).to.equal(true);
    expect(match('12', '<or>\t11\n<or>  12')).to.equal(true);
  });

  it('a word that is not an operator makes req a plain string to equal', () => {
    expect(match('x y', 'x y')).to.equal(true);
    expect(match('x  y', 'x y')).to.equal(false);
    expect(match('', '')).to.equal(true);
    expect(match('<IN> a', '<IN> a')).to.equal(true);
  });

  it('a missing value matches nothing, not even a plain string', () => {
    expect(match(undefined, '1')).to.equal(false);
    expect(match(null, '>= 1')).to.equal(false);
    expect(match(undefined, '<or> a <or> b')).to.equal(false);
  });

  it('<or> compares words in odd positions; the even ones are skipped whatever they are', () => {
    expect(match('c', '<or> a b c')).to.equal(true);
    expect(match('b', '<or> a b c')).to.equal(false);
    expect(match('a', '<or> a')).to.equal(true);
  });

  it('<or> with nothing after it throws IndexError, as Nova raises', () => {
    expect(() => match('a', '<or>')).to.throw('pop from empty list');
  });

  it('a numeric operator on a non-number throws ValueError, as float() raises', () => {
    expect(() => match('abc', '>= 1')).to.throw(/could not convert string to float/);
    expect(() => match('', '= 1')).to.throw(/could not convert/);
    expect(() => match('1', '== x')).to.throw(/could not convert/);
  });

  it('float() accepts what Python accepts: whitespace, _, inf, nan; nan compares false', () => {
    expect(match('1_000', '>= 999')).to.equal(true);
    expect(match('inf', '>= 1e308')).to.equal(true);
    expect(match('nan', '>= 0')).to.equal(false);
    expect(match('nan', '!= 0')).to.equal(true);
    expect(() => match('0x10', '>= 1')).to.throw(/could not convert/);
  });

  it('<all-in> and <in> with no word after them match nothing', () => {
    expect(match('abc', '<all-in>')).to.equal(false);
    expect(match('abc', '<in>')).to.equal(false);
  });
});
