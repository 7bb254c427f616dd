/**
 * Codec benchmark: packs and unpacks a realistic CUP 0200 contactless/IC sale (PIN block, field 55,
 * MAC) and prints messages per second for pack, unpack and pack + MAC (CUP ECB MAC under a single-DES
 * MAK), then runs the npm package iso_8583 on the same field values in the same process and prints the
 * ratios. Goal (issue 2): at least 3x the peer on pack and on unpack.
 *
 * Both sides start from the same field values and produce/consume bytes: ours CUP binary (BCD, binary
 * bitmap, raw F55), the peer its own ASCII encoding (it has no BCD dialect). Outputs are checked
 * before timing so the figures are for correct work.
 *   npm run bench:codec            BENCH_SECONDS=2 npm run bench:codec
 */
import { IsoMessage, packMessage, unpackMessage, applyMac, verifyMac, type FieldValue } from '../protocol/iso8583';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const PeerIso = require('iso_8583') as new (
  data?: Record<string, string>,
  formats?: Record<string, unknown>,
) => {
  validateMessage(): true | { error: string };
  getRawMessage(): Buffer | { error: string };
  getIsoJSON(buf: Buffer, config: { lenHeader: boolean }): Record<string, string> | { error: string };
};

const F55 =
  '9F2608ED1D6BA78357FB259F2701809F101307010103A00000010A0100000000003B1637329F3704591D37169F360201C09505000000' +
  '00009A031807119C01009F02060000000000015F2A02015682027C009F1A0201569F03060000000000009F3303E0E1C89F34030200009F35' +
  '01229F1E0830303030303030308408A0000003330101019F0902008C9F4104000000209F631030313035303030300000000000000000';
const MAK = Buffer.from('313215FDA2C4AB4C', 'hex');

/** The sale of samples/sale_0200_req_ic_qps_easy8583 plus a PIN (F26, F52, F53), as IsoMessage values. */
const FIELDS: Record<number, FieldValue> = {
  2: '6210810840003424940',
  3: '000000',
  4: '000000012345',
  11: '000020',
  14: '2706',
  22: '071',
  23: '001',
  25: '00',
  26: '12',
  35: '6210810840003424940=27062207001000100',
  41: '73782214',
  42: '898411341310014',
  49: '156',
  52: Buffer.from('086BDB118D7AC25E', 'hex'),
  53: '2600000000000000',
  55: Buffer.from(F55, 'hex'),
  60: '2200075700050',
  64: Buffer.from('0000000000000000', 'hex'),
};

// The peer gets the same values as text: b fields as hex, the track separator as D.
const PEER_DATA: Record<string, string> = { 0: '0200' };
for (const [n, v] of Object.entries(FIELDS)) PEER_DATA[n] = Buffer.isBuffer(v) ? v.toString('hex').toUpperCase() : v.replace('=', 'D');
// Its default table counts b fields in hex characters: F64 becomes 16 hex characters, F53 (n16 in CUP) n16.
const PEER_FORMATS = {
  53: { ContentType: 'n', Label: 'Security related control information', LenType: 'fixed', MaxLen: 16 },
  64: { ContentType: 'b', Label: 'MAC', LenType: 'fixed', MaxLen: 16 },
};

function measure(label: string, seconds: number, fn: () => unknown): number {
  const warmUntil = Date.now() + 300;
  while (Date.now() < warmUntil) for (let i = 0; i < 100; i++) fn();
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 200; i++) fn();
    n += 200;
    elapsed = process.hrtime.bigint() - start;
  }
  const rate = n / (Number(elapsed) / 1e9);
  console.log(`  ${label.padEnd(34)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} msg/s`);
  return rate;
}

function main(): void {
  const seconds = Number(process.env.BENCH_SECONDS ?? 1.5);

  // Correctness first.
  const ours = new IsoMessage('0200', FIELDS);
  applyMac(ours, MAK);
  const bytes = packMessage(ours);
  const back = unpackMessage(bytes);
  if (!verifyMac(back, MAK) || back.get(35) !== FIELDS[35]) throw new Error('poscert codec round trip failed');
  const peerRaw = new PeerIso(PEER_DATA, PEER_FORMATS).getRawMessage();
  if (!Buffer.isBuffer(peerRaw)) throw new Error(`iso_8583 cannot pack the fields: ${JSON.stringify(peerRaw)}`);
  const peerBack = new PeerIso(undefined, PEER_FORMATS).getIsoJSON(peerRaw, { lenHeader: false }) as Record<string, string>;
  if (peerBack.error || peerBack['55'] !== PEER_DATA['55'] || peerBack['35'] !== PEER_DATA['35']) {
    throw new Error(`iso_8583 round trip failed: ${JSON.stringify(peerBack).slice(0, 200)}`);
  }

  console.log(
    `CUP 0200 sale with F55 (${(FIELDS[55] as Buffer).length} B) and MAC: ${Object.keys(FIELDS).length} fields, ` +
      `${bytes.length} bytes (iso_8583: ${peerRaw.length} bytes ASCII); node ${process.version}; ${seconds}s per figure`,
  );
  console.log('poscert protocol/iso8583');
  const pack = measure('pack (new IsoMessage + pack)', seconds, () => packMessage(new IsoMessage('0200', FIELDS)));
  const unpack = measure('unpack', seconds, () => unpackMessage(bytes));
  const packMac = measure('pack + MAC (CUP ECB, DES MAK)', seconds, () => {
    const m = new IsoMessage('0200', FIELDS);
    applyMac(m, MAK);
    return packMessage(m);
  });
  console.log('npm iso_8583 (same field values)');
  const peerPack = measure('pack (new + getRawMessage)', seconds, () => new PeerIso(PEER_DATA, PEER_FORMATS).getRawMessage());
  const peerUnpack = measure('unpack (getIsoJSON)', seconds, () => new PeerIso(undefined, PEER_FORMATS).getIsoJSON(peerRaw, { lenHeader: false }));
  console.log('ratio poscert / iso_8583 (goal >= 3x)');
  console.log(`  pack   ${(pack / peerPack).toFixed(1)}x`);
  console.log(`  unpack ${(unpack / peerUnpack).toFixed(1)}x`);
  console.log(`  (pack + MAC: ${Math.round(packMac).toLocaleString('en-US')} msg/s; the peer has no MAC)`);
}

main();
