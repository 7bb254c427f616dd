/**
 * The supervisor (主管) password of voids and refunds, judged by the terminal's declaration: a
 * terminal whose profile declares a supervisor password must ask it before a void or refund, refuse
 * a wrong one on screen without sending anything to the host (the original stays as it was), and go
 * on with the right one; a terminal that declares none must not ask. Pure (no driver, no clock), so
 * every branch is unit-tested (test/drivers/supervisor.test.ts); the steps only observe and assert.
 */
import type { TerminalProfile } from '../protocol/ttp/profile';
import { requestsOf, replyTo, type HostMessage } from './host-view';

/** The transactions a supervisor password guards (protocol/ttp/profile.ts `supervisor`). */
export type SupervisorGuarded = 'void' | 'refund';

/** Which supervisor password the driver gives when the terminal asks 主管密码. */
export type SupervisorAnswer = 'declared' | 'wrong';

/**
 * A password that is certainly not `declared`: same length, every digit changed (a terminal that
 * compares only a prefix or the length still meets a mismatch). With none declared, 0000: a
 * terminal that asks without declaring a password is judged on the asking, not on this value.
 */
export function wrongSupervisorPassword(declared: string | undefined): string {
  if (!declared) return '0000';
  return declared
    .split('')
    .map((d) => String((Number(d) + 1) % 10))
    .join('');
}

/** The password to type: the declared one, or a wrong one for a case that proves it is checked. */
export function supervisorPasswordToGive(declared: string | undefined, answer: SupervisorAnswer = 'declared'): string | undefined {
  return answer === 'wrong' ? wrongSupervisorPassword(declared) : declared;
}

/** Screen wordings that say a password was refused (主管密码错误, §7 55's 密码错, English terminals). */
const WRONG_PASSWORD_TEXT = /密码错|密码不正确|WRONG\s+(SUPERVISOR\s+)?PASSWORD|(PASSWORD|PWD)\s+(ERROR|WRONG|INCORRECT)|INCORRECT\s+PASSWORD/i;

/** A screen says the password was refused. */
export function showsPasswordRefused(lines: readonly string[]): boolean {
  return WRONG_PASSWORD_TEXT.test(lines.join('\n'));
}

/** What the harness saw of one void / refund attempt given a wrong supervisor password. */
export interface WrongSupervisorAttempt {
  kind: SupervisorGuarded;
  /** The terminal asked 主管密码 (the driver answered a supervisor-password prompt). */
  asked: boolean;
  /** Requests of `kind` the host received from the attempt. */
  requestsSent: number;
  /** The screens the terminal showed from the attempt on. */
  screens: ReadonlyArray<{ lines: readonly string[] }>;
}

/**
 * Problems of an attempt with a wrong supervisor password, judged by the declaration (empty when
 * conformant). Declared: asked, refused on screen, nothing sent. Not declared: not asked (what the
 * transaction then did is judged by the case's other steps).
 */
export function judgeWrongSupervisorPassword(attempt: WrongSupervisorAttempt, profile: TerminalProfile): string[] {
  const declared = profile.supervisor.password !== undefined;
  const what = attempt.kind === 'void' ? 'void (撤销)' : 'refund (退货)';
  if (!declared) {
    return attempt.asked
      ? [`the terminal asked a supervisor password (主管密码) before the ${what}, but its profile declares none (supervisor.password absent)`]
      : [];
  }
  if (!attempt.asked) return [`the profile declares a supervisor password, but the terminal did not ask it (主管密码) before the ${what}`];
  const problems: string[] = [];
  if (attempt.requestsSent > 0)
    problems.push(`after a wrong supervisor password the terminal sent ${attempt.requestsSent} ${attempt.kind} request(s) to the host`);
  if (!attempt.screens.some((s) => showsPasswordRefused(s.lines)))
    problems.push('no screen said the supervisor password was wrong (主管密码错误 / 密码错 / WRONG PASSWORD)');
  return problems;
}

/** Requests of `kind` in the traffic the host approved (39 = 00). */
export function approvedRequests(messages: readonly HostMessage[], kind: SupervisorGuarded): HostMessage[] {
  return requestsOf(messages, kind).filter((r) => replyTo(messages, r)?.responseCode === '00');
}
