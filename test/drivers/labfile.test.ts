import { test, describe } from 'node:test';
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_LAB_FILE, findLabTerminal, loadLabFile, missingCapabilities, parseLabFile } from '../../drivers/labfile';
import { LabFileError } from '../../drivers/errors';
import { openLabTerminal } from '../../drivers/lab';
import { driverOptionsForLabTerminal } from '../../drivers/labfile';

function problem(text: string): LabFileError {
  try {
    parseLabFile(text, 'lab.yaml');
  } catch (e) {
    expect(e).to.be.instanceOf(LabFileError);
    return e as LabFileError;
  }
  throw new Error('expected a LabFileError');
}

describe('lab file', () => {
  test('the shipped scenarios/lab.yaml is valid and has an emulator entry', () => {
    const lab = loadLabFile(DEFAULT_LAB_FILE);
    const emu = findLabTerminal(lab, 'emulator');
    expect(emu.link).to.match(/^emu:/);
    expect(emu.capabilities).to.include('contactless');
    for (const t of lab.terminals) expect(t.card).to.exist;
  });

  test('defaults: card and PIN through TTP, no capabilities required', () => {
    const lab = parseLabFile('terminals:\n  t1:\n    link: tcp://127.0.0.1:3001\n', 'lab.yaml');
    expect(lab.terminals[0]).to.include({ name: 't1', card: 'ttp', pin: 'ttp' });
    expect(lab.terminals[0].capabilities).to.deep.equal([]);
  });

  test('errors name the file, the entry and the field', () => {
    expect(problem('terminals:\n  t1:\n    link: tcp://h:1\n    capabilities: [nfc]\n').message).to.match(
      /lab\.yaml: .*terminal "t1" field capabilities\.0/s,
    );
    expect(problem('terminals:\n  t1:\n    link: tcp://h:1\n    colour: red\n').message).to.match(/terminal "t1".*colour/s);
    expect(problem('terminals:\n  t1:\n    link: ftp://h:1\n').message).to.match(/terminal "t1" field link: .*ftp/);
    expect(problem('terminals:\n  t1:\n    link: tcp://h:1\n    emulator: {defects: []}\n').message).to.include('emu: links only');
    expect(problem('terminals: {}\n').message).to.include('no terminals');
    expect(problem('terminals: [\n').message).to.include('not valid YAML');
  });

  test('a missing file says so and what to do', () => {
    const err = (() => {
      try {
        loadLabFile('/nonexistent/lab.yaml');
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).to.be.instanceOf(LabFileError);
    expect(err!.message).to.include('/nonexistent/lab.yaml does not exist');
  });

  test('an unknown name lists the names there are; missing capabilities are reported', () => {
    const lab = parseLabFile('terminals:\n  a:\n    link: emu:a\n    capabilities: [contactless, sm4]\n  b:\n    link: emu:b\n', 'lab.yaml');
    expect(() => findLabTerminal(lab, 'c')).to.throw(LabFileError, /lists: a, b/);
    expect(missingCapabilities(lab.terminals[0], { contactless: true, sm4: false })).to.deep.equal(['sm4']);
  });

  test('the file documents every field it accepts', () => {
    const text = fs.readFileSync(path.join(__dirname, '..', '..', 'scenarios', 'lab.yaml'), 'utf8');
    for (const field of ['link', 'capabilities', 'card', 'pin', 'terminalId', 'timeouts']) expect(text).to.include(field);
  });

  test('entry bindings and timeouts become driver options', () => {
    const lab = parseLabFile(
      'terminals:\n  ped:\n    link: rfc2217://h:4004\n    card: operator\n    pin: operator\n    timeouts: {responseMs: 7000, screenMs: 30000}\n',
      'lab.yaml',
    );
    expect(driverOptionsForLabTerminal(lab.terminals[0])).to.deep.include({
      name: 'ped',
      card: 'operator',
      pin: 'operator',
      responseTimeoutMs: 7000,
      screenTimeoutMs: 30000,
    });
  });

  test('openLabTerminal starts the built-in emulator for the shipped emu: entry', async () => {
    const opened = await openLabTerminal(findLabTerminal(loadLabFile(), 'emulator'));
    try {
      expect((await opened.driver.hello()).serialNumber).to.include('10000001');
      await opened.driver.ensureSignedOnIdle();
      expect(opened.lab?.terminals[0].terminalId).to.equal('10000001');
    } finally {
      await opened.stop();
    }
  });
});
