// Conformance judgements (drivers/conformance.ts) and the terminal profile model
// (protocol/ttp/profile.ts): every conformant variant is accepted, what the reference forbids is not,
// and a bad declaration is refused naming its source and field.
import { test, describe } from 'node:test';
import { expect } from 'chai';
import {
  copyNeedsSignature,
  expectedCopies,
  judgeBalancedUpload,
  judgeCopyMarks,
  judgeExpiredSwipe,
  observeExpiredSwipe,
  resolveProfile,
  screenShowsOutcome,
} from '../../drivers/conformance';
import { toHostMessage } from '../../drivers/host-view';
import { REFERENCE_PROFILE, TerminalProfileError, parseTerminalProfile, profileEntries, type TerminalProfile } from '../../protocol/ttp/profile';
import { EMULATOR_PROFILES, emulatorProfile } from '../../emulator/profiles';
import { answerFor } from '../../drivers/prompts';

const with_ = (change: Partial<TerminalProfile>): TerminalProfile => ({ ...REFERENCE_PROFILE, ...change });

describe('terminal profile model', () => {
  test('the reference profile and every emulator profile validate', () => {
    expect(parseTerminalProfile(REFERENCE_PROFILE, 'test').name).to.equal('reference');
    expect(EMULATOR_PROFILES.length).to.be.greaterThanOrEqual(6);
    expect(new Set(EMULATOR_PROFILES.map((p) => p.name)).size).to.equal(EMULATOR_PROFILES.length);
  });

  test('foreignCards: absent means accepted; refused is a declared value; anything else is refused', () => {
    const { foreignCards: _omitted, ...undeclared } = REFERENCE_PROFILE;
    expect(parseTerminalProfile(undeclared, 'test').foreignCards).to.equal('accepted');
    expect(parseTerminalProfile({ ...REFERENCE_PROFILE, foreignCards: 'refused' }, 'test').foreignCards).to.equal('refused');
    expect(() => parseTerminalProfile({ ...REFERENCE_PROFILE, foreignCards: 'sometimes' }, 'test')).to.throw(/foreignCards/);
  });

  test('a bad declaration names its source and every field', () => {
    const bad = { ...REFERENCE_PROFILE, vouchers: { copies: 4, signatureOn: ['merchant'] }, magstripeExpiry: 'never' };
    let err: unknown;
    try {
      parseTerminalProfile(bad, 'lab.yaml: terminal "counter-1" field profile');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(TerminalProfileError);
    const msg = (err as Error).message;
    expect(msg).to.contain('lab.yaml: terminal "counter-1" field profile');
    expect(msg).to.contain('vouchers.copies');
    expect(msg).to.contain('magstripeExpiry');
    expect((err as TerminalProfileError).code).to.equal('TERMINAL_PROFILE_INVALID');
  });

  test('the reference is enforced where it is a rule: no signature on the cardholder copy, PIN only with the card, sign-on code fits the scheme', () => {
    expect(() => parseTerminalProfile(with_({ vouchers: { copies: 2, signatureOn: ['merchant', 'cardholder'] } }), 't')).to.throw(
      /cardholder copy carries no signature/,
    );
    expect(() =>
      parseTerminalProfile(with_({ supervisor: { void: { readsCard: false, asksPin: true }, refund: { readsCard: true, asksPin: false } } }), 't'),
    ).to.throw(/supervisor.void.asksPin/);
    expect(() => parseTerminalProfile(with_({ keys: { scheme: 'tdes', signOnCode: '005' } }), 't')).to.throw(/signOnCode 005/);
    expect(parseTerminalProfile(with_({ keys: { scheme: 'sm4', signOnCode: '005' } }), 't').keys.signOnCode).to.equal('005');
  });

  test('profile entries list every value, never the supervisor password itself', () => {
    const entries = new Map(profileEntries(emulatorProfile('supervisor').profile));
    expect(entries.get('supervisor.password')).to.equal('(declared)');
    expect(entries.get('vouchers.copies')).to.equal('2');
    expect(entries.get('acquirer.billPayment.processingCode')).to.equal('500000');
    expect(new Map(profileEntries(REFERENCE_PROFILE)).get('supervisor.password')).to.equal('(none)');
  });

  test('resolution: hello wins, then the lab file entry, then POSCERT_PROFILE, else the reference is assumed', () => {
    const three = emulatorProfile('three-copies').profile;
    expect(resolveProfile({ hello: three, labEntry: { file: 'f', name: 'n', profile: REFERENCE_PROFILE } })).to.deep.include({ source: 'hello' });
    expect(resolveProfile({ labEntry: { file: 'f', name: 'n', profile: three } }).profile.vouchers.copies).to.equal(3);
    expect(resolveProfile({ env: JSON.stringify(three) })).to.deep.include({ source: 'environment' });
    expect(resolveProfile({})).to.deep.equal({ profile: REFERENCE_PROFILE, source: 'assumed' });
    expect(() => resolveProfile({ env: '{not json' })).to.throw(/POSCERT_PROFILE/);
    expect(() => resolveProfile({ labEntry: { file: 'lab.yaml', name: 'c1', profile: { vouchers: {} } } })).to.throw(
      /lab.yaml: terminal "c1": profile/,
    );
  });
});

describe('conformance judgements', () => {
  test('copies: 1, 2 or 3 in §6 order; the merchant and bank copies are signed, the cardholder copy never', () => {
    expect(expectedCopies(with_({ vouchers: { copies: 1, signatureOn: ['merchant'] } }))).to.deep.equal(['merchant']);
    expect(expectedCopies(REFERENCE_PROFILE)).to.deep.equal(['merchant', 'cardholder']);
    const three = emulatorProfile('three-copies').profile;
    expect(expectedCopies(three)).to.deep.equal(['merchant', 'bank', 'cardholder']);
    expect(copyNeedsSignature('bank', three)).to.equal(true);
    expect(copyNeedsSignature('cardholder', three)).to.equal(false);
    expect(copyNeedsSignature('merchant', with_({ vouchers: { copies: 3, signatureOn: ['bank'] } }))).to.equal(true);
  });

  test('a screen means a lost card in §7 words, LY wording with 没收, or a declared synonym; a bare code does not', () => {
    const p = REFERENCE_PROFILE;
    expect(screenShowsOutcome(['消费', '交易失败', '挂失卡(POS) [41]', '请联系银行'], '41', p).found).to.equal('挂失卡');
    expect(screenShowsOutcome(['消费', '交易失败', '挂失卡 请没收 [41]'], '41', p).found).to.equal('挂失卡');
    expect(screenShowsOutcome(['消费', '交易失败', '[41]'], '41', p).found).to.equal(undefined);
    expect(screenShowsOutcome(['消费', '交易失败', '此卡被没收 [04]'], '04', p).found).to.equal(undefined);
    expect(screenShowsOutcome(['消费', '交易失败', '此卡被没收 [04]'], '04', emulatorProfile('confiscate-texts').profile).found).to.equal(
      '此卡被没收',
    );
    expect(screenShowsOutcome(['拒绝，交换中心异常，请稍后重试'], '96', p).found).to.equal('交换中心异常');
  });

  test("expired swipe: local refusal or the issuer's 54, as declared; never approved", () => {
    const local = REFERENCE_PROFILE;
    const online = emulatorProfile('expiry-online').profile;
    const refusedHere = { financialRequests: 0, responseCodes: [], screenShowsExpired: true };
    const sentFor54 = { financialRequests: 1, responseCodes: ['54'], screenShowsExpired: true };
    expect(judgeExpiredSwipe(refusedHere, local)).to.equal(undefined);
    expect(judgeExpiredSwipe(sentFor54, online)).to.equal(undefined);
    expect(judgeExpiredSwipe(refusedHere, online)).to.equal(undefined);
    expect(judgeExpiredSwipe(sentFor54, local)).to.match(/declares a local expiry check/);
    expect(judgeExpiredSwipe({ financialRequests: 1, responseCodes: ['00'], screenShowsExpired: true }, online)).to.match(/approved/);
    expect(judgeExpiredSwipe({ ...refusedHere, screenShowsExpired: false }, local)).to.match(/never said the card is expired/);
  });

  test('after a balanced settlement: TC / failed-IC records when declared, never magstripe lists', () => {
    const tc = emulatorProfile('tc-upload').profile;
    expect(judgeBalancedUpload([], REFERENCE_PROFILE)).to.deep.equal([]);
    expect(judgeBalancedUpload(['203', '203', '204'], tc)).to.deep.equal([]);
    expect(judgeBalancedUpload(['203'], REFERENCE_PROFILE)[0]).to.match(/balancedUpload none/);
    expect(judgeBalancedUpload(['201'], tc)[0]).to.match(/60.3 201/);
  });

  test('the supervisor password prompt is answered with the declared password', () => {
    const s = { state: 'input', lines: ['撤销', '请输入主管密码:', ''] };
    expect(answerFor(s, { supervisorPassword: '123456' })).to.deep.equal({ prompt: 'supervisor-password', action: { kind: 'text', text: '123456' } });
    expect(answerFor(s, {})).to.equal(undefined);
  });
});

describe('copies and the expired swipe, as the conformance steps observe them', () => {
  const copy = (name: string, lines: string[]) => ({ copy: name, lines, reprint: false, at: 0 });

  test('each copy labelled as itself, with a signature line exactly where the profile needs one', () => {
    const merchant = copy('merchant', ['商户存根', '持卡人签名']);
    const cardholder = copy('cardholder', ['持卡人存根']);
    expect(judgeCopyMarks([merchant, cardholder], REFERENCE_PROFILE)).to.deep.equal([]);
    const problems = judgeCopyMarks(
      [copy('merchant', ['持卡人存根']), copy('cardholder', ['持卡人存根', 'CARDHOLDER SIGNATURE'])],
      REFERENCE_PROFILE,
    );
    expect(problems).to.have.length(3);
    expect(problems[0]).to.match(/^merchant copy:\n {4}持卡人存根\nis not labelled as the merchant copy$/);
    expect(problems[1]).to.match(/has no signature line$/);
    expect(problems[2]).to.match(/^cardholder copy:[\s\S]*asks for a signature$/);
  });

  test('the expired swipe: financial requests and answers from the journal, the 54 wording from the screens', () => {
    const row = (id: number, direction: 'in' | 'out', mti: string, fields: Record<string, string>) =>
      toHostMessage({
        id,
        direction,
        time: '2026-12-04T00:00:00Z',
        terminalId: '10000001',
        mti,
        stan: fields['11'] ?? null,
        responseCode: fields['39'] ?? null,
        hex: '',
        fields,
        note: null,
      });
    const traffic = [
      row(1, 'in', '0800', { 11: '000001', 60: '00000001004' }),
      row(2, 'in', '0200', { 3: '000000', 11: '000002', 25: '00', 60: '22000001000' }),
      row(3, 'out', '0210', { 3: '000000', 11: '000002', 25: '00', 39: '54', 60: '22000001000' }),
    ];
    const screens = [{ lines: ['交易失败', '该卡已过期'] }];
    expect(observeExpiredSwipe(traffic, screens, REFERENCE_PROFILE)).to.deep.equal({
      financialRequests: 1,
      responseCodes: ['54'],
      screenShowsExpired: true,
    });
    expect(observeExpiredSwipe([], [{ lines: ['请刷卡'] }], REFERENCE_PROFILE)).to.deep.equal({
      financialRequests: 0,
      responseCodes: [],
      screenShowsExpired: false,
    });
  });
});
