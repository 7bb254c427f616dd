/**
 * Network management 0800 / 0820 (cup8583.md §3.2–3.4): sign-on with working keys in F62, sign-off,
 * echo test, status upload and the 360 parameter download (the §3.5 IC parameter / CAPK downloads
 * are handed to ic-parameters.ts, the 390 blacklist and 394 contactless downloads to terminal-lists.ts, the 60.3 800
 * e-signature upload to e-signature.ts). None but the e-signature upload carries a MAC (cup8583.md §3.1);
 * the IC script-result notice 0620, which does, is script-result.ts.
 */
import { adjustKeyParity, wrapWorkingKeys } from '../../crypto';
import { encodeParameterBlock, identify, SIGN_ON_KEY_LAYOUTS, type Field60, type IsoMessage } from '../../protocol/iso8583';
import { Decline, type HostContext, type Request, type TerminalRuntime, type WorkingKeySet } from '../context';
import { prepareSignatureUpload } from './e-signature';
import { IC_DOWNLOAD_KINDS, prepareIcDownload } from './ic-parameters';
import { TERMINAL_LIST_DOWNLOAD_KINDS, prepareTerminalListDownload } from './terminal-lists';
import { prepared, type MessageHandler, type PreparedRequest } from './types';

function signOn(req: Request, ctx: HostContext, rt: TerminalRuntime, f60: Field60, out: IsoMessage): PreparedRequest {
  const { layout, sm4Only } = SIGN_ON_KEY_LAYOUTS[f60.networkCode];
  const scheme = ctx.keyScheme(rt.config);
  if (scheme === 'sm4' && layout === '001')
    throw new Decline('30', 'SM4 terminals sign on with 60.3 = 003, 004, 005 or 006 (001 means single-DES keys)');
  if (sm4Only && scheme !== 'sm4')
    throw new Decline('30', `60.3 = ${f60.networkCode} is an SM4 (国密) sign-on; terminal ${rt.config.terminalId} is configured for 3DES keys`);
  return {
    decline: (code) => out.set(39, code).set(37, ctx.nextRrn()),
    apply: () => {
      const random = (n: number) => {
        const b = ctx.opts.random(n);
        return scheme === 'sm4' ? b : adjustKeyParity(b);
      };
      const keys: WorkingKeySet = {
        pik: random(layout === '001' ? 8 : 16),
        mak: random(scheme === 'sm4' ? 16 : 8),
        ...(layout === '004' ? { tdk: random(16) } : {}),
      };
      const f62 = wrapWorkingKeys(rt.config.tmk.reveal(), keys, layout, scheme);
      const requested = f60.batchNumber;
      const batch = rt.row.sign_on_count > 0 ? rt.row.batch : requested !== '000000' ? requested : '000001';
      ctx.saveTerminal(
        rt,
        {
          ...rt.row,
          signed_on: 1,
          batch,
          key_layout: layout,
          keys_wrapped: f62,
          signed_on_at: req.now.toISOString(),
          sign_on_count: rt.row.sign_on_count + 1,
        },
        keys,
      );
      ctx.signOnRequested.delete(rt.config.terminalId);
      // 63.1 操作员代码 (cup8583.md §2.6, §3.2): who signed the terminal on, in the journal.
      const operator = req.msg.getString(63)?.slice(0, 3).trim();
      if (operator) req.note ??= `operator ${operator} (F63)`;
      out.unset(4).unset(3);
      out.set(32, ctx.config.host.acquirerId).set(37, ctx.nextRrn()).set(39, '00');
      out.set(60, '00' + batch + f60.networkCode).set(62, f62);
      return out;
    },
  };
}

export const networkManagementHandler: MessageHandler = {
  name: 'network management',
  mtis: ['0800', '0820'],
  prepare(req, ctx) {
    const rt = ctx.checkTerminal(req);
    const f60 = ctx.field60(req);
    const out = ctx.baseResponse(req);
    const kind = identify(req.msg);
    req.kind = kind;
    if (kind === 'sign-on' && f60.networkCode in SIGN_ON_KEY_LAYOUTS) return signOn(req, ctx, rt, f60, out);
    if (kind && IC_DOWNLOAD_KINDS.has(kind)) return prepareIcDownload(kind, req, ctx, rt, out);
    if (kind && TERMINAL_LIST_DOWNLOAD_KINDS.has(kind)) return prepareTerminalListDownload(kind, req, ctx, rt, out);
    if (kind === 'e-signature') return prepareSignatureUpload(req, ctx, rt, out);
    switch (kind) {
      case 'sign-off':
        return prepared(out, () => {
          ctx.saveTerminal(rt, { ...rt.row, signed_on: 0, keys_wrapped: null, key_layout: null }, undefined);
          return out.set(39, '00');
        });
      case 'echo':
      case 'status-upload':
        return prepared(out, () => out.set(39, '00'));
      case 'parameter-download':
        return prepared(out, () => {
          out.set(62, encodeParameterBlock(ctx.config.parameters, rt.merchant.name));
          ctx.saveTerminal(rt, { ...rt.row, param_version: ctx.config.parameters.version }, rt.keys);
          return out.set(39, '00');
        });
      default:
        return prepared(out, () => {
          req.note = `network management code ${f60.networkCode} not supported by the reference host`;
          return out.set(39, '40');
        });
    }
  },
};
