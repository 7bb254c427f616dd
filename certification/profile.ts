/**
 * The terminal profile a certification run judged by (protocol/ttp/profile.ts), and where it came
 * from: the terminal's hello, the lab file, the emulator's named profile, or assumed (nothing
 * declared: the reference profile). The certificate and the Allure environment list every value,
 * and say which of them are acquirer-profile choices (the 缴费 format: poscert's own convention).
 */
import type { TerminalProfile } from '../protocol/ttp/profile';
import { profileEntries } from '../protocol/ttp/profile';

export interface RunProfile {
  profile: TerminalProfile;
  /** hello | lab-file | environment | emulator | assumed */
  source: string;
}

export interface ProfileOnCertificate {
  name: string;
  source: string;
  /** Flat `key = value` pairs of every value the run assumed (the supervisor password is not printed). */
  values: Array<{ key: string; value: string; acquirer: boolean }>;
  /** The acquirer profile name, for "against acquirer profile X" on the cases that depend on it. */
  acquirer: string;
  note?: string;
}

export function profileOnCertificate(rp: RunProfile): ProfileOnCertificate {
  return {
    name: rp.profile.name,
    source: rp.source,
    values: profileEntries(rp.profile)
      .filter(([k]) => k !== 'name')
      .map(([key, value]) => ({ key, value, acquirer: key.startsWith('acquirer.') })),
    acquirer: rp.profile.acquirer.name,
    ...(rp.source === 'assumed' ? { note: 'the terminal declared no profile (TTP hello or lab file): the reference profile was assumed' } : {}),
  };
}

/** Allure environment lines: `profile.<key>` = value. */
export function profileEnvironment(rp: RunProfile): Record<string, string> {
  const out: Record<string, string> = { profile: `${rp.profile.name} (${rp.source})` };
  for (const [k, v] of profileEntries(rp.profile)) if (k !== 'name') out[`profile.${k}`] = v;
  return out;
}
