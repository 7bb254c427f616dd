/**
 * Issuer scripts end to end (cup8583.md §3.1, §3.8, §3.11): the reference host returns the card's
 * configured script (scenarios/cards.yaml UP-DEBIT-IC-SCRIPT) in F55 of an approved chip sale, the
 * emulated terminal's card runs it and the terminal sends the 0620 script-result notice (60.3 951,
 * DF31, MAC) that the host verifies and links to the sale; a sale the card declines after running
 * the script is reversed with DF31 in the reversal's F55. Real host, real TTP over a socat PTY.
 */
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import { cardByAlias, loadHostConfig } from '../../host';
import { checkTraffic, type TrafficMessage } from '../../protocol/iso8583';
import { EmulatorBench, runSale, testHostConfig, waitForHost, toIdle, type TtpTestClient } from './harness';

class ScriptBench extends EmulatorBench {
  override readonly config = { ...testHostConfig(), cards: [...testHostConfig().cards, cardByAlias(loadHostConfig(), 'UP-DEBIT-IC-SCRIPT')] };
}

const bench = new ScriptBench(40);

async function scriptSale(client: TtpTestClient, amountKeys: string[]): Promise<number> {
  const m = await runSale(client, { amountKeys, method: 'insert', card: bench.card('UP-DEBIT-IC-SCRIPT') });
  return m;
}

async function takeCard(client: TtpTestClient): Promise<void> {
  await client.keys('ENTER');
  await client.cmd({ cmd: 'card', action: 'remove' });
  await toIdle(client);
}

describe('issuer scripts: the 0620 script-result notice and DF31 in a reversal', () => {
  before(async () => {
    await bench.start();
  });
  after(async () => {
    await bench.close();
  });

  test('an approved chip sale carrying a 72 script: the card runs it, the 0620 (951, DF31, MAC) is linked to the sale', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId } = t;
      const m = await scriptSale(client, ['1', '2', '0', '0']);
      await client.waitScreen('交易成功', m);
      await waitForHost(bench.host, terminalId, '0620', 1);
      const [sale] = bench.host.control.journal({ terminalId, mti: '0200', direction: 'in' });
      const [reply] = bench.host.control.journal({ terminalId, mti: '0210', direction: 'out' });
      expect(reply.fields['55']).to.match(/(^| )9F18=11223344 86=841800000400000000 86=842400000400000000( |$)/);
      const [notice] = bench.host.control.journal({ terminalId, mti: '0620', direction: 'in' });
      expect(notice.fields['60']).to.match(/^00\d{6}951$/);
      expect(notice.fields['55']).to.match(/(^| )DF31=2011223344( |$)/);
      expect(notice.fields['61']).to.equal(`${sale.fields['60'].slice(2, 8)}${sale.stan}${reply.fields['13']}`);
      expect(notice.fields['37']).to.equal(reply.fields['37']);
      expect(notice.fields['64']).to.be.a('string');
      const [answer] = bench.host.control.journal({ terminalId, mti: '0630', direction: 'out' });
      expect(answer.responseCode).to.equal('00');
      expect(notice.note).to.match(
        new RegExp(`^script result linked to sale \\d+ \\(batch \\d{6} trace ${sale.stan}, .*script 11223344 performed; MAC verified$`),
      );
      // The message conformance checker accepts the notice as the catalogue describes it.
      const traffic: TrafficMessage[] = bench.host.control
        .journal({ terminalId })
        .map((e) => ({ id: e.id, direction: e.direction, mti: e.mti ?? '', fields: e.fields }));
      const judged = checkTraffic(traffic).find((j) => j.kind === 'script-result');
      expect(judged, 'the 0620 was judged').to.not.equal(undefined);
      expect(
        judged!.findings.filter((f) => f.severity === 'error'),
        JSON.stringify(judged!.findings),
      ).to.deep.equal([]);
      await takeCard(client);
    } finally {
      await bench.dispose(t);
    }
  });

  test('the card declines the approval (ARPC corrupted) after running the script: the reversal carries DF31', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId } = t;
      bench.host.control.injectFault({ match: { terminalId, mti: '0200' }, action: 'corrupt-arpc', count: 1 });
      const m = await scriptSale(client, ['3', '3', '0', '0']);
      await waitForHost(bench.host, terminalId, '0200', 1);
      await client.waitScreen(/./, m);
      await toIdle(client);
      await client.cmd({ cmd: 'card', action: 'remove' }).catch(() => undefined);
      await toIdle(client);
      expect(bench.host.control.journal({ terminalId, mti: '0620' }), 'no notice for a reversed sale').to.have.length(0);
      const next = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await waitForHost(bench.host, terminalId, '0400', 1);
      const [reversal] = bench.host.control.journal({ terminalId, mti: '0400', direction: 'in' });
      expect(reversal.fields['39']).to.equal('06');
      expect(reversal.fields['55']).to.match(/(^| )DF31=2011223344( |$)/);
      await client.waitScreen('交易成功', next);
    } finally {
      await bench.dispose(t);
    }
  });
  test('a notice the host does not answer is kept and sent again, same STAN, before the next online transaction', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId } = t;
      bench.host.control.injectFault({ match: { terminalId, mti: '0620' }, action: 'no-response', count: 1 });
      const m = await scriptSale(client, ['1', '5', '0', '0']);
      await client.waitScreen('交易成功', m);
      await takeCard(client);
      const next = await runSale(client, { amountKeys: ['1', '0', '0'], method: 'swipe', card: bench.card('MAG') });
      await client.waitScreen('交易成功', next);
      const notices = bench.host.control.journal({ terminalId, mti: '0620', direction: 'in' });
      expect(notices).to.have.length(2);
      expect(notices[1].stan).to.equal(notices[0].stan);
      expect(notices[1].note).to.match(/^script result linked to sale /);
      const requests = bench.host.control.journal({ terminalId, direction: 'in' }).map((e) => e.mti);
      expect(requests.slice(-2), 'the kept notice goes before the next request').to.deep.equal(['0620', '0200']);
    } finally {
      await bench.dispose(t);
    }
  });
  // cup8583.md sets no resend count for a 0620; the emulator gives a notice up after the reversal retry
  // count (3) and goes on trading: an acquirer that never answers notices must not stop the terminal.
  test('a notice left unanswered three times is given up and the transaction that tried it last goes on', async () => {
    const t = await bench.terminal();
    try {
      const { client, terminalId } = t;
      bench.host.control.injectFault({ match: { terminalId, mti: '0620' }, action: 'no-response', count: 3 });
      const m = await scriptSale(client, ['1', '6', '0', '0']);
      await client.waitScreen('交易成功', m);
      await takeCard(client);
      for (const amountKeys of [
        ['1', '0', '0'],
        ['2', '0', '0'],
        ['3', '0', '0'],
      ]) {
        const next = await runSale(client, { amountKeys, method: 'swipe', card: bench.card('MAG') });
        await client.waitScreen('交易成功', next);
        await toIdle(client);
      }
      const notices = bench.host.control.journal({ terminalId, mti: '0620', direction: 'in' });
      expect(notices, 'the first try, then one before each of the next two sales; none after').to.have.length(3);
    } finally {
      await bench.dispose(t);
    }
  });
});
