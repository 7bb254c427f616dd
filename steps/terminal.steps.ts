// What the operator and the cardholder do at the terminal, and what its screen shows.
import { expect } from 'chai';
import { amountOnScreen, flippedKey, identitySettings, keyHex, screenContains, screenMatches, screenShowsAmount } from '../drivers';
import { notRefusedForSignOn } from '../drivers/flow-outcome';
import { step } from './support/define';
import { chooseMenu, enterWrongPinsUntilRefused, retryPin } from './support/at-terminal';
import { formatFen, type EntryMode } from './support/parse';
import { ScenarioSetupError } from './support/errors';

// ------------------------------------------------------------------ operator

step(['the operator selects {text}', '操作员选择{text}'], async function (label: string) {
  await chooseMenu(this, label);
});

step(['the operator enters the amount {amount}', '操作员输入金额 {amount}'], async function (fen: number) {
  this.action();
  await this.waitForState(['input']);
  this.lastAmountFen = fen;
  await this.driver.enterAmount(fen);
});

step(
  ['the operator enters the amount {amount}, taking back a mistyped digit', '操作员输入金额 {amount}，按清除键删去一位输错的数字'],
  async function (fen: number) {
    this.action();
    await this.waitForState(['input']);
    this.lastAmountFen = fen;
    await this.driver.enterAmountWithCorrection(fen);
  },
);

step(['the operator enters the payee name {text}', '操作员输入收款方名称{text}'], async function (name: string) {
  this.action();
  await this.waitForState(['input']);
  await this.driver.enterText(name);
});

step(['the operator enters the payee account {text}', '操作员输入收款方账号{text}'], async function (account: string) {
  this.action();
  await this.waitForState(['input']);
  await this.driver.enterText(account);
});

step(['the operator enters the voucher number {text}', '操作员输入原凭证号{text}'], async function (trace: string) {
  this.action();
  await this.waitForState(['input']);
  await this.driver.enterText(trace);
});

step(['the operator confirms', '操作员确认'], async function () {
  this.action();
  await this.waitForState(['confirm']);
  await this.driver.pressKeys('ENTER');
});

step(['the operator cancels', '操作员取消'], async function () {
  this.action();
  await this.driver.pressKeys('CANCEL');
  await this.driver.toIdle();
});

// ------------------------------------------------------------------ cardholder

step(['the cardholder {entry} card {card}', '持卡人{entry} {card}'], async function (entry: EntryMode, alias: string) {
  this.action();
  await this.presentCard(alias, entry);
});

step(['the cardholder enters the correct PIN', '持卡人输入正确的密码'], async function () {
  this.action();
  await this.enterPin(this.pinOf(this.cardInHand()));
});

step(['the cardholder enters a wrong PIN', '持卡人输入错误的密码'], async function () {
  this.action();
  await this.enterPin(this.wrongPinOf(this.cardInHand()));
});

// QuickPass under the no-PIN limit: a terminal may skip the PIN prompt or offer "无密码请按[确认]".
step(['the cardholder confirms without a PIN', '持卡人无密码确认'], async function () {
  this.action();
  const s = await this.waitForState(['pin-entry', 'online', 'result', 'printing', 'idle', 'error']);
  if (s.state === 'pin-entry') await this.driver.pressKeys('ENTER');
});

step(['the cardholder cancels the PIN entry', '持卡人取消输密'], async function () {
  this.action();
  await this.waitForState(['pin-entry']);
  await this.driver.pressKeys('CANCEL');
});

step(['the cardholder retries with the correct PIN', '持卡人重新输入正确的密码'], async function () {
  this.action();
  await retryPin(this, 'correct');
});

step(['the cardholder enters a wrong PIN as many times as the issuer allows', '持卡人连续输错密码直到发卡行上限'], async function () {
  this.action();
  await enterWrongPinsUntilRefused(this);
});

// ------------------------------------------------------------------ screens

