// scripts/plan-strength-survivors.ts accountFor: an entry matches a survivor by file, mutator,
// replacement and a piece of its line, or the whole line when the entry says `exact`.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { accountFor, type AccountedSurvivor } from '../../scripts/plan-strength-survivors';

const entry = (code: string, exact?: boolean): AccountedSurvivor => ({
  file: 'emulator/services/card-reader.ts',
  mutator: 'ConditionalExpression',
  replacement: 'true',
  code,
  ...(exact ? { exact } : {}),
  kind: 'unobservable',
  why: 'test',
});
const mutant = (code: string) => ({ file: 'emulator/services/card-reader.ts', mutator: 'ConditionalExpression', replacement: 'true', code });

describe('plan-strength-survivors accountFor', () => {
  test('a piece of the line matches every line holding it', () => {
    const e = entry("method !== 'swipe' &&");
    expect(accountFor(mutant("method !== 'swipe' &&"), [e])).to.equal(e);
    expect(accountFor(mutant("if (method !== 'swipe' && !icListsReady(this.core)) {"), [e])).to.equal(e);
  });

  test('an exact entry matches only its own line', () => {
    const e = entry("method !== 'swipe' &&", true);
    expect(accountFor(mutant("method !== 'swipe' &&"), [e])).to.equal(e);
    expect(accountFor(mutant("if (method !== 'swipe' && !icListsReady(this.core)) {"), [e])).to.equal(undefined);
  });

  test('another mutator or replacement is not matched', () => {
    const e = entry("method !== 'swipe' &&");
    expect(accountFor({ ...mutant("method !== 'swipe' &&"), replacement: 'false' }, [e])).to.equal(undefined);
    expect(accountFor({ ...mutant("method !== 'swipe' &&"), mutator: 'EqualityOperator' }, [e])).to.equal(undefined);
  });

  test('an entry naming the next line matches only the spot it precedes', () => {
    const e = { ...entry('try {', true), next: 'return parse(x);' };
    expect(accountFor({ ...mutant('try {'), next: 'return parse(x);' }, [e])).to.equal(e);
    expect(accountFor({ ...mutant('try {'), next: 'keys = unwrap(f62);' }, [e])).to.equal(undefined);
    expect(accountFor(mutant('try {'), [e])).to.equal(undefined);
  });

  test('an entry naming the function matches only the spot in that function', () => {
    const e = { ...entry('entry.attempts += 1;', true), fn: 'sendPendingSignatures' };
    expect(accountFor({ ...mutant('entry.attempts += 1;'), fn: 'sendPendingSignatures' }, [e])).to.equal(e);
    expect(accountFor({ ...mutant('entry.attempts += 1;'), fn: 'sendPendingScriptResults' }, [e])).to.equal(undefined);
    expect(accountFor(mutant('entry.attempts += 1;'), [e])).to.equal(undefined);
  });
});
