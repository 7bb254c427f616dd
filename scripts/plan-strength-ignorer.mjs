// The plan-strength run's Stryker ignorer (scripts/plan-strength.ts, issue 14): code that cannot change
// what a terminal does in a certification run is not mutated, as MUTATE already leaves out the defect
// catalogue. Mutants there would all be equivalent, and a sample drawn among them measures nothing.
//  - Defect wiring: the name given to `defect('…')`, a flow's `defects: [...]` declaration, and the
//    branch a defect switches on (`if (defect(…) && …) {dead}`, `defect(…) ? dead : live`). Defects
//    are off in a certification run, so `defect()` is false there and that code never runs.
//  - The emulator's own log lines (`….log(…)`): a real terminal has no such log; a certification
//    judges the wire, the screens, the slips and the TTP replies.
// Each ignored mutant appears as Ignored, with this reason, in Stryker's report.
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

const DEFECTS_OFF = 'defect wiring: defects are off in a certification run (plan-strength-ignorer)';
const LOG_LINE = "the emulator's own log line, not terminal behaviour (plan-strength-ignorer)";

/** A call of `defect(…)` / `x.defect(…)`. */
function isDefectCall(node) {
  if (!node || node.type !== 'CallExpression') return false;
  const c = node.callee;
  return (c.type === 'Identifier' && c.name === 'defect') || (c.type === 'MemberExpression' && !c.computed && c.property.name === 'defect');
}

/** A condition that is false whenever defect() is: `defect(…)` or a `&&` chain with one at its top. */
function falseWithDefectsOff(node) {
  if (!node) return false;
  if (node.type === 'ParenthesizedExpression') return falseWithDefectsOff(node.expression);
  if (isDefectCall(node)) return true;
  return node.type === 'LogicalExpression' && node.operator === '&&' && (falseWithDefectsOff(node.left) || falseWithDefectsOff(node.right));
}

/** No call, assignment, update, `new` or `await` anywhere in the expression. */
function sideEffectFree(node) {
  if (!node || typeof node !== 'object') return true;
  if (Array.isArray(node)) return node.every(sideEffectFree);
  if (/^(CallExpression|OptionalCallExpression|AssignmentExpression|UpdateExpression|NewExpression|AwaitExpression|YieldExpression)$/.test(node.type))
    return false;
  return Object.entries(node).every(([k, v]) => k === 'loc' || k === 'start' || k === 'end' || typeof v !== 'object' || sideEffectFree(v));
}

/** Branches that run only with a defect on (noted at their if / ?:). */
const deadBranches = new WeakSet();

export const ignorer = {
  shouldIgnore(path) {
    const node = path.node;
    const parent = path.parent;
    if (parent && isDefectCall(parent) && parent.arguments.includes(node)) return DEFECTS_OFF;
    if (
      parent &&
      (parent.type === 'ObjectProperty' || parent.type === 'Property') &&
      parent.value === node &&
      !parent.computed &&
      (parent.key.name === 'defects' || parent.key.value === 'defects')
    )
      return DEFECTS_OFF;
    // The branch is noted when its if / ?: is entered: by the time the branch itself is entered the
    // instrumenter has already replaced the condition with its mutant switch.
    if ((node.type === 'IfStatement' || node.type === 'ConditionalExpression') && falseWithDefectsOff(node.test)) deadBranches.add(node.consequent);
    // `defect(…) && x`: x never runs; `x && defect(…)`: a side-effect-free x cannot change anything.
    if (node.type === 'LogicalExpression' && node.operator === '&&') {
      if (falseWithDefectsOff(node.left)) deadBranches.add(node.right);
      if (falseWithDefectsOff(node.right) && sideEffectFree(node.left)) deadBranches.add(node.left);
    }
    if (deadBranches.has(node)) return DEFECTS_OFF;
    if (
      node.type === 'ExpressionStatement' &&
      node.expression.type === 'CallExpression' &&
      node.expression.callee.type === 'MemberExpression' &&
      !node.expression.callee.computed &&
      node.expression.callee.property.name === 'log'
    )
      return LOG_LINE;
    return undefined;
  },
};

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, 'plan-strength', ignorer)];