step(['the screen shows {text}', '屏幕显示{text}'], async function (text: string) {
  // Counting the screens since the last action, else the next one to come.
  if (this.screens(this.lastActionAt).some((s) => screenMatches(s, text))) return;
  await this.driver.waitForScreen(text, { timeoutMs: this.lab.settings.screenTimeoutMs });
});

step(['no screen showed {text}', '屏幕从未显示{text}'], async function (text: string) {
  // Since the last action: a set-up transaction earlier in the scenario may rightly have shown it.
  const shown = this.screens(this.lastActionAt).filter((s) => screenMatches(s, text));
  expect(this.describeScreens(shown), `the terminal showed "${text}"`).to.deep.equal([]);
});

step(['no screen asked for a card', '屏幕从未提示读卡'], async function () {
  const asked = this.screens(this.lastActionAt).filter((s) => s.state === 'card-wait');
  expect(this.describeScreens(asked), 'the terminal asked for a card').to.deep.equal([]);
});

step(['the screen shows the balance of card {card}', '屏幕显示卡 {card} 的余额'], async function (alias: string) {
  const balance = formatFen(this.host.balance(alias).available);
  if (this.screens(this.lastActionAt).some((s) => screenShowsAmount(s, balance))) return;
  await this.driver.waitForScreen(amountOnScreen(balance), { timeoutMs: this.lab.settings.screenTimeoutMs });
});

step(['the PIN was shown only as asterisks', 'PIN只以星号显示'], async function () {
  expect(this.pinsTyped.size, 'no PIN was typed in this scenario').to.be.greaterThan(0);
  const pinScreens = this.screens().filter((s) => s.state === 'pin-entry');
  expect(pinScreens.length, 'the terminal never showed a PIN entry screen').to.be.greaterThan(0);
  for (const pin of this.pinsTyped) {
    const stars = '*'.repeat(pin.length);
    const shown = pinScreens.some((s) => screenContains(s, stars));
    expect(shown, `no PIN entry screen showed ${stars} for a ${pin.length}-digit PIN`).to.equal(true);
  }
});

step(['the PIN appears on no screen', '任何屏幕都不显示PIN'], async function () {
  expect(this.pinsTyped.size, 'no PIN was typed in this scenario').to.be.greaterThan(0);
  for (const pin of this.pinsTyped) {
    const leaks = this.screens().filter((s) => screenContains(s, pin));
    expect(leaks.length, `the PIN appeared on ${leaks.length} screen(s) (state ${leaks.map((s) => s.state).join(', ')})`).to.equal(0);
  }
});

// ------------------------------------------------------------------ identity, power, configuration

step(['the harness asks the terminal who it is', '测试工具询问终端身份'], async function () {
  this.identity = await this.driver.hello();
});

// A minor version only adds (TTP §9): a terminal speaking 1.1 conforms to a case written for 1.0.
step(['it declares the test protocol version {text}', '终端声明测试协议版本{text}'], function (version: string) {
  const [major, minor] = version.split('.').map(Number);
  const m = /^(\d+)\.(\d+)$/.exec(String(this.identity?.ttp));
  expect(m, `hello declares TTP version ${String(this.identity?.ttp)}, not MAJOR.MINOR`).to.not.equal(null);
  expect(Number(m![1]), `TTP major version`).to.equal(major);
  expect(Number(m![2]), `TTP ${String(this.identity?.ttp)} is older than ${version}`).to.be.at.least(minor ?? 0);
});

step(['it declares its vendor, model, serial number and firmware version', '终端声明厂商、型号、序列号和固件版本'], function () {
  const id = this.identity!;
  const declared = { vendor: id.vendor, model: id.model, 'serial number': id.serialNumber, 'firmware version': id.firmwareVersion };
  for (const [what, v] of Object.entries(declared)) expect(v, `hello declares no ${what}`).to.be.a('string').and.not.equal('');
});

