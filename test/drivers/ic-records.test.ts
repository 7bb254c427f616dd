// drivers/ic-records.ts over hand-made journal messages: TC records judged against the chip sales
// of the batch (per settlement result and profile), their F62 card-organisation digits against the host's
// 63.1 for the original, and a resumed upload after a power cut.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { judgeFailedIcRecords, judgeResumedUpload, judgeTcRecords, settlementBalanced } from '../../drivers/ic-records';
import type { HostMessage } from '../../drivers/host-view';
import { REFERENCE_PROFILE } from '../../protocol/ttp/profile';

let id = 0;
const msg = (
  direction: 'in' | 'out',
  mti: string,
  kind: HostMessage['kind'],
  stan: string,
  fields: Record<number, string>,
  extra: Partial<HostMessage> = {},
): HostMessage => ({
  id: ++id,
  at: '',
  direction,
  terminalId: 'T1',
  mti,
  stan,
  kind,
  fields: { 11: stan, ...fields },
  responseCode: fields[39],
  hex: '',
  note: undefined,
  ...extra,
});
/** A reply's fields with 63.1 (the card organisation) when given. */
const withF63 = (fields: Record<number, string>, f63?: string): Record<number, string> => (f63 ? { ...fields, 63: f63 } : fields);
const hex = (s: string) => Buffer.from(s, 'ascii').toString('hex').toUpperCase();
const PAN = '620000******0047';

/** A chip sale, its TC record and the settlement; `f62` of the record, `f63` of the sale's reply (absent: CUP). */
function batch(
  recordCid: string,
  code: string,
  settleF48Flag: '1' | '2',
  { f62 = '610000000000008800156', f63 }: { f62?: string; f63?: string } = {},
) {
  id = 0;
  const sale = msg('in', '0200', 'sale', '000010', { 2: PAN, 4: '000000008800', 22: '051', 55: '9F26=AAAA 9F27=80 9F36=0005', 60: '22000003000' });
  const record = msg(
    'in',
    '0320',
    'batch-upload',
    '000012',
    {
      2: PAN,
      4: '000000008800',
      22: '051',
      55: `9F26=BBBB 9F27=${recordCid} 9F36=0005`,
      60: `00000003${code}50`,
      62: hex(f62),
    },
    { note: 'TC record (60.3 205) matched to sale STAN 000010' },
  );
  const f48 = `${'0'.repeat(30)}${settleF48Flag}${'0'.repeat(30)}${settleF48Flag}`;
  return [
    sale,
    msg('out', '0210', 'sale', '000010', withF63({ 39: '00' }, f63)),
    msg('in', '0500', 'settlement', '000011', { 60: '00000003201' }),
    msg('out', '0510', 'settlement', '000011', { 48: f48, 39: '00' }),
    record,
    msg('out', '0330', 'batch-upload', '000012', { 39: '00' }),
  ];
}

