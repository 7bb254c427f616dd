/**
 * Which terminal-profile values a case depended on: a watching view of a profile that reports every
 * value read through it, by its key path (`vouchers.copies`, `displaySynonyms.41`,
 * `supervisor.password`), so each case result can say which declared values its verdict rests on
 * (issue 12: "each case result says which values it depended on"). Recorded from what the steps and
 * the driver actually read, not declared by hand, so it cannot drift from the case.
 *
 * Pure: no I/O. The view reads a private copy, so a frozen profile is fine and writes never reach it.
 */
import { profileEntries, type TerminalProfile } from './profile';

/** A profile value a case depended on, as the certificate shows it. */
export interface ProfileDependence {
  key: string;
  value: string;
}

const IGNORED = new Set(['toJSON', 'then', 'constructor', 'valueOf', 'toString', 'inspect']);

/**
 * A view of `profile` that calls `onRead(key)` for every value read: leaves and arrays by their path,
 * an object whose keys are listed (Object.keys, spread, JSON) by its own path.
 */
export function watchProfile(profile: TerminalProfile, onRead: (key: string) => void): TerminalProfile {
  const wrap = (target: object, prefix: string): object =>
    new Proxy(target, {
      get(t, prop, receiver) {
        const value = Reflect.get(t, prop, receiver);
        if (typeof prop !== 'string' || IGNORED.has(prop) || typeof value === 'function') return value;
        const key = prefix ? `${prefix}.${prop}` : prop;
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) return wrap(value as object, key);
        onRead(key);
        return value;
      },
      ownKeys(t) {
        if (prefix) onRead(prefix);
        return Reflect.ownKeys(t);
      },
    });
  return wrap(structuredClone(profile), '') as TerminalProfile;
}

/**
 * The dependences of a set of read keys, with the values as the certificate lists them
 * (profileEntries: the supervisor password shown only as declared). A key read below an object
 * (`displaySynonyms` listed whole) stands for every value under it; a key with no value (a
 * response code without synonyms) is shown as "(none declared)". Sorted by key, `name` left out.
 */
export function dependences(profile: TerminalProfile, keys: Iterable<string>): ProfileDependence[] {
  const entries = profileEntries(profile);
  const out = new Map<string, string>();
  for (const key of keys) {
    if (key === 'name') continue;
    const under = entries.filter(([k]) => k === key || k.startsWith(`${key}.`));
    if (under.length) for (const [k, v] of under) out.set(k, v);
    else out.set(key, '(none declared)');
  }
  return [...out].sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => ({ key, value }));
}

/** Whether a dependence is on an acquirer-profile value (the project's own convention, cup8583.md §3.12). */
export function isAcquirerValue(key: string): boolean {
  return key === 'acquirer' || key.startsWith('acquirer.');
}
