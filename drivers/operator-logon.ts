/**
 * Operator logon (操作员签到) judged and answered by the terminal's declaration: a terminal whose profile
 * declares operatorLogon asks an operator number (操作员号) and its password before a sign-on from the
 * menu, and its 0800 then carries that operator in 63.1 (2 digits + space, cup8583.md §2.6, §3.2). Pure
 * (no driver, no clock): the menu sign-on (strategy.ts) asks it what to type, the steps what to expect.
 */
import type { TerminalProfile } from '../protocol/ttp/profile';
import type { HostMessage } from './host-view';
import { promptsOf, type PromptScreen } from './prompts';

export type OperatorLogon = NonNullable<TerminalProfile['operatorLogon']>;

/** The keys answering an operator-logon prompt on the screen (undefined: the screen asks no such thing, or nothing is declared). */
export function operatorLogonKeys(s: PromptScreen, declared: OperatorLogon | undefined): string[] | undefined {
  if (!declared) return undefined;
  const prompts = promptsOf(s);
  const value = prompts.includes('operator-password') ? declared.password : prompts.includes('operator-number') ? declared.operator : undefined;
  return value === undefined ? undefined : [...value.split(''), 'ENTER'];
}

/** 63.1 of a sign-on or settlement request for this operator (cup8583.md §2.6: `01␣`). */
export function operatorField63(operator: string): string {
  return `${operator} `;
}

/** What is wrong with the operator a sign-on request names (undefined: it names the declared operator). */
export function operatorProblem(request: Pick<HostMessage, 'fields' | 'stan'>, declared: OperatorLogon): string | undefined {
  const f63 = request.fields[63];
  const want = operatorField63(declared.operator);
  if (f63 === undefined) return `the sign-on (STAN ${request.stan}) carries no F63; 63.1 must be the operator who logged on, "${want}"`;
  if (f63.slice(0, 3) !== want)
    return `63.1 of the sign-on (STAN ${request.stan}) is "${f63.slice(0, 3)}", not the operator who logged on, "${want}"`;
  return undefined;
}
