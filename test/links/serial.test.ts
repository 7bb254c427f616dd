import { after, before, describe, test } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import {
  ByteLink,
  LinkBusyError,
  LinkDownError,
  LinkNotFoundError,
  LinkPermissionError,
  PtyPair,
  diagnoseSerialOpenError,
  listSerialCandidates,
  openLink,
  startPtyPair,
} from '../../links';
import { SOCAT_SKIP } from './helpers';

function readN(link: ByteLink, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let len = 0;
    const on = (b: Buffer) => {
      parts.push(b);
      len += b.length;
      if (len >= n) {
        link.off('data', on);
        resolve(Buffer.concat(parts));
      }
    };
    link.on('data', on);
  });
}

describe('serial diagnostics (no SerialPort.list(), no udevadm)', () => {
  test('listSerialCandidates reads /dev/serial/by-id and /dev/tty{USB,ACM,S}* in natural order', () => {
    const dev = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-dev-'));
    try {
      fs.mkdirSync(path.join(dev, 'serial', 'by-id'), { recursive: true });
      for (const n of ['ttyUSB10', 'ttyUSB2', 'ttyACM0', 'ttyS1', 'ttyS0', 'tty0', 'null']) fs.writeFileSync(path.join(dev, n), '');
      fs.symlinkSync(path.join(dev, 'ttyUSB2'), path.join(dev, 'serial', 'by-id', 'usb-FTDI_FT232R_A1-if00-port0'));
      expect(listSerialCandidates(dev)).to.deep.equal([
        `${dev}/serial/by-id/usb-FTDI_FT232R_A1-if00-port0 -> ${dev}/ttyUSB2`,
        `${dev}/ttyACM0`,
        `${dev}/ttyS0`,
        `${dev}/ttyS1`,
        `${dev}/ttyUSB2`,
        `${dev}/ttyUSB10`,
      ]);
    } finally {
      fs.rmSync(dev, { recursive: true, force: true });
    }
  });

  test('a missing device: LinkNotFoundError listing the candidates', async () => {
    const err = await openLink('serial:/dev/ttyUSB97').then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(LinkNotFoundError);
    expect(err.code).to.equal('link-not-found');
    expect(err.message).to.include('/dev/ttyUSB97 does not exist');
    expect(err.candidates).to.deep.equal(listSerialCandidates());
    if (err.candidates.length) expect(err.message).to.include(err.candidates[0]);
  });

  test('a dangling symbolic link (socat gone) is called out', async () => {
    const p = path.join(os.tmpdir(), `poscert-dangling-${process.pid}`);
    fs.rmSync(p, { force: true });
    fs.symlinkSync('/dev/pts/9999', p);
    try {
      const err = await openLink(`serial:${p}`).then(
        () => null,
        (e) => e,
      );
      expect(err).to.be.instanceOf(LinkNotFoundError);
      expect(err.message).to.match(/symbolic link whose target is gone/);
    } finally {
      fs.rmSync(p, { force: true });
    }
  });

  test('permission denied names the owning group and the command to join it', () => {
    // Tests run as root here, so EACCES cannot be provoked for real: classify the error that
    // serialport reports, against a real device node's ownership.
    const device = ['/dev/ttyS0', '/dev/tty', '/dev/null'].find((d) => fs.existsSync(d))!;
    const st = fs.statSync(device);
    const err = diagnoseSerialOpenError(
      `serial:${device}`,
      device,
      Object.assign(new Error(`Error: Permission denied, cannot open ${device}`), { code: 'EACCES' }),
    );
    expect(err).to.be.instanceOf(LinkPermissionError);
    const group = (err as LinkPermissionError).group;
    expect(err.context).to.deep.include({ gid: st.gid });
    if (group) expect(err.message).to.include(`usermod -aG ${group}`);
  });
});

describe('serial links on a socat PTY pair', { skip: SOCAT_SKIP }, () => {
  let pty: PtyPair;
  before(async () => {
    pty = await startPtyPair();
  });
  after(async () => {
    await pty?.stop();
  });

  test('binary bytes both ways, unaltered', async () => {
    const a = await openLink(`serial:${pty.a}`);
    const b = await openLink(`serial:${pty.b}?baud=9600`);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const atB = readN(b, 256);
    await a.write(all);
    expect((await atB).equals(all)).to.equal(true);
    const atA = readN(a, 3);
    await b.write(Buffer.from([0x0d, 0x0a, 0x11]));
    expect([...(await atA)]).to.deep.equal([0x0d, 0x0a, 0x11]);
    await a.close();
    await b.close();
    expect(a.isOpen).to.equal(false);
  });

  test('a second open of the same end: LinkBusyError (lock held)', async () => {
    const a = await openLink(`serial:${pty.a}`);
    try {
      const err = await openLink(`serial:${pty.a}`).then(
        () => null,
        (e) => e,
      );
      expect(err).to.be.instanceOf(LinkBusyError);
      expect(err.code).to.equal('link-busy');
      expect(err.message).to.match(/is in use/);
    } finally {
      await a.close();
    }
  });

  test('close() then open again works (a scenario reopens the same terminal)', async () => {
    const a = await openLink(`serial:${pty.a}`);
    await a.close();
    await a.open();
    expect(a.isOpen).to.equal(true);
    await a.close();
  });

  test('a deliberate close emits close without error; writing afterwards is a typed error', async () => {
    const a = await openLink(`serial:${pty.a}`);
    const closed = new Promise<unknown>((r) => a.on('close', r));
    await a.close();
    expect(await closed).to.equal(undefined);
    const err = await a.write(Buffer.from([1])).then(
      () => null,
      (e) => e,
    );
    expect(err.code).to.equal('link-not-open');
  });
});

describe('serial link loss', { skip: SOCAT_SKIP }, () => {
  test('socat exiting under an open port: close event with LinkDownError', async () => {
    const pty = await startPtyPair();
    const a = await openLink(`serial:${pty.a}`);
    const closed = new Promise<LinkDownError | undefined>((r) => a.on('close', r));
    await pty.stop();
    const err = await closed;
    expect(err).to.be.instanceOf(LinkDownError);
    expect(err!.message).to.match(/disappeared|closed/);
    expect(a.isOpen).to.equal(false);
  });
});
