/**
 * The host's frame pipeline in one process: the handler table (one handler per request MTI), the
 * fault filters (each action acts at one stage), the engine running a handler's prepared work or a
 * filter's decision, and the store's rename of schema-2 kind names to the catalogue's.
 */
import { after, describe, test } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { decodeFrame, encodeFrame, formatField60, IsoMessage, requestTemplate, TRANSACTION_CATALOGUE } from '../../protocol/iso8583';
import { FAULT_ACTIONS } from '../../host';
import { HostEngine, SILENT_LOGGER } from '../../host/engine';
import { FINANCIAL_MTIS } from '../../host/context';
import { FAULT_FILTERS } from '../../host/filters';
import { FaultSet, type ActiveFault } from '../../host/faults';
import { HostControlError } from '../../host/errors';
import { handlerTable, HANDLERS, REQUEST_MTIS, type MessageHandler } from '../../host/handlers';
import { SCHEMA_VERSION, HostStore } from '../../host/store';
import { CONFIG } from './helpers';
import { REQUEST_HEADER, REQUEST_TPDU } from './terminal-client';

const TID = CONFIG.terminals[0].terminalId;
const MID = CONFIG.terminals[0].merchantId;

function fault(action: ActiveFault['action'], extra: Partial<ActiveFault> = {}): ActiveFault {
  return { id: 7, match: {}, action, remaining: 0, delayMs: 250, ...extra };
}

function echoFrame(): Buffer {
  const msg = requestTemplate('echo', '000001').set(11, '000001').set(41, TID).set(42, MID.padEnd(15, ' '));
  return encodeFrame({ tpdu: REQUEST_TPDU, header: REQUEST_HEADER, message: msg });
}

describe('host handler table', () => {
  test('every request MTI of the catalogue has exactly one handler', () => {
    const table = handlerTable();
    for (const spec of TRANSACTION_CATALOGUE) expect(table.get(spec.mti), `${spec.kind} (${spec.mti})`).to.not.equal(undefined);
    expect([...REQUEST_MTIS].sort()).to.deep.equal(['0100', '0200', '0220', '0320', '0400', '0500', '0620', '0800', '0820']);
    expect(table.get('0400')!.name).to.equal('reversal');
    expect(table.get('0200')!.name).to.equal('financial');
    expect(table.get('0210')).to.equal(undefined);
  });

  test('two handlers claiming one MTI is refused at load', () => {
    const twin: MessageHandler = { name: 'twin', mtis: ['0500'], prepare: () => new IsoMessage('0510') };
    expect(() => handlerTable([...HANDLERS, twin])).to.throw(/MTI 0500 is claimed by both the settlement and the twin handler/);
  });
});

