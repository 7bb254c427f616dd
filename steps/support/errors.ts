// Errors of the step layer. A scenario whose precondition cannot be established is *broken*
// (the harness could not judge the terminal), never *failed*.
import { PoscertError, broken, type DeclaredOutcome } from '../../errors';

export class ScenarioSetupError extends PoscertError {
  static override readonly outcome: DeclaredOutcome = broken('harness');
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('SCENARIO_SETUP', message, context);
  }
}
