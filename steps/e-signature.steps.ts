// 电签 (electronic signature, cup8583.md §3.1 60.3 800): a case for paperless terminals that declare it in
// their profile (electronicSignature); on any other terminal its first step skips it as not applicable.
// The cardholder signs on the screen (the driver draws the signature, TTP `sign`); the acquirer must hold
// that very image, linked to the approved sale it signs. Judged by drivers/e-signature.ts.
import { expect } from 'chai';
import { skipWith } from './support/skip';
import { judgeSignatureUpload } from '../drivers/e-signature';
import { step } from './support/define';
import { scenarioSignature, signatureEvidence, waitForSignatureUpload } from './support/e-signature';

step(['the terminal declares electronic signature', '终端声明支持电子签名'], function () {
  if (this.profile.electronicSignature) return;
  const reason = 'not applicable: the terminal does not declare electronicSignature in its profile (its cardholders sign the paper voucher)';
  return skipWith(this, reason) as unknown as void;
});

step(["the cardholder signed on the terminal's screen", '持卡人在终端屏幕上签了名'], function () {
  scenarioSignature(this);
});

step(['the host holds that signature, linked to the approved {txn}', '主机收到该签名并关联到已批准的{txn}'], async function (kind) {
  const { msgs, original, signature } = await waitForSignatureUpload(this, kind);
  const problems = judgeSignatureUpload(msgs, original, signature.sha256);
  if (problems.length) expect.fail(`e-signature upload (0820, 60.1 07, 60.3 800; cup8583.md §3.1): ${problems.join('; ')}`);
});

step(['the signature is attached to the report', '签名图像附在报告中'], async function () {
  for (const a of signatureEvidence(scenarioSignature(this))) await this.attach(a.body, { mediaType: a.mediaType, fileName: a.fileName });
});