describe('host fault filters', () => {
  test('one filter per fault action, each acting at a stage', () => {
    expect(Object.keys(FAULT_FILTERS).sort()).to.deep.equal([...FAULT_ACTIONS].sort());
    for (const [action, f] of Object.entries(FAULT_FILTERS)) {
      expect(f.action).to.equal(action);
      expect(!!(f.decide || f.afterMac || f.deliver), action).to.equal(true);
    }
  });

  test('force-response-code declines with the code and never runs the decision', () => {
    const calls: string[] = [];
    const out = FAULT_FILTERS['force-response-code'].decide!(fault('force-response-code', { responseCode: '51' }), {
      apply: () => {
        calls.push('apply');
        return new IsoMessage('0210');
      },
      decline: (code, why) => {
        calls.push(`decline ${code} ${why}`);
        return new IsoMessage('0210').set(39, code);
      },
    });
    expect(calls).to.deep.equal(['decline 51 forced by fault']);
    expect(out.getString(39)).to.equal('51');
  });

  test("approve-with-response-code keeps the host's decision and booking, and turns only an approval's 00 into the code", () => {
    const calls: string[] = [];
    const work = (f39: string) => ({
      apply: () => {
        calls.push('apply');
        return new IsoMessage('0210').set(39, f39);
      },
      decline: (code: string) => {
        calls.push(`decline ${code}`);
        return new IsoMessage('0210').set(39, code);
      },
    });
    const filter = FAULT_FILTERS['approve-with-response-code'];
    expect(filter.decide!(fault('approve-with-response-code', { responseCode: '11' }), work('00')).getString(39)).to.equal('11');
    expect(filter.decide!(fault('approve-with-response-code', { responseCode: 'A2' }), work('51')).getString(39)).to.equal('51');
    expect(calls).to.deep.equal(['apply', 'apply']);
  });

  test('approve-with-response-code takes only the approvals of §7 other than 00 and 10', () => {
    const faults = new FaultSet();
    expect(() => faults.add({ action: 'approve-with-response-code', responseCode: '00' })).to.throw(HostControlError, /11, A2, A4, A5, A6/);
    expect(() => faults.add({ action: 'approve-with-response-code', responseCode: '51' })).to.throw(HostControlError, /approvals/);
    expect(() => faults.add({ action: 'approve-with-response-code' })).to.throw(HostControlError, /responseCode/);
    expect(faults.add({ action: 'approve-with-response-code', responseCode: 'A6' }).responseCode).to.equal('A6');
  });

  test("wrong-mti keeps the host's decision and booking and sends it under another response MTI", () => {
    const calls: string[] = [];
    const work = (mti: string) => ({
      apply: () => {
        calls.push('apply');
        return new IsoMessage(mti).set(39, '00');
      },
      decline: (code: string) => {
        calls.push(`decline ${code}`);
        return new IsoMessage(mti).set(39, code);
      },
    });
    const filter = FAULT_FILTERS['wrong-mti'];
    const sale = filter.decide!(fault('wrong-mti'), work('0210'));
    expect(sale.mti).to.equal('0230');
    expect(sale.getString(39)).to.equal('00');
    expect(filter.decide!(fault('wrong-mti'), work('0110')).mti).to.equal('0210');
    expect(calls).to.deep.equal(['apply', 'apply']);
  });

  test('corrupt-mac flips the first MAC byte to another hex digit; a reply without MAC is left alone', () => {
    const reply = new IsoMessage('0210').set(64, Buffer.from('0123ABCD', 'ascii'));
    FAULT_FILTERS['corrupt-mac'].afterMac!(fault('corrupt-mac'), reply);
    expect((reply.get(64) as Buffer).toString('ascii')).to.equal('1123ABCD');
    const plain = new IsoMessage('0830').set(39, '00');
    FAULT_FILTERS['corrupt-mac'].afterMac!(fault('corrupt-mac'), plain);
    expect(plain.has(64)).to.equal(false);
  });

  test('no-response, close and delay decide what becomes of the encoded reply', () => {
    const bytes = Buffer.from('reply');
    expect(FAULT_FILTERS['no-response'].deliver!(fault('no-response'), bytes)).to.deep.equal({
      close: false,
      delayMs: 0,
      reason: 'fault no-response',
    });
    expect(FAULT_FILTERS.close.deliver!(fault('close'), bytes)).to.deep.equal({ close: true, delayMs: 0, reason: 'fault close' });
    expect(FAULT_FILTERS.delay.deliver!(fault('delay'), bytes)).to.deep.equal({ reply: bytes, close: false, delayMs: 250 });
    expect(FAULT_FILTERS.delay.note!(fault('delay'))).to.equal('reply delayed 250 ms (fault)');
  });
});

