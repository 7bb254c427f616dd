// `poscert emulator` standalone is provisioned like a lab terminal (issue 10): without --tmk its
// terminal id's merchant id, TMK and key scheme come from the host configuration, so it can sign on.
import { describe, test } from 'node:test';
import { expect } from 'chai';
import { DEFAULT_EMULATOR_TERMINAL_ID, EmulatorProvisioningError, provisioningFromHostConfig } from '../../cli/commands/emulator';
import { loadHostConfig } from '../../host';

describe('poscert emulator provisioning from the host configuration', () => {
  test("the terminal id's merchant, name, TMK and key scheme, as scenarios/merchants.yaml has them", () => {
    const config = loadHostConfig();
    for (const id of [DEFAULT_EMULATOR_TERMINAL_ID, '10000002']) {
      const t = config.terminals.find((x) => x.terminalId === id)!;
      const p = provisioningFromHostConfig(id);
      expect(p).to.deep.include({ terminalId: id, merchantId: t.merchantId, tmk: t.tmk.reveal().toString('hex').toUpperCase() });
      expect(p.merchantName).to.equal(config.merchants.find((m) => m.merchantId === t.merchantId)?.name);
    }
    const sm4 = config.terminals.find((x) => String(x.keyScheme).toUpperCase() === 'SM4');
    if (sm4) expect(provisioningFromHostConfig(sm4.terminalId).keyScheme).to.equal('sm4');
  });

  test('an unknown terminal id says which ones exist, or to give --merchant-id and --tmk', () => {
    expect(() => provisioningFromHostConfig('99999999')).to.throw(
      EmulatorProvisioningError,
      /not in the host configuration.*10000001.*--merchant-id and --tmk/s,
    );
  });
});
