import { test, describe } from 'node:test';
import { expect } from 'chai';
import { EvidenceMasker } from '../../drivers/masking';
import { Transcript } from '../../drivers/transcript';
import { ScreenTracker } from '../../drivers/screens';
import { VoucherCollector } from '../../drivers/vouchers';
import { classifyError, TerminalExpectationError, TerminalBrokenError } from '../../drivers/errors';
import { TtpResponseTimeoutError } from '../../protocol/ttp';
import { LinkDownError } from '../../links';
import { findMenuEntry } from '../../drivers/menu';

const PAN = '6222021234567890123'; // Luhn-valid? not needed: known PANs are masked regardless

describe('EvidenceMasker', () => {
  test('masks PAN fields, track data, keys and PINs by field name', () => {
    const m = new EvidenceMasker();
    const out = m.maskMessage({
      cmd: 'card',
      card: { pan: PAN, track2: `${PAN}=30122010000000000`, emv: { imk: '0123456789ABCDEF0123456789ABCDEF' } },
      pin: '123456',
    }) as any;
    expect(out.card.pan).to.equal('622202*********0123');
    expect(out.card.track2).to.equal('[track data removed]');
    expect(out.card.emv.imk).to.equal('[key removed]');
    expect(out.pin).to.equal('[PIN removed]');
    expect(JSON.stringify(out)).not.to.include(PAN);
  });

  test('masks a known PAN and Luhn-valid digit runs inside free text, keeps amounts and dates', () => {
    const m = new EvidenceMasker();
    m.rememberPan('6212345678901234'); // not Luhn-valid: still masked because the harness sent it
    expect(m.maskText('卡号: 6212345678901234')).to.equal('卡号: 621234******1234');
    expect(m.maskText('card 4111111111111111 ok')).to.equal('card 411111******1111 ok');
    expect(m.maskText('金额: 000000001234 日期 1126')).to.equal('金额: 000000001234 日期 1126');
    expect(m.maskText(';6212345678901234=30121010000?')).not.to.include('6212345678901234');
  });
});

describe('Transcript', () => {
  test('records frames both ways with timestamps, masked, and masks digits during PIN entry', () => {
    let now = 1_700_000_000_000;
    const t = new Transcript(new EvidenceMasker(), { now: () => now, monotonicNow: () => now });
    t.record({
      at: now,
      dir: 'tx',
      kind: 'frame',
      message: { id: 1, cmd: 'card', action: 'present', method: 'insert', card: { pan: PAN, expiry: '3012', serviceCode: '220' } } as any,
      attempt: 0,
    });
    now += 3;
    t.record({ at: now, dir: 'rx', kind: 'ack' });
    t.setPinEntry(true);
    t.record({ at: now, dir: 'tx', kind: 'frame', message: { id: 2, cmd: 'key', keys: ['1', '2', '3', '4', '5', '6', 'ENTER'] } as any, attempt: 1 });
    t.record({ at: now, dir: 'rx', kind: 'frame', message: { evt: 'display', lines: ['请输入密码:', '123456'] } as any });
    t.setPinEntry(false);
    t.record({ at: now, dir: 'rx', kind: 'error', reason: 'bad-lrc', detail: 'LRC 0x12 expected 0x13' });
    const entries = t.list();
    expect(entries).to.have.length(5);
    t.mark();
    t.note('next scenario');
    expect(t.list().map((e) => e.note)).to.deep.equal(['next scenario']);
    expect(t.list(true)).to.have.length(6);
    expect(entries[0].seq).to.equal(1);
    expect(entries[0].at).to.equal(new Date(1_700_000_000_000).toISOString());
    expect(entries[1].tMs).to.equal(3);
    expect((entries[2].message as any).keys).to.deep.equal(['*', '*', '*', '*', '*', '*', 'ENTER']);
    expect(entries[2].note).to.equal('retransmission 1');
    expect((entries[3].message as any).lines).to.deep.equal(['请输入密码:', '******']);
    const text = t.toText(true);
    expect(text).not.to.include(PAN);
    expect(text).not.to.include('123456');
    expect(text).to.include('H→T');
    expect(text).to.include('T→H ACK');
    expect(text).to.include('bad-lrc');
  });
});

