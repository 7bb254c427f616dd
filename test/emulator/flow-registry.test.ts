// The emulator's flow registry: the main menu, sub-menus and ECR dispatch it yields, and the static
// cross-check that every catalogued defect is declared by a flow and every defect branch of the
// emulator's source names a defect some flow declares, and the run-time log of a defect biting in a
// flow that does not declare it.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TTP_ECR_REQUESTS, TtpEcrCommand } from '../../protocol/ttp';
import { DEFECT_NAMES } from '../../emulator/defects';
import { FLOWS, MAIN_MENU, MENU_GROUPS, flowForEcr, subMenu, undeclaredDefects } from '../../emulator/flows';
import { pick } from '../../emulator/texts';
import { emulatorProfile } from '../../emulator/profiles';
import { SessionCore, SessionHost } from '../../emulator/services';
import { InputQueue } from '../../emulator/inputs';
import { TerminalStateStore, initialState } from '../../emulator/state-store';

const EMULATOR_DIR = path.join(__dirname, '..', '..', 'emulator');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const ecr = (request: TtpEcrCommand['request'], extra: Partial<TtpEcrCommand> = {}): TtpEcrCommand =>
  ({ id: 1, cmd: 'ecr', request, ...extra }) as TtpEcrCommand;

describe('emulator flow registry', () => {
  test('the main menu is 1.消费 … 9.管理, from the registry', () => {
    expect(MAIN_MENU.map((m) => `${m.key}.${pick(m.label, 'zh-CN')}`)).to.deep.equal([
      '1.消费',
      '2.缴费',
      '3.撤销',
      '4.退货',
      '5.余额查询',
      '6.预授权',
      '7.结算',
      '8.重打印',
      '9.管理',
    ]);
  });

  test('sub-menus: pre-auth 1–3, reprint 1–3, management 1–6; keys unique on every menu', () => {
    const labels = (name: string) => subMenu(MENU_GROUPS.find((g) => g.name === name)!).map((f) => `${f.menu.key}.${pick(f.menu.label, 'zh-CN')}`);
    expect(labels('pre-auth')).to.deep.equal(['1.预授权', '2.预授权完成', '3.预授权撤销', '4.追加预授权']);
    // 追加预授权 only where the profile offers it (additionalPreAuth): not on the reference terminal.
    const offered = (profile: string) =>
      subMenu(
        MENU_GROUPS.find((g) => g.name === 'pre-auth')!,
        emulatorProfile(profile).profile,
      ).map((f) => f.name);
    expect(offered('reference')).to.deep.equal(['preauth', 'preauth-completion', 'preauth-void']);
    expect(offered('confiscate-texts')).to.deep.equal(['preauth', 'preauth-completion', 'preauth-void', 'preauth-add']);
    expect(labels('reprint')).to.deep.equal(['1.重打印最后一笔', '2.重打印任意一笔', '3.重打印结算单']);
    expect(labels('manage')).to.deep.equal(['1.签到', '2.交易汇总', '3.语言/LANGUAGE', '4.参数下载', '5.回响测试', '6.签退']);
    expect(new Set(FLOWS.map((f) => f.name)).size).to.equal(FLOWS.length);
  });

  test('every TTP ECR request starts exactly the flow it names', () => {
    for (const request of TTP_ECR_REQUESTS) expect(flowForEcr(ecr(request)), request).to.not.equal(undefined);
    expect(flowForEcr(ecr('settle'))!.name).to.equal('settlement');
    expect(flowForEcr(ecr('reprint'))!.name).to.equal('reprint-last');
    expect(flowForEcr(ecr('reprint', { originalTrace: '000012' }))!.name).to.equal('reprint-any');
    expect(flowForEcr(ecr('nonsense' as never))).to.equal(undefined);
  });

  test('every catalogued defect is declared by some flow (what coverage:defects checks first)', () => {
    expect(undeclaredDefects()).to.deep.equal([]);
    // The check can fail: without the flows that declare payee-not-shown, it is reported.
    const without = FLOWS.filter((f) => !f.defects.includes('payee-not-shown'));
    expect(undeclaredDefects(without)).to.include('payee-not-shown');
  });

  test('every defect branch in the emulator source names a catalogued defect that a flow declares', () => {
    const declared = new Set(FLOWS.flatMap((f) => f.defects));
    const used = new Set<string>();
    for (const file of sources(EMULATOR_DIR)) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/(?:\.defect|defects\.has)\('([a-z0-9-]+)'\)/g)) used.add(m[1]);
    }
    expect(used.size).to.be.greaterThan(15);
    for (const name of used) {
      expect(DEFECT_NAMES as readonly string[], name).to.include(name);
      expect(declared.has(name as never), `${name} is tested in the source but declared by no flow`).to.equal(true);
    }
  });

  test('a defect that bites in a running flow which does not declare it is logged', () => {
    const logged: string[] = [];
    const host = { defects: new Set(['wrong-mac']), log: (line: string) => logged.push(line) } as unknown as SessionHost;
    const core = new SessionCore(host, new TerminalStateStore('unused-state.json'), initialState(), new InputQueue(() => undefined));
    expect(core.defect('wrong-mac')).to.equal(true); // at boot: no flow to blame
    core.runningFlow = FLOWS.find((f) => f.name === 'sale');
    expect(core.defect('wrong-mac')).to.equal(true);
    expect(core.defect('payee-not-shown')).to.equal(false); // off: nothing to say
    expect(logged).to.deep.equal([]);
    core.runningFlow = FLOWS.find((f) => f.name === 'summary');
    core.defect('wrong-mac');
    expect(logged).to.deep.equal(['defect wrong-mac bit in flow summary, which does not declare it (emulator/flows)']);
  });
});
