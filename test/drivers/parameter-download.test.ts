// Parameter download (参数下载, cup8583.md §3.4): the merchant name the acquirer downloads must be the one the
// terminal holds afterwards, and a download goes out only when the operator or a reply (header digit 6) asks.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { IsoMessage, encodeFrame } from '../../protocol/iso8583';
import type { HostMessage } from '../../drivers/host-view';
import { processingRequirementOf } from '../../drivers/host-view';
import { merchantNameProblems, unaskedParameterDownloads } from '../../drivers/parameter-download';

let nextId = 1;
function message(direction: 'in' | 'out', kind: HostMessage['kind'], stan: string, requirement = '0'): HostMessage {
  const mti = direction === 'in' ? '0800' : '0810';
  const frame = encodeFrame({
    tpdu: direction === 'in' ? '6000030000' : '6000000003',
    header: { applicationClass: '60', specVersion: '31', terminalStatus: '0', processingRequirement: requirement, softwareVersion: '310000' },
    message: new IsoMessage(mti, { 11: stan }),
  });
  const id = nextId++;
  const hex = frame.toString('hex').toUpperCase();
  return { id, at: '', direction, terminalId: '10000001', mti, stan, kind, fields: {}, responseCode: undefined, hex, note: undefined };
}

describe('parameter download (参数下载)', () => {
  test("the merchant name held afterwards must be the acquirer's, its ANS40 padding aside", () => {
    expect(merchantNameProblems('上海测试便利店', '上海测试便利店')).to.deep.equal([]);
    expect(merchantNameProblems('上海测试便利店      ', '上海测试便利店')).to.deep.equal([]);
    expect(merchantNameProblems('POSCERT旧商户名称', '上海测试便利店')[0]).to.match(
      /still holds the merchant name "POSCERT旧商户名称", not "上海测试便利店"/,
    );
    expect(merchantNameProblems(undefined, '上海测试便利店')[0]).to.match(/holds no merchant name/);
  });

  test("a reply's header digit 6 is read from the journal's frame hex", () => {
    expect(processingRequirementOf(message('out', 'sale', '000001', '1'))).to.equal('1');
    expect(processingRequirementOf(message('out', 'sale', '000001', '6'))).to.equal('6');
    expect(processingRequirementOf({ ...message('out', 'sale', '000001'), hex: '<unreadable>' })).to.equal(undefined);
  });

  test('a download is explained by an earlier reply asking (digit 1 or 6), once per asking', () => {
    const sale = message('in', 'sale', '000001');
    const asks = message('out', 'sale', '000001', '1');
    const quiet = message('out', 'sale', '000001', '0');
    const download = (stan: string) => message('in', 'parameter-download', stan);
    expect(unaskedParameterDownloads([sale, asks, download('000002')])).to.deep.equal([]);
    expect(unaskedParameterDownloads([sale, message('out', 'sale', '000001', '6'), download('000002')])).to.deep.equal([]);
    expect(unaskedParameterDownloads([sale, quiet, download('000002')]).map((m) => m.stan)).to.deep.equal(['000002']);
    expect(unaskedParameterDownloads([sale, asks, download('000002'), quiet, download('000003')]).map((m) => m.stan)).to.deep.equal(['000003']);
    expect(unaskedParameterDownloads([sale, quiet])).to.deep.equal([]);
  });
});
