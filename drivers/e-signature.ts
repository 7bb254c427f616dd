/**
 * 电签 (electronic signature) as the harness does and judges it: the cardholder's signature drawn as
 * a small PNG (deterministic per cardholder label, so a report shows the same image for the same
 * case), and the judgement of what the acquirer received (cup8583.md §3.1: 0820, F25 07, 60.1 07,
 * 60.3 800; docs/host.md for poscert's layout): an upload carrying exactly the image the cardholder
 * drew, linked to the approved purchase it signs (same terminal, F61 batch + trace, F37 RRN, F4
 * amount), answered 00 by the host, and sent before the terminal's next transaction or settlement.
 * Pure: judgements over journal messages return problems, or [].
 */
import { encodeSignaturePng, signatureHash, type SignaturePoint } from '../protocol/ttp/signature';
import { batchOf, replyTo, requestsOf, type HostMessage } from './host-view';

/** Canvas of the signatures the harness draws (a terminal's signature pad is wider than tall). */
export const SIGNATURE_CANVAS = { width: 160, height: 48 } as const;

/**
 * A cardholder's signature: one looping stroke per character of the label, shaped by its code, so
 * the image is the same for the same label and differs between labels. A few hundred bytes of PNG.
 */
export function cardholderSignature(label: string): Buffer {
  const { width, height } = SIGNATURE_CANVAS;
  const chars = [...(label || 'cardholder')].slice(0, 12);
  const step = (width - 16) / chars.length;
  const strokes: SignaturePoint[][] = chars.map((c, i) => {
    const code = c.codePointAt(0) ?? 65;
    const x0 = 8 + i * step;
    const rise = 8 + (code % 23);
    const lean = ((code >> 3) % 7) - 3;
    return [
      { x: x0, y: height - 10 },
      { x: x0 + step * 0.3 + lean, y: height - 10 - rise },
      { x: x0 + step * 0.6, y: height - 14 },
      { x: x0 + step * 0.9 - lean, y: height - 12 - (rise >> 1) },
      { x: x0 + step, y: height - 10 },
    ];
  });
  // The flourish under the name.
  strokes.push([
    { x: 6, y: height - 5 },
    { x: width / 2, y: height - 3 },
    { x: width - 6, y: height - 6 },
  ]);
  return encodeSignaturePng(width, height, strokes);
}

/** The e-signature uploads after `original`, oldest first. */
export function signatureUploadsAfter(messages: readonly HostMessage[], original: HostMessage): HostMessage[] {
  return requestsOf(messages, 'e-signature').filter((m) => m.id > original.id);
}

/** The upload whose F62 (as the journal names the image) carries this SHA-256, if any. */
export function uploadOfImage(messages: readonly HostMessage[], original: HostMessage, sha256: string): HostMessage | undefined {
  return signatureUploadsAfter(messages, original).find((m) => (m.fields[62] ?? '').toUpperCase().includes(sha256.toUpperCase()));
}

const BEFORE_NEXT: ReadonlySet<string> = new Set(['0100', '0200', '0220', '0500']);

/**
 * Problems with the electronic signature of `original` (an approved purchase request) whose image
 * hashes to `sha256`: no upload of that image, the host's refusal, a link to anything but the
 * original (F61 batch + trace, F37 its RRN, F4 its amount), no MAC, or the terminal's next
 * transaction or settlement going before it.
 */
export function judgeSignatureUpload(messages: readonly HostMessage[], original: HostMessage, sha256: string): string[] {
  const problems: string[] = [];
  const originalReply = replyTo(messages, original);
  if (originalReply?.responseCode !== '00')
    problems.push(`the ${original.kind} (STAN ${original.stan}) was not approved (F39 ${originalReply?.responseCode ?? 'none'})`);
  const upload = uploadOfImage(messages, original, sha256);
  if (!upload) {
    const seen = signatureUploadsAfter(messages, original).map((m) => `STAN ${m.stan} F62 ${m.fields[62] ?? 'absent'}`);
    return [
      ...problems,
      `no e-signature upload (0820, 60.1 07, 60.3 800) carried the image the cardholder signed (sha256 ${sha256})` +
        (seen.length ? `; uploads seen: ${seen.join('; ')}` : '; the terminal uploaded no signature'),
    ];
  }
  const where = `the e-signature upload STAN ${upload.stan}`;
  if (upload.terminalId !== original.terminalId)
    problems.push(`${where} came from terminal ${upload.terminalId}, the ${original.kind} from ${original.terminalId}`);
  const ref = `${batchOf(original) ?? ''}${original.stan ?? ''}`;
  const f61 = upload.fields[61];
  if (!f61?.startsWith(ref))
    problems.push(`${where}: F61 ${f61 ?? 'absent'} does not name batch ${batchOf(original)} trace ${original.stan} of the ${original.kind}`);
  const rrn = originalReply?.fields[37];
  if (upload.fields[37] !== rrn)
    problems.push(`${where}: F37 ${upload.fields[37] ?? 'absent'} is not the RRN ${rrn ?? '-'} the host gave the ${original.kind}`);
  if (upload.fields[4] !== original.fields[4])
    problems.push(`${where}: F4 ${upload.fields[4] ?? 'absent'} is not the amount ${original.fields[4]} of the ${original.kind}`);
  if (upload.fields[64] === undefined) problems.push(`${where} carries no MAC (F64)`);
  const reply = replyTo(messages, upload);
  if (reply?.responseCode !== '00')
    problems.push(
      `the host answered ${where} with ${reply?.responseCode ?? 'nothing'}${reply?.note ? ` (${reply.note})` : upload.note ? ` (${upload.note})` : ''}`,
    );
  const next = messages.find((m) => m.direction === 'in' && m.id > original.id && m.id < upload.id && BEFORE_NEXT.has(m.mti));
  if (next) problems.push(`the terminal sent its next ${next.kind} (STAN ${next.stan}) before ${where}: the acquirer must hold the signature first`);
  return problems;
}

/** The SHA-256 the harness compares: of the image it delivered. */
export { signatureHash };
