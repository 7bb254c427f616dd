/**
 * The flow registry: every flow of the emulated terminal, and the menu groups. The main menu, its
 * sub-menus and the ECR dispatch are read from here, so a new flow is one file under flows/ plus
 * one line in FLOWS. `undeclaredDefects` is the static cross-check of the defect catalogue (every
 * catalogued defect is declared by some flow), run by `npm run coverage:defects` and a unit test.
 */
import type { TtpEcrCommand } from '../../protocol/ttp';
import type { TerminalProfile } from '../../protocol/ttp/profile';
import { DEFECT_CATALOGUE, DefectName } from '../defects';
import { T } from '../texts';
import { balance } from './balance';
import { billPayment } from './bill-payment';
import { batchSummary, echoTest, language, parameterDownload, signOff, signOn } from './management';
import { preAuth, preAuthAdd, preAuthCompletion, preAuthVoid } from './pre-auth';
import { refund } from './refund';
import { reprintAny, reprintLast, reprintSettlement } from './reprint';
import { sale } from './sale';
import { settlement } from './settlement';
import type { Flow, MenuGroup } from './types';
import { voidFlow } from './void';

export type { Flow, FlowContext, FlowResult, MenuGroup } from './types';

export const FLOWS: readonly Flow[] = [
  sale,
  billPayment,
  voidFlow,
  refund,
  balance,
  preAuth,
  preAuthCompletion,
  preAuthVoid,
  preAuthAdd,
  settlement,
  reprintLast,
  reprintAny,
  reprintSettlement,
  signOn,
  batchSummary,
  language,
  parameterDownload,
  echoTest,
  signOff,
];

export const MENU_GROUPS: readonly MenuGroup[] = [
  { name: 'pre-auth', key: '6', label: T.preAuthMenu, title: T.preAuthMenu, screen: 'pre-auth-menu', what: 'pre-auth menu' },
  { name: 'reprint', key: '8', label: T.reprint, title: T.reprint, screen: 'reprint-menu', what: 'reprint menu' },
  { name: 'manage', key: '9', label: T.manage, title: T.manage, screen: 'manage-menu', what: 'management menu' },
];

/** What a main-menu key opens: a flow, or a group's sub-menu. */
export type MenuEntry = { key: string; label: Flow['menu']['label']; flow: Flow } | { key: string; label: MenuGroup['label']; group: MenuGroup };

const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);

/** The main menu (主菜单), in key order. */
export const MAIN_MENU: readonly MenuEntry[] = [
  ...FLOWS.filter((f) => !f.menu.under).map((flow) => ({ key: flow.menu.key, label: flow.menu.label, flow })),
  ...MENU_GROUPS.map((group) => ({ key: group.key, label: group.label, group })),
].sort(byKey);

/** The flows of a group's sub-menu, in key order; given a profile, only those the terminal offers under it. */
export function subMenu(group: MenuGroup, profile?: TerminalProfile): Flow[] {
  return FLOWS.filter((f) => f.menu.under === group.name && (!profile || (f.offered?.(profile) ?? true))).sort((a, b) => byKey(a.menu, b.menu));
}

/** The flow an ECR request starts, or undefined. */
export function flowForEcr(request: TtpEcrCommand): Flow | undefined {
  return FLOWS.find((f) => f.ecr?.request === request.request && (f.ecr.when?.(request) ?? true));
}

/** Catalogued defects that no flow declares (should be none). */
export function undeclaredDefects(flows: readonly Flow[] = FLOWS): DefectName[] {
  const declared = new Set(flows.flatMap((f) => f.defects));
  return DEFECT_CATALOGUE.map((d) => d.name).filter((name) => !declared.has(name));
}
