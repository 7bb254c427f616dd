import { describe, test } from 'node:test';
import * as net from 'node:net';
import { expect } from 'chai';
import {
  COM_PORT,
  type Rfc2217Address,
  LinkNegotiationError,
  LinkTimeoutError,
  Rfc2217Link,
  TELNET,
  TelnetItem,
  TelnetParser,
  comPortSubnegotiation,
  openLink,
  parseLinkUrl,
  telnetEscape,
} from '../../links';

const { IAC, SB, SE, WILL, DO, DONT, OPT_COM_PORT, OPT_BINARY } = TELNET;

function dataOf(items: TelnetItem[]): Buffer {
  return Buffer.concat(items.filter((i): i is Extract<TelnetItem, { kind: 'data' }> => i.kind === 'data').map((i) => i.bytes));
}

describe('telnet escaping and parsing', () => {
  test('0xFF is doubled on the way out', () => {
    expect([...telnetEscape(Buffer.from([1, 0xff, 2, 0xff, 0xff]))]).to.deep.equal([1, 0xff, 0xff, 2, 0xff, 0xff, 0xff, 0xff]);
  });

  const stream = Buffer.concat([
    Buffer.from([0x02, 0xff, 0xff, 0x41]),
    Buffer.from([IAC, DO, OPT_BINARY]),
    Buffer.from([0x42]),
    comPortSubnegotiation(COM_PORT.SET_BAUDRATE + 100, Buffer.from([0x00, 0x01, 0xc2, 0xff])), // contains 0xFF: escaped
    Buffer.from([IAC, TELNET.NOP, 0x43, 0xff, 0xff]),
  ]);

  test('data, negotiations, subnegotiations (with escaped 0xFF) split at every offset', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const p = new TelnetParser();
      const items = [...p.push(stream.subarray(0, cut)), ...p.push(stream.subarray(cut))];
      expect([...dataOf(items)], `cut ${cut}`).to.deep.equal([0x02, 0xff, 0x41, 0x42, 0x43, 0xff]);
      const neg = items.filter((i) => i.kind === 'negotiation');
      expect(neg, `cut ${cut}`).to.deep.equal([{ kind: 'negotiation', verb: DO, option: OPT_BINARY }]);
      const sub = items.filter((i) => i.kind === 'subnegotiation') as Array<{ option: number; payload: Buffer }>;
      expect(sub.length).to.equal(1);
      expect(sub[0].option).to.equal(OPT_COM_PORT);
      expect([...sub[0].payload]).to.deep.equal([101, 0x00, 0x01, 0xc2, 0xff]);
    }
  });
});

/** A tiny RFC 2217 server on a real socket, to check what the client negotiates. */
function fakeServer(behaviour: 'confirm' | 'refuse' | 'silent' | 'other-baud') {
  const received: Buffer[] = [];
  const server = net.createServer((s) => {
    const parser = new TelnetParser();
    s.on('data', (b: Buffer) => {
      received.push(b);
      for (const item of parser.push(b)) {
        if (item.kind === 'negotiation' && item.verb === WILL && item.option === OPT_COM_PORT) {
          if (behaviour === 'refuse') s.write(Buffer.from([IAC, DONT, OPT_COM_PORT]));
          else if (behaviour !== 'silent') s.write(Buffer.from([IAC, DO, OPT_COM_PORT]));
        }
        if (item.kind === 'subnegotiation' && (behaviour === 'confirm' || behaviour === 'other-baud')) {
          let value = item.payload.subarray(1);
          if (behaviour === 'other-baud' && item.payload[0] === COM_PORT.SET_BAUDRATE) {
            value = Buffer.alloc(4);
            value.writeUInt32BE(9600);
          }
          s.write(comPortSubnegotiation(item.payload[0] + 100, value));
        }
        if (item.kind === 'data') s.write(telnetEscape(item.bytes)); // echo
      }
    });
  });
  return new Promise<{ port: number; received: Buffer[]; close: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        received,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
          }),
      });
    });
  });
}

describe('Rfc2217Link against a scripted telnet server', () => {
  test('sends WILL COM-PORT-OPTION and the five settings; echo of 0xFF bytes round-trips', async () => {
    const srv = await fakeServer('confirm');
    const link = (await openLink(`rfc2217://127.0.0.1:${srv.port}?baud=57600&parity=even&databits=7&stopbits=2&rtscts=true`)) as Rfc2217Link;
    const all = Buffer.concat(srv.received);
    const subs = new TelnetParser().push(all).filter((i) => i.kind === 'subnegotiation') as Array<{ payload: Buffer }>;
    const byCmd = new Map(subs.map((s) => [s.payload[0], [...s.payload.subarray(1)]]));
    expect(byCmd.get(COM_PORT.SET_BAUDRATE)).to.deep.equal([0x00, 0x00, 0xe1, 0x00]); // 57600
    expect(byCmd.get(COM_PORT.SET_DATASIZE)).to.deep.equal([7]);
    expect(byCmd.get(COM_PORT.SET_PARITY)).to.deep.equal([3]); // EVEN
    expect(byCmd.get(COM_PORT.SET_STOPSIZE)).to.deep.equal([2]);
    expect(byCmd.get(COM_PORT.SET_CONTROL)).to.deep.equal([3]); // hardware flow control
    const got = new Promise<Buffer>((r) => link.on('data', r));
    await link.write(Buffer.from([0xff, 0x02, 0xff]));
    expect([...(await got)]).to.deep.equal([0xff, 0x02, 0xff]);
    await link.close();
    await srv.close();
  });

  test('a server that refuses COM-PORT-OPTION: LinkNegotiationError pointing to tcp:// or telnet(rfc2217)', async () => {
    const srv = await fakeServer('refuse');
    const err = await openLink(`rfc2217://127.0.0.1:${srv.port}`).then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(LinkNegotiationError);
    expect(err.message).to.match(/telnet\(rfc2217\)|tcp:\/\//);
    await srv.close();
  });

  test('a raw port (no telnet at all): LinkTimeoutError suggesting tcp://', async () => {
    const srv = await fakeServer('silent');
    const err = await openLink(`rfc2217://127.0.0.1:${srv.port}`, { negotiationTimeoutMs: 150 }).then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(LinkTimeoutError);
    expect(err.message).to.match(/use tcp:\/\//);
    await srv.close();
  });

  test('a server that sets another baud rate: LinkNegotiationError with both rates', async () => {
    const srv = await fakeServer('other-baud');
    const err = await openLink(`rfc2217://127.0.0.1:${srv.port}?baud=115200`).then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(LinkNegotiationError);
    expect(err.context).to.deep.include({ setting: 'baud rate', requested: 115200, got: 9600 });
    await srv.close();
  });

  test('URL settings reach the link', () => {
    const a = parseLinkUrl('rfc2217://h:1?baud=2400');
    expect(a.kind === 'rfc2217' && (a as Rfc2217Address).settings.baudRate).to.equal(2400);
    void SB;
    void SE;
  });
});
