// 电签 steps' support: the signature the cardholder gave in this scenario (the driver remembers what it
// delivered over TTP `sign`), the wait for its upload to reach the host, and its evidence for the report
// (the PNG itself and a text naming it by size and SHA-256).
import { expect } from 'chai';
import type { HostMessage } from '../../drivers';
import { signatureUploadsAfter } from '../../drivers/e-signature';
import type { TransactionKind } from '../../protocol/iso8583';
import { signatureImageInfo } from '../../protocol/ttp/signature';
import type { PoscertWorld } from './world';

export interface GivenSignature {
  image: Buffer;
  sha256: string;
  at: number;
}

/** The last signature the cardholder gave in this scenario; fails when the terminal never asked for one. */
export function scenarioSignature(w: PoscertWorld): GivenSignature {
  const given = w.driver.signaturesGiven.filter((s) => s.at >= w.scenarioStartedAt).pop();
  expect(given, 'the terminal never showed its signature pad (TTP state `signature`): the cardholder could not sign on its screen').to.not.equal(
    undefined,
  );
  return given!;
}

/** The journal once an upload follows the last request of the kind (or the screen timeout passed), with that request. */
export async function waitForSignatureUpload(
  w: PoscertWorld,
  kind: TransactionKind,
): Promise<{ msgs: HostMessage[]; original: HostMessage; signature: GivenSignature }> {
  const signature = scenarioSignature(w);
  const deadline = Date.now() + w.lab.settings.screenTimeoutMs;
  for (;;) {
    const msgs = await w.messages();
    const original = msgs.filter((m) => m.direction === 'in' && m.kind === kind).pop();
    expect(original, `no ${kind} request reached the host in this scenario`).to.not.equal(undefined);
    if (signatureUploadsAfter(msgs, original!).length || Date.now() > deadline) return { msgs, original: original!, signature };
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The report's attachments for a signature: the image, and what identifies it. */
export function signatureEvidence(s: GivenSignature): { body: Buffer; mediaType: string; fileName: string }[] {
  const info = signatureImageInfo(s.image);
  const text = [
    'Cardholder signature given on the terminal screen (TTP sign, 电签)',
    `PNG ${info.width}x${info.height}, ${info.bytes} bytes`,
    `SHA-256 ${info.sha256}`,
    'The host journal names the uploaded image (0820 60.3 800, F62) by the same SHA-256; it keeps no image.',
  ].join('\n');
  return [
    { body: s.image, mediaType: 'image/png', fileName: 'cardholder-signature.png' },
    { body: Buffer.from(text, 'utf8'), mediaType: 'text/plain', fileName: 'cardholder-signature.txt' },
  ];
}
