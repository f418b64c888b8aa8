// Nova's extra spec matching (nova/scheduler/filters/extra_specs_ops.py), used by
// ComputeCapabilitiesFilter and AggregateInstanceExtraSpecsFilter to check a flavor extra spec
// (`req`) against a host or aggregate value:
//
//   "= 4"            float(value) >= 4 (sic: "=" means "at least")
//   "== 4" "!= 4" ">= 4" "<= 4"    numeric comparisons (float)
//   "s== a" "s!= a" "s< a" "s<= a" "s> a" "s>= a"   string comparisons (by code point)
//   "<in> a"         a is a substring of value
//   "<all-in> a b"   each word is a substring of value
//   "<or> a <or> b"  value equals one of the words
//   anything else    value equals req exactly
//
// Only the first word after an operator counts ("<in> a b" is "<in> a"); an operator with nothing
// after it matches nothing. Like Nova's, numeric operators throw ValueError on a value or word that
// is not a number, and "<or>" alone throws IndexError: Nova fails the scheduling request then.
import { IndexError, pyCompare, pyFloat, pySplit } from './utils.ts';

const num = (f: (x: number, y: number) => boolean) => (x: string, y: string) => f(pyFloat(x), pyFloat(y));
const str = (f: (c: number) => boolean) => (x: string, y: string) => f(pyCompare(x, y));

const OP_METHODS = new Map<string, (x: string, y: string) => boolean>([
  ['=', num((x, y) => x >= y)],
  ['<in>', (x, y) => x.includes(y)],
  ['<all-in>', () => false], // takes all the words: handled in match()
  ['==', num((x, y) => x === y)],
  ['!=', num((x, y) => x !== y)],
  ['>=', num((x, y) => x >= y)],
  ['<=', num((x, y) => x <= y)],
  ['s==', (x, y) => x === y],
  ['s!=', (x, y) => x !== y],
  ['s<', str((c) => c < 0)],
  ['s<=', str((c) => c <= 0)],
  ['s>', str((c) => c > 0)],
  ['s>=', str((c) => c >= 0)],
]);

/** Whether value (a host capability or aggregate metadata value; undefined if none) satisfies req. */
export function match(value: string | undefined | null, req: string): boolean {
  const words = pySplit(req);
  let op: string | undefined;
  let method: ((x: string, y: string) => boolean) | undefined;
  if (words.length) {
    op = words.shift()!;
    method = OP_METHODS.get(op);
  }

  if (op !== '<or>' && !method) return value === req;

  if (value === undefined || value === null) return false;

  if (op === '<or>') {
    // Ex: <or> v1 <or> v2 <or> v3
    for (;;) {
      if (!words.length) throw new IndexError('pop from empty list');
      if (words.shift() === value) return true;
      if (!words.length) break;
      words.shift(); // the keyword <or>
      if (!words.length) break;
    }
    return false;
  }

  if (words.length) {
    if (op === '<all-in>') return words.every((w) => value.includes(w));
    return method!(value, words[0]!);
  }
  return false;
}
