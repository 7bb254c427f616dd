// Message conformance (CUP-MSG-001): every request this worker's terminal sent in the run, as the
// host journal holds it, judged by the catalogue's field rules and cup8583.md's cross-field rules.
import { expect } from 'chai';
import { step } from './support/define';

step(['every message the terminal sent conforms to the CUP POS dialect', '终端发出的每条报文都符合银联POS报文规范'], async function () {
  const report = this.conformance('run');
  await this.attach(this.redact(report.text), { mediaType: 'text/plain', fileName: 'message-conformance-run.txt' });
  expect(report.judged.length, `the host journal holds no request of terminal ${this.lab.terminalId}`).to.be.greaterThan(0);
  expect(report.errorLines, `error-level findings in ${report.judged.length} request(s) (warnings: ${report.warnings.length})`).to.deep.equal([]);
});
