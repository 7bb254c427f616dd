// 参数下载 (cup8583.md §3.4) judged by what it changes on the terminal: the merchant name the acquirer
// downloads (id 22) replaces the one the terminal held, and the terminal does not download again and again
// when no reply asked for it (header digit 6, §1.1; drivers/parameter-download.ts).
import { expect } from 'chai';
import { UNASKED_DOWNLOADS_ALLOWED, merchantNameProblems, setMerchantNameElsewhere, unaskedParameterDownloads } from '../drivers/parameter-download';
import { observedByHarness } from './support/by-hand';
import { step } from './support/define';
import { ScenarioSetupError } from './support/errors';

step(["the terminal's merchant name is not the acquirer's", '终端的商户名称与收单机构的不同'], async function () {
  const held = (await this.driver.readConfiguration()).merchantName;
  if (await setMerchantNameElsewhere(this.driver)) this.restoreLater({ merchantName: held ?? '' });
  else this.driver.note('merchantName not settable over TTP (§6.7): the download is judged against the name the terminal holds');
});

step(['the terminal holds the merchant name the acquirer downloaded', '终端采用了收单机构下载的商户名称'], async function () {
  const { merchant, terminal } = this.terminalConfig();
  if (!merchant) throw new ScenarioSetupError(`the host configuration has no merchant ${terminal.merchantId} (scenarios/merchants.yaml)`);
  const problems = merchantNameProblems((await this.driver.readConfiguration()).merchantName, merchant.name);
  expect(problems, problems.join('; ')).to.deep.equal([]);
});

step(['the terminal downloaded parameters unasked at most once', '终端在主机未要求时至多下载一次参数'], async function () {
  const unasked = unaskedParameterDownloads(await this.messages()).map((m) => `0800 360 STAN ${m.stan}`);
  expect(unasked.length, `parameter downloads no reply asked for (header digit 6, cup8583.md §1.1): ${unasked.join(', ')}`).to.be.at.most(
    UNASKED_DOWNLOADS_ALLOWED,
  );
});

// Read off the host journal alone: the same on an operator terminal (steps/support/by-hand.ts).
observedByHarness('the terminal downloaded parameters unasked at most once');
