// One implementation per step, registered under each of its phrasings (English and 简体中文).
import { defineStep } from '@cucumber/cucumber';
import type { PoscertWorld } from './world';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function step(phrases: readonly string[], fn: (this: PoscertWorld, ...args: any[]) => Promise<void> | void): void {
  for (const phrase of phrases) defineStep(phrase, fn);
}