describe('ScreenTracker', () => {
  test('resolves on a later matching screen, by text (whitespace-insensitive) or pattern', async () => {
    const s = new ScreenTracker();
    const p = s.waitForScreen('交易 成功', 500);
    const q = s.waitForScreen(/金额[:：]\s*12\.34/, 500);
    s.onDisplay(['消费', '金额: 12.34']);
    s.onDisplay(['交易  成功']);
    expect((await p).lines).to.deep.equal(['交易  成功']);
    expect((await q).lines[1]).to.equal('金额: 12.34');
  });

  test('a timeout is a TerminalExpectationError that lists the recent screens, masked', async () => {
    const s = new ScreenTracker({ maskForReport: (t) => t.replace(/\d{16}/g, '[PAN]') });
    s.onDisplay(['请刷卡/插卡/挥卡'], undefined, 'card-wait');
    s.onDisplay(['卡号 6212345678901234'], undefined, 'card-read');
    const err = await s.waitForScreen('交易成功', 30).then(
      () => undefined,
      (e) => e,
    );
    expect(err).to.be.instanceOf(TerminalExpectationError);
    expect(err.message).to.include('"交易成功" within 30 ms');
    expect(err.message).to.include('请刷卡/插卡/挥卡');
    expect(err.message).to.include('state=card-read');
    expect(err.message).not.to.include('6212345678901234');
    expect(classifyError(err)).to.equal('failed');
  });

  test('seenSince finds a screen the terminal already passed through', () => {
    const s = new ScreenTracker();
    s.onDisplay(['请输入金额:']);
    const mark = s.changes;
    s.onDisplay(['请刷卡/插卡/挥卡'], undefined, 'card-wait');
    s.onDisplay(['请输入密码:'], undefined, 'pin-entry');
    expect(s.seenSince(mark, '请刷卡')?.lines).to.deep.equal(['请刷卡/插卡/挥卡']);
    expect(s.seenSince(mark, '请输入金额')).to.equal(undefined);
    expect(s.seenSince(s.changes, '请刷卡')).to.equal(undefined);
  });

  test('waitForState and failAll', async () => {
    const s = new ScreenTracker();
    const p = s.waitForState(['idle'], 500);
    s.onState('booting');
    s.onState('idle');
    expect((await p).state).to.equal('idle');
    const q = s.waitForScreen('x', 500);
    s.failAll(new TerminalBrokenError('gone'));
    const err = await q.then(
      () => undefined,
      (e) => e,
    );
    expect(err).to.be.instanceOf(TerminalBrokenError);
  });
});

describe('VoucherCollector', () => {
  test('collects copies from print events, waits for N, windows with mark()', async () => {
    const v = new VoucherCollector();
    v.onPrint({ copy: 'merchant', lines: ['old'], reprint: false });
    v.mark();
    const p = v.waitFor(2, 500);
    v.onPrint({ copy: 'merchant', lines: ['商户存根', '持卡人签名:'], reprint: false, trace: '000012' });
    v.onPrint({ copy: 'cardholder', lines: ['持卡人存根'], reprint: false, trace: '000012' });
    const copies = await p;
    expect(copies.map((c) => c.copy)).to.deep.equal(['merchant', 'cardholder']);
    expect(copies[0].trace).to.equal('000012');
    expect(v.all()).to.have.length(3);
  });

  test('too few copies is a failed expectation naming what was printed', async () => {
    const v = new VoucherCollector();
    v.onPrint({ copy: 'merchant', lines: ['商户存根'], reprint: false });
    const err = await v.waitFor(2, 20).then(
      () => undefined,
      (e) => e,
    );
    expect(err).to.be.instanceOf(TerminalExpectationError);
    expect(err.message).to.include('printed 1 voucher copy within 20 ms, expected 2: merchant');
  });
});

describe('classifyError', () => {
  test('terminal mismatches fail, everything else is broken', () => {
    expect(classifyError(new TerminalExpectationError('x'))).to.equal('failed');
    expect(classifyError(Object.assign(new Error('expected 1 to equal 2'), { name: 'AssertionError' }))).to.equal('failed');
    expect(classifyError(new TtpResponseTimeoutError('screen', 3, 5000))).to.equal('broken');
    expect(classifyError(new LinkDownError('serial:/dev/ttyUSB0', 'cable pulled'))).to.equal('broken');
    expect(classifyError(new TerminalBrokenError('x'))).to.equal('broken');
    expect(classifyError(new TypeError('bug'))).to.equal('broken');
    expect(classifyError('string')).to.equal('broken');
  });
});

describe('findMenuEntry', () => {
  test('finds entries in common layouts', () => {
    const lines = ['主菜单', '1.消费    2.缴费', '3、撤销   4 退货', '[5] 余额查询', 'F1 管理'];
    expect(findMenuEntry(lines, '缴费')).to.deep.equal({ keys: ['2'], text: '缴费' });
    expect(findMenuEntry(lines, '撤销')?.keys).to.deep.equal(['3']);
    expect(findMenuEntry(lines, '退货')?.keys).to.deep.equal(['4']);
    expect(findMenuEntry(lines, '余额查询')?.keys).to.deep.equal(['5']);
    expect(findMenuEntry(lines, '管理')?.keys).to.deep.equal(['F1']);
    expect(findMenuEntry(lines, '预授权')).to.equal(undefined);
    expect(findMenuEntry(['1.SALE  2.BILL PAYMENT'], 'bill payment')?.keys).to.deep.equal(['2']);
    expect(findMenuEntry(['金额: 12.34'], '12')).to.equal(undefined);
  });
});