describe('host engine pipeline', () => {
  const stores: HostStore[] = [];
  after(() => {
    for (const s of stores) s.close();
  });

  function engineWith(handlers: readonly MessageHandler[] | undefined, faults = new FaultSet()) {
    const store = new HostStore(':memory:');
    stores.push(store);
    const engine = new HostEngine(
      CONFIG,
      store,
      {
        clock: () => new Date('2026-12-01T04:00:00Z'),
        random: (n) => Buffer.alloc(n, 0x11),
        logger: SILENT_LOGGER,
        faults,
      },
      handlers,
    );
    return { engine, store, faults };
  }

  /** A 0820 handler that says which of its two ways ran. */
  const probe: MessageHandler = {
    name: 'probe',
    mtis: ['0820'],
    prepare: (req, ctx) => {
      const out = ctx.baseResponse(req);
      return { apply: () => out.set(39, '00').set(48, '1111'), decline: (code) => out.set(39, code).set(48, '2222') };
    },
  };

  test('the handler registered for the MTI answers; its prepared work runs', () => {
    const { engine, store } = engineWith([probe]);
    const outcome = engine.handleFrame(echoFrame(), 'test');
    const reply = decodeFrame(outcome.reply!).message;
    expect(reply.mti).to.equal('0830');
    expect(reply.getString(39)).to.equal('00');
    expect(reply.getString(48)).to.equal('1111');
    expect(store.db.prepare('SELECT COUNT(*) FROM journal').pluck().get()).to.equal(1);
  });

  test("a force-response-code fault runs the handler's decline instead, and the journal says so", () => {
    const faults = new FaultSet();
    faults.add({ action: 'force-response-code', responseCode: '96' });
    const { engine, store } = engineWith([probe], faults);
    const reply = decodeFrame(engine.handleFrame(echoFrame(), 'test').reply!).message;
    expect(reply.getString(39)).to.equal('96');
    expect(reply.getString(48)).to.equal('2222');
    expect(store.db.prepare('SELECT note FROM journal').pluck().get()).to.match(/^fault force-response-code #1/);
  });

  test('an MTI without a handler is answered 30', () => {
    const { engine } = engineWith([probe]);
    const msg = requestTemplate('settlement', '000001')
      .set(11, '000002')
      .set(41, TID)
      .set(42, MID.padEnd(15, ' '))
      .set(48, '0'.repeat(62))
      .set(49, '156');
    const reply = decodeFrame(engine.handleFrame(encodeFrame({ tpdu: REQUEST_TPDU, header: REQUEST_HEADER, message: msg }), 'test').reply!).message;
    expect(reply.mti).to.equal('0510');
    expect(reply.getString(39)).to.equal('30');
  });

  test('the real table: an echo is approved, an unknown 60.3 is 40, a close fault withholds the reply', () => {
    const faults = new FaultSet();
    const { engine } = engineWith(undefined, faults);
    expect(decodeFrame(engine.handleFrame(echoFrame(), 'test').reply!).message.getString(39)).to.equal('00');
    const odd = requestTemplate('echo', '000001')
      .set(11, '000003')
      .set(41, TID)
      .set(42, MID.padEnd(15, ' '))
      .set(60, formatField60({ transactionType: '00', batchNumber: '000001', networkCode: '999' }));
    const frame = encodeFrame({ tpdu: REQUEST_TPDU, header: REQUEST_HEADER, message: odd });
    expect(decodeFrame(engine.handleFrame(frame, 'test').reply!).message.getString(39)).to.equal('40');
    faults.add({ action: 'close' });
    expect(engine.handleFrame(echoFrame(), 'test')).to.deep.equal({ close: true, delayMs: 0, reason: 'fault close' });
  });
});

describe("force-response-code in every family, after the family's checks", () => {
  const stores: HostStore[] = [];
  after(() => {
    for (const s of stores) s.close();
  });
  const frame = (msg: IsoMessage) => encodeFrame({ tpdu: REQUEST_TPDU, header: REQUEST_HEADER, message: msg });
  function forced(code: string) {
    const faults = new FaultSet();
    faults.add({ action: 'force-response-code', responseCode: code });
    const store = new HostStore(':memory:');
    stores.push(store);
    const engine = new HostEngine(CONFIG, store, {
      clock: () => new Date('2026-12-01T04:00:00Z'),
      random: (n) => Buffer.alloc(n, 0x11),
      logger: SILENT_LOGGER,
      faults,
    });
    return { engine, store, faults };
  }

  test('sign-on: the code with an RRN, no working keys issued', () => {
    const { engine, store } = forced('96');
    const msg = requestTemplate('sign-on', '000001').set(11, '000001').set(41, TID).set(42, MID.padEnd(15, ' ')).set(63, '01 ');
    const reply = decodeFrame(engine.handleFrame(frame(msg), 'test').reply!).message;
    expect(reply.getString(39)).to.equal('96');
    expect(reply.getString(37)).to.match(/^\d{12}$/);
    expect(reply.has(62)).to.equal(false);
    expect(store.terminal(TID)?.signed_on ?? 0).to.equal(0);
  });

  test('settlement: the code, no settlement recorded; a check that fails first still answers its own code', () => {
    const { engine, store, faults } = forced('96');
    const msg = requestTemplate('settlement', '000001')
      .set(11, '000002')
      .set(41, TID)
      .set(42, MID.padEnd(15, ' '))
      .set(48, '0'.repeat(62))
      .set(49, '156');
    expect(decodeFrame(engine.handleFrame(frame(msg), 'test').reply!).message.getString(39)).to.equal('96');
    expect(store.db.prepare('SELECT COUNT(*) FROM settlements').pluck().get()).to.equal(0);
    faults.add({ action: 'force-response-code', responseCode: '96' });
    const stranger = requestTemplate('settlement', '000001')
      .set(11, '000003')
      .set(41, 'NOSUCH01')
      .set(42, MID.padEnd(15, ' '))
      .set(48, '0'.repeat(62));
    expect(decodeFrame(engine.handleFrame(frame(stranger), 'test').reply!).message.getString(39), 'unknown terminal').to.equal('97');
  });
});

describe('host store: schema 2 kind names', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poscert-store-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("a schema-2 database is opened with its kinds renamed to the catalogue's", () => {
    const file = path.join(dir, 'v2.db');
    const first = new HostStore(file);
    const row = {
      terminal_id: TID,
      merchant_id: MID,
      batch: '000001',
      mti: '0200',
      processing_code: '000000',
      card_alias: null,
      pan_masked: null,
      amount: 100,
      response_code: '00',
      auth_code: null,
      rrn: null,
      at: '2026-12-01T00:00:00Z',
      approved: 1,
      original_id: null,
      hold: 0,
      payee_name: null,
      payee_account: null,
      payee_reference: null,
      entry_mode: null,
      card_org: 'CUP',
    };
    first.insertTransaction({ ...row, stan: '000001', kind: 'sale' });
    first.insertTransaction({ ...row, stan: '000002', kind: 'preauth-completion' });
    first.insertTransaction({ ...row, stan: '000003', kind: 'preauth-completion-void' });
    first.insertTransaction({ ...row, stan: '000004', kind: 'preauth-completion-advice' });
    first.close();
    const raw = new Database(file);
    raw.prepare("UPDATE transactions SET kind = substr(kind, 9) WHERE kind LIKE 'preauth-completion%'").run();
    raw.prepare("UPDATE meta SET value = '2' WHERE key = 'schema_version'").run();
    expect(raw.prepare('SELECT kind FROM transactions ORDER BY stan').pluck().all()).to.deep.equal([
      'sale',
      'completion',
      'completion-void',
      'completion-advice',
    ]);
    raw.close();

    const reopened = new HostStore(file);
    try {
      expect(reopened.db.prepare('SELECT kind FROM transactions ORDER BY stan').pluck().all()).to.deep.equal([
        'sale',
        'preauth-completion',
        'preauth-completion-void',
        'preauth-completion-advice',
      ]);
      expect(reopened.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).to.equal(String(SCHEMA_VERSION));
      // Settlement sides: sale and both completions are debits, the completion void a credit.
      expect(reopened.batchTotals(TID, '000001', 'domestic')).to.deep.equal({
        debitAmount: 300,
        debitCount: 3,
        creditAmount: 100,
        creditCount: 1,
      });
    } finally {
      reopened.close();
    }
  });
});

describe('host: financial MTIs come from the catalogue', () => {
  test('replies of 0100 / 0200 / 0220 / 0400 echo card fields and carry the MAC', () => {
    expect([...FINANCIAL_MTIS].sort()).to.deep.equal(['0100', '0200', '0220', '0400']);
  });
});
