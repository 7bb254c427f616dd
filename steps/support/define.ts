// One implementation per step, registered under each of its phrasings (English and 简体中文).
import { defineStep } from '@cucumber/cucumber';
import type { PoscertWorld } from './world';
import { byHandOr } from './by-hand';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function step(phrases: readonly string[], fn: (this: PoscertWorld, ...args: any[]) => Promise<void> | void): void {
  // On an operator terminal (no TTP) the step's by-hand form runs instead (by-hand.ts).
  const run = byHandOr(phrases, fn);
  for (const phrase of phrases) defineStep(phrase, run);
}
