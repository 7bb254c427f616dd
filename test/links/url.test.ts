import { describe, test } from 'node:test';
import { expect } from 'chai';
import { LinkUrlError, openLink, parseLinkUrl, type SerialAddress } from '../../links';

describe('parseLinkUrl', () => {
  test('serial with every parameter', () => {
    expect(parseLinkUrl('serial:/dev/ttyUSB0?baud=9600&parity=even&databits=7&stopbits=2&rtscts=true')).to.deep.equal({
      kind: 'serial',
      url: 'serial:/dev/ttyUSB0?baud=9600&parity=even&databits=7&stopbits=2&rtscts=true',
      path: '/dev/ttyUSB0',
      settings: { baudRate: 9600, parity: 'even', dataBits: 7, stopBits: 2, rtscts: true },
    });
  });

  test('serial defaults to 115200 8N1 without flow control; by-id paths work', () => {
    const a = parseLinkUrl('serial:/dev/serial/by-id/usb-FTDI_FT232R_A1B2-if00-port0');
    expect(a).to.deep.include({ kind: 'serial', path: '/dev/serial/by-id/usb-FTDI_FT232R_A1B2-if00-port0' });
    expect((a as SerialAddress).settings).to.deep.equal({ baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1, rtscts: false });
  });

  test('tcp, rfc2217 (and telnet alias), emu, tcp-listen', () => {
    expect(parseLinkUrl('tcp://rack3.lab:3001')).to.deep.equal({ kind: 'tcp', url: 'tcp://rack3.lab:3001', host: 'rack3.lab', port: 3001 });
    expect(parseLinkUrl('rfc2217://10.0.0.5:4001?baud=19200')).to.deep.include({ kind: 'rfc2217', host: '10.0.0.5', port: 4001 });
    expect(parseLinkUrl('telnet://[::1]:4001')).to.deep.include({ kind: 'rfc2217', host: '::1', port: 4001 });
    expect(parseLinkUrl('emu:')).to.deep.include({ kind: 'emu', name: 'default' });
    expect(parseLinkUrl('emu:worker-2')).to.deep.include({ kind: 'emu', name: 'worker-2' });
    expect(parseLinkUrl('tcp-listen:7000')).to.deep.include({ kind: 'tcp-listen', host: '127.0.0.1', port: 7000 });
    expect(parseLinkUrl('tcp-listen:0.0.0.0:7000')).to.deep.include({ kind: 'tcp-listen', host: '0.0.0.0', port: 7000 });
  });

  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['com3', /unknown link scheme/],
    ['usb:/dev/ttyUSB0', /unknown link scheme 'usb'/],
    ['serial:ttyUSB0', /must be absolute/],
    ['serial:/dev/ttyUSB0?baud=fast', /baud must be an integer/],
    ['serial:/dev/ttyUSB0?parity=n', /parity must be none, even, odd/],
    ['serial:/dev/ttyUSB0?databits=9', /databits must be 5, 6, 7 or 8/],
    ['serial:/dev/ttyUSB0?stopbits=3', /stopbits must be 1, 1.5 or 2/],
    ['serial:/dev/ttyUSB0?speed=9600', /unknown parameter 'speed'/],
    ['tcp://host', /expected HOST:PORT/],
    ['tcp:host:3001', /expected '\/\/'/],
    ['tcp://host:70000', /port must be 1..65535/],
    ['tcp://host:0', /port must be 1..65535/],
    ['tcp://host:3001?baud=9600', /takes no parameters/],
    ['emu:bad name', /emu: endpoint name/],
  ];
  for (const [url, why] of bad) {
    test(`rejects '${url}' with a LinkUrlError that says why`, () => {
      expect(() => parseLinkUrl(url)).to.throw(LinkUrlError, why);
      try {
        parseLinkUrl(url);
      } catch (e) {
        expect((e as LinkUrlError).code).to.equal('link-url-invalid');
      }
    });
  }

  test('openLink refuses tcp-listen (terminal side only)', async () => {
    const err = await openLink('tcp-listen:7000').then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(LinkUrlError);
    expect(err.message).to.match(/terminal side/);
  });
});
