// Where a real terminal finds the reference host (issue 10): the lab entry's host.listen/address,
// --host-listen, a free port per run; TTP config of host where the terminal accepts it, and a clear
// error where it does not and nothing is fixed. Real in-process emulators; no mocks.
import { after, before, describe, test } from 'node:test';
import { expect } from 'chai';
import { LabFileError, TerminalHostError } from '../../drivers/errors';
import { EmulatedLab, hostAddressFor, hostPlacement, pointTerminalAtHost, startEmulatedLab } from '../../drivers/lab';
import { labEntryForWorker, labNames, parseHostAndPort, parseLabFile } from '../../drivers/labfile';
import { parseCertifyArgs } from '../../cli/commands/certify';
import { CertifyOptionError } from '../../certification/errors';

const LAB = `terminals:
  a:
    link: serial:/dev/ttyUSB0
    terminalId: '10000002'
    host: {listen: '0.0.0.0:8583', address: '192.168.10.5:8583'}
  b:
    link: tcp://rack:3003
    host: {listen: '127.0.0.1:9000'}
  c:
    link: tcp://rack:3004
`;

describe('host placement for a real terminal', () => {
  const lab = parseLabFile(LAB, 'lab.yaml');
  const entry = (n: string) => lab.terminals.find((t) => t.name === n)!;

  test('HOST:PORT with a fixed port; errors say what is expected', () => {
    expect(parseHostAndPort('0.0.0.0:8583', 'x')).to.deep.equal({ host: '0.0.0.0', port: 8583 });
    expect(parseHostAndPort('[::1]:7000', 'x')).to.deep.equal({ host: '::1', port: 7000 });
    for (const bad of ['8583', 'host:0', 'host:70000', 'a b:1', ''])
      expect(() => parseHostAndPort(bad, '--host-listen')).to.throw(LabFileError, /HOST:PORT/);
    expect(() => parseLabFile('terminals:\n  t:\n    link: tcp://h:1\n    host: {listen: nowhere}\n', 'lab.yaml')).to.throw(
      LabFileError,
      /terminal "t" field host\.listen: .*HOST:PORT/,
    );
  });

  test('the lab entry fixes the address; --host-listen wins; nothing given: a free loopback port per run', () => {
    expect(hostPlacement({ entry: entry('a') })).to.deep.include({
      bind: '0.0.0.0',
      port: 8583,
      address: '192.168.10.5:8583',
      fixed: true,
      source: 'lab entry a',
    });
    expect(hostPlacement({ entry: entry('b') })).to.deep.include({ bind: '127.0.0.1', port: 9000, address: '127.0.0.1:9000', fixed: true });
    expect(hostPlacement({ entry: entry('a'), listen: '127.0.0.1:7001' })).to.deep.include({ port: 7001, source: '--host-listen' });
    const free = hostPlacement({ entry: entry('c') });
    expect(free).to.deep.include({ bind: '127.0.0.1', port: 0, fixed: false });
    expect(hostAddressFor(free, '127.0.0.1', 41234)).to.equal('127.0.0.1:41234');
    // A wildcard listen without an address: the terminal keeps the address the lab set in it.
    expect(hostAddressFor(hostPlacement({ listen: '0.0.0.0:8583' }), '0.0.0.0', 8583)).to.equal(undefined);
  });

  test('lab:A,B gives worker n the n-th entry; a name twice or too few names is refused', () => {
    expect(labNames('lab:a,b')).to.deep.equal(['a', 'b']);
    expect(labEntryForWorker(lab, 'lab:a,b', 1).name).to.equal('b');
    expect(() => labEntryForWorker(lab, 'lab:a', 1)).to.throw(LabFileError, /worker 2/);
    expect(() => labNames('lab:a,a')).to.throw(LabFileError, /listed twice/);
  });

  test('certify options: --host-listen HOST:PORT for a real terminal, lab:A,B with as many workers', () => {
    const io = { out: () => undefined, err: () => undefined };
    expect(parseCertifyArgs(['--terminal', 'serial:/dev/ttyUSB0', '--host-listen', '0.0.0.0:8583'], io)).to.deep.include({
      hostListen: '0.0.0.0:8583',
    });
    expect(parseCertifyArgs(['--terminal', 'lab:a,b', '--parallel', '2'], io)).to.deep.include({ terminal: 'lab:a,b', parallel: 2 });
    expect(() => parseCertifyArgs(['--terminal', 'lab:a,b'], io)).to.throw(CertifyOptionError, /--parallel 2/);
    expect(() => parseCertifyArgs(['--terminal', 'serial:/dev/x', '--parallel', '2'], io)).to.throw(
      CertifyOptionError,
      /one lab terminal per worker/,
    );
    expect(() => parseCertifyArgs(['--terminal', 'serial:/dev/x', '--host-listen', '8583'], io)).to.throw(CertifyOptionError, /HOST:PORT/);
    expect(() => parseCertifyArgs(['--host-listen', '127.0.0.1:8583'], io)).to.throw(CertifyOptionError, /real terminal/);
  });
});

describe('pointing a terminal at the reference host over TTP config', () => {
  let open: EmulatedLab;
  let locked: EmulatedLab;
  before(async () => {
    open = await startEmulatedLab({ terminals: 1 });
    locked = await startEmulatedLab({ terminals: 1, emulator: { hostLocked: true } });
  });
  after(async () => {
    await open?.stop();
    await locked?.stop();
  });

  test("a terminal that accepts it is pointed at the run's host", async () => {
    const driver = open.terminals[0].driver;
    await driver.hello();
    const notes = await pointTerminalAtHost(driver, {
      placement: hostPlacement({}),
      address: '127.0.0.1:45678',
      terminalId: open.terminals[0].terminalId,
    });
    expect(notes.join('\n')).to.include('pointed at the reference host 127.0.0.1:45678');
    expect((await driver.readConfiguration()).host).to.equal('127.0.0.1:45678');
  });

  test('a terminal whose host is set in its own menu: fine with a fixed address, a TerminalHostError saying what to do without', async () => {
    const driver = locked.terminals[0].driver;
    await driver.hello();
    const before = (await driver.readConfiguration()).host;
    const fixed = hostPlacement({ listen: '127.0.0.1:45679' });
    const notes = await pointTerminalAtHost(driver, {
      placement: fixed,
      address: '127.0.0.1:45679',
      terminalId: locked.terminals[0].terminalId,
      hostResponseMs: 1500,
    });
    expect(notes.join('\n')).to.include('set in the terminal itself');
    expect((await driver.readConfiguration()).host, 'nothing changed').to.equal(before);
    const err = await pointTerminalAtHost(driver, { placement: hostPlacement({}), address: '127.0.0.1:45680' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TerminalHostError);
    expect((err as Error).message)
      .to.include('host: {listen: HOST:PORT}')
      .and.include('--host-listen');
  });
});