step(['it declares its capabilities', '终端声明其能力'], function () {
  const caps = this.identity!.capabilities as unknown as Record<string, unknown>;
  for (const c of ['magstripe', 'contact', 'contactless', 'printer', 'pinpad', 'sm4']) {
    expect(caps[c], `hello does not say whether the terminal has ${c}`).to.be.a('boolean');
  }
});

step(['the terminal is power cycled', '终端断电重启'], async function () {
  this.action();
  await this.driver.powerCycle();
  await this.driver.ensureSignedOnIdle();
});

step(['the terminal loses power', '终端断电'], async function () {
  this.action();
  await this.driver.powerCut();
});

step(['the power comes back', '终端恢复供电'], async function () {
  this.action();
  await this.driver.powerOn();
  await this.driver.ensureSignedOnIdle();
});

step(['the terminal is configured with an unregistered terminal id', '终端被设置为未登记的终端号'], async function () {
  const unregistered = this.lab.config.terminals.find((t) => t.status === 'unregistered');
  expect(unregistered, 'the host configuration has no terminal with status unregistered').to.not.equal(undefined);
  this.restoreLater({ terminalId: this.lab.terminalId });
  this.terminalIdsUsed.add(unregistered!.terminalId);
  await this.driver.configure({ terminalId: unregistered!.terminalId });
});

step(["the terminal's tamper sensor has tripped", '终端的防拆开关已触发'], async function () {
  // Test firmware exposes the tamper switch as the vendor setting x-tampered (docs/terminal-test-protocol.md).
  this.restoreLater({ 'x-tampered': false });
  await this.driver.configure({ 'x-tampered': true });
});

step(['the terminal holds a master key the acquirer does not know', '终端的主密钥与收单机构的不同'], async function () {
  const tmk = this.terminalConfig().terminal.tmk.reveal();
  this.restoreLater({ 'x-tmk': keyHex(tmk) });
  // A wrong key injection: every bit of the acquirer's TMK flipped.
  await this.driver.configure({ 'x-tmk': keyHex(flippedKey(tmk)) });
});

step(['the terminal uses SM4 keys', '终端使用SM4密钥'], async function () {
  const sm4 = this.lab.config.terminals.find((t) => t.keyScheme === 'SM4' && t.status === 'active');
  if (!sm4) throw new ScenarioSetupError('the host configuration has no active SM4 terminal (scenarios/merchants.yaml)');
  // Test keys from the lab's configuration: the TMK is injected as a key-loading device would.
  this.restoreLater(identitySettings(this.terminalConfig().terminal, 'tdes'));
  this.terminalIdsUsed.add(sm4.terminalId);
  await this.driver.configure(identitySettings(sm4, 'sm4'));
  // New keys: the terminal signs on under the SM4 TMK before its first transaction.
  await this.driver.signOn();
});

step(['the terminal is not signed on', '终端未签到'], async function () {
  const s = await this.driver.currentScreen();
  expect(s.state, `the terminal is in state ${s.state}`).to.equal('sign-on-required');
});

// Each financial transaction of the menu, every prompt answered: a terminal without working keys refuses each.
step(
  ['every financial transaction tried with card {card} is refused on the terminal', '用卡 {card} 逐一发起的每种金融交易均在终端被拒绝'],
  async function (alias: string) {
    this.action();
    const attempts = await this.tryEveryFinancialTransaction(alias);
    expect(
      notRefusedForSignOn(attempts).join('\n'),
      'transactions of a terminal whose sign-on failed (TTP §7.6 outcome: a refusal, not approved or done)',
    ).to.equal('');
  },
);

step(['the operator signs on', '操作员签到'], async function () {
  this.action();
  this.newVoucherWindow();
  await this.driver.signOn();
});

step(['the operator downloads parameters', '操作员下载参数'], async function () {
  await this.manage('parameter-download');
});

step(['the operator runs an echo test', '操作员回响测试'], async function () {
  await this.manage('echo');
});

step(['the operator signs off', '操作员签退'], async function () {
  await this.manage('sign-off');
});