describe('drivers/ic-records', () => {
  test('an unbalanced batch: the TC record of the chip sale passes; with the ARQC (9F27 80) or the wrong 60.3 it fails', () => {
    const ok = batch('40', '205', '2');
    expect(settlementBalanced(ok, '000003')).to.equal(false);
    expect(judgeTcRecords(ok, '000003', false, REFERENCE_PROFILE)).to.deep.equal([]);
    expect(judgeTcRecords(batch('80', '205', '2'), '000003', false, REFERENCE_PROFILE).join()).to.match(/9F27 is 80/);
    expect(judgeTcRecords(batch('40', '203', '2'), '000003', false, REFERENCE_PROFILE).join()).to.match(
      /60\.3 is 203, after an unbalanced settlement it is 205/,
    );
    const missing = batch('40', '205', '2').slice(0, 4);
    expect(judgeTcRecords(missing, '000003', false, REFERENCE_PROFILE).join()).to.match(/no TC record \(0320 60\.3 205\)/);
  });

  test('a balanced batch: none expected under balancedUpload none, required under tc', () => {
    const none = batch('40', '203', '1').slice(0, 4);
    expect(judgeTcRecords(none, '000003', true, REFERENCE_PROFILE)).to.deep.equal([]);
    expect(judgeTcRecords(batch('40', '203', '1'), '000003', true, REFERENCE_PROFILE).join()).to.match(/balancedUpload none/);
    expect(judgeTcRecords(none, '000003', true, { ...REFERENCE_PROFILE, balancedUpload: 'tc' }).join()).to.match(/no TC record \(0320 60\.3 203\)/);
  });

  test("a TC record's F62 names the card organisation the host answered for its original (00 CUP, 01 foreign)", () => {
    expect(judgeTcRecords(batch('40', '205', '2', { f62: '610100000000008800156' }), '000003', false, REFERENCE_PROFILE).join()).to.match(
      /F62 "610100000000008800156" is not 61 \+ 00 \(a CUP card\)/,
    );
    expect(judgeTcRecords(batch('40', '205', '2', { f63: 'CUP' }), '000003', false, REFERENCE_PROFILE)).to.deep.equal([]);
    const foreign = { f62: '610100000000008800156', f63: 'VIS' };
    expect(judgeTcRecords(batch('40', '205', '2', foreign), '000003', false, REFERENCE_PROFILE)).to.deep.equal([]);
    expect(judgeTcRecords(batch('40', '205', '2', { f63: 'VIS' }), '000003', false, REFERENCE_PROFILE).join()).to.match(
      /is not 61 \+ 01 \(a foreign card\)/,
    );
  });

  test("a failed-IC record's F62: 71, the card-organisation digits of the original, 11 + amount + 156 + 10 for a card decline", () => {
    const failedBatch = (f62: string, f63?: string) => {
      id = 0;
      const sale = msg('in', '0200', 'sale', '000010', {
        2: PAN,
        4: '000000003300',
        22: '051',
        55: '9F26=AAAA 9F27=80 9F36=0007',
        60: '22000003000',
      });
      return [
        sale,
        msg('out', '0210', 'sale', '000010', withF63({ 39: '00' }, f63)),
        msg('in', '0400', 'reversal', '000010', { 2: PAN, 4: '000000003300', 39: '06' }),
        msg('out', '0410', 'reversal', '000010', { 39: '96' }),
        msg('in', '0500', 'settlement', '000011', { 60: '00000003201' }),
        msg('out', '0510', 'settlement', '000011', { 48: `${'0'.repeat(30)}2${'0'.repeat(30)}2`, 39: '00' }),
        msg(
          'in',
          '0320',
          'batch-upload',
          '000012',
          { 2: PAN, 4: '000000003300', 22: '051', 55: '9F26=AAAA 9F27=00 9F36=0007', 60: '00000003206', 62: hex(f62) },
          { note: 'failed-IC record (60.3 206) matched to sale STAN 000010' },
        ),
        msg('out', '0330', 'batch-upload', '000012', { 39: '00' }),
      ];
    };
    expect(judgeFailedIcRecords(failedBatch('71001100000000330015610'), '000003', false, REFERENCE_PROFILE)).to.deep.equal([]);
    expect(judgeFailedIcRecords(failedBatch('71011100000000330015610'), '000003', false, REFERENCE_PROFILE).join()).to.match(
      /is not 71 \+ 00 \(a CUP card\)/,
    );
    expect(judgeFailedIcRecords(failedBatch('71011100000000330015610', 'MCC'), '000003', false, REFERENCE_PROFILE)).to.deep.equal([]);
  });

  test('a resumed upload may repeat the record in flight, never an acknowledged one', () => {
    id = 0;
    const rec = (stan: string, atc: string) =>
      msg('in', '0320', 'batch-upload', stan, { 2: PAN, 4: '000000002100', 55: `9F27=40 9F36=${atc}`, 60: '00000003205' });
    const end = () => msg('in', '0320', 'batch-upload-end', '000099', { 48: '0002', 60: '00000003202' });
    const a = rec('000020', '0001');
    const b = rec('000021', '0002');
    const cut = b.id;
    expect(judgeResumedUpload([a, b, rec('000022', '0002'), end()], '000003', cut)).to.deep.equal([]);
    expect(judgeResumedUpload([a, b, rec('000022', '0001'), rec('000023', '0002'), end()], '000003', cut).join()).to.match(
      /repeats a record the host had acknowledged/,
    );
    expect(judgeResumedUpload([a, b, rec('000022', '0002')], '000003', cut).join()).to.match(/no batch upload end/);
  });
});
