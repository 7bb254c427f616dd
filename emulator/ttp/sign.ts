/**
 * The emulator's TTP `sign` command (电签, TTP §6.10): the cardholder's signature drawn on the screen,
 * as a PNG. Only a terminal whose profile declares electronicSignature has the pad (else
 * not-supported), only while it shows it (state `signature`, else invalid-state); the image must be
 * a PNG that fits F62 (bad-request / payload-too-large). The reply names the image by its SHA-256.
 */
import type { TtpRequest } from '../../protocol/ttp';
import { TTP_SIGNATURE_MAX_BYTES, signatureImageInfo, signatureImageProblem } from '../../protocol/ttp/signature';
import { KEY_SETTLE_MS, type LooseTtpRequest, type TtpCommandContext } from './context';

export async function handleSignCommand(ctx: TtpCommandContext, req: TtpRequest, electronicSignature: boolean): Promise<void> {
  const r = req as LooseTtpRequest;
  if (!electronicSignature) {
    ctx.fail(req, 'not-supported', 'this terminal has no signature pad (its profile does not declare electronicSignature)', { field: 'sign' });
    return;
  }
  if (typeof r.image !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(r.image)) {
    ctx.fail(req, 'bad-request', 'image must be the signature PNG in base64', { field: 'image' });
    return;
  }
  const image = Buffer.from(r.image, 'base64');
  if (image.length > TTP_SIGNATURE_MAX_BYTES) {
    ctx.fail(req, 'payload-too-large', `the signature image is ${image.length} bytes; this terminal uploads at most ${TTP_SIGNATURE_MAX_BYTES}`, {
      field: 'image',
    });
    return;
  }
  const problem = signatureImageProblem(image);
  if (problem) {
    ctx.fail(req, 'bad-request', problem, { field: 'image' });
    return;
  }
  if (ctx.currentState !== 'signature') {
    ctx.fail(req, 'invalid-state', 'the terminal is not asking for a signature', { state: ctx.currentState });
    return;
  }
  const { sha256, bytes } = signatureImageInfo(image);
  ctx.session.inputs.push({ kind: 'signature', image });
  await ctx.session.inputs.whenSettled(KEY_SETTLE_MS);
  ctx.reply(req, { sha256, bytes });
}
