/**
 * Faults as filters around the frame pipeline: each fault action (faults.ts) is one object here that
 * acts at one stage of engine.ts, so what a fault does is written once. Stages, in pipeline order:
 * decide (instead of the handler's own decision, after its checks), afterMac (on the MAC'd reply),
 * deliver (what the server does with the encoded reply).
 */
import type { IsoMessage } from '../protocol/iso8583';
import { decodeTlv, encodeTlv } from '../protocol/tlv';
import type { ActiveFault, FaultAction } from './faults';
import type { PreparedRequest } from './handlers/types';

/** What the server does with one frame. */
export interface FrameOutcome {
  reply?: Buffer;
  /** Close the connection (after writing the reply, if any). */
  close: boolean;
  /** Write the reply after this many ms (fault 'delay'). */
  delayMs: number;
  /** Why the connection is closed or the reply withheld, for the log. */
  reason?: string;
}

export interface FaultFilter {
  readonly action: FaultAction;
  /** Replaces the handler's decision (the handler's checks have passed). */
  decide?(fault: ActiveFault, work: PreparedRequest): IsoMessage;
  /** Alters the reply after its MAC was computed. */
  afterMac?(fault: ActiveFault, reply: IsoMessage): void;
  /** What becomes of the encoded reply. */
  deliver?(fault: ActiveFault, reply: Buffer): FrameOutcome;
  /** Journal note beyond `fault <action> #<id>`. */
  note?(fault: ActiveFault): string;
}

export const FAULT_FILTERS: Readonly<Record<FaultAction, FaultFilter>> = {
  'force-response-code': {
    action: 'force-response-code',
    decide: (fault, work) => work.decline(fault.responseCode!, 'forced by fault'),
  },
  // The host's own decision and booking; only an approval's 00 becomes the fault's code (a decline stays).
  'approve-with-response-code': {
    action: 'approve-with-response-code',
    decide: (fault, work) => {
      const reply = work.apply();
      if (reply.getString(39) === '00') reply.set(39, fault.responseCode!);
      return reply;
    },
    note: (f) => `approval answered with ${f.responseCode}`,
  },
  'corrupt-mac': {
    action: 'corrupt-mac',
    afterMac: (_fault, reply) => {
      const mac = reply.get(64);
      if (!Buffer.isBuffer(mac)) return; // replies without a MAC are left alone
      const wrong = Buffer.from(mac);
      wrong[0] = wrong[0] === 0x30 ? 0x31 : 0x30; // still an ASCII hex digit, but the wrong one
      reply.set(64, wrong);
    },
  },
  // The issuer authentication data (F55 tag 91 = ARPC ‖ ARC) altered before the MAC is computed: a
  // well-formed, MAC-valid approval that the chip card must refuse at its second GENERATE AC.
  'corrupt-arpc': {
    action: 'corrupt-arpc',
    decide: (_fault, work) => {
      const reply = work.apply();
      const f55 = reply.get(55);
      if (!Buffer.isBuffer(f55)) return reply; // no IC data in the reply: nothing to corrupt
      try {
        const tags = decodeTlv(f55).map((t) => {
          if (t.tag !== '91' || t.value.length === 0) return { tag: t.tag, value: t.value };
          const wrong = Buffer.from(t.value);
          wrong[0] ^= 0xff;
          return { tag: t.tag, value: wrong };
        });
        reply.set(55, encodeTlv(tags));
      } catch {
        /* undecodable F55 is left as it is */
      }
      return reply;
    },
    note: () => 'issuer authentication data (F55 tag 91) corrupted',
  },
  // The host's own decision and booking, sent back under another response MTI (0230 for a 0210, else 0210),
  // MACed as sent: a reply whose MTI is not the request's + 10 (cup8583.md §3.6, 解包消息码不符).
  'wrong-mti': {
    action: 'wrong-mti',
    decide: (_fault, work) => {
      const reply = work.apply();
      reply.mti = reply.mti === '0210' ? '0230' : '0210';
      return reply;
    },
    note: () => 'reply sent with a wrong message type',
  },
  'no-response': {
    action: 'no-response',
    deliver: () => ({ close: false, delayMs: 0, reason: 'fault no-response' }),
    note: (f) => `reply not sent (fault ${f.action})`,
  },
  close: {
    action: 'close',
    deliver: () => ({ close: true, delayMs: 0, reason: 'fault close' }),
    note: (f) => `reply not sent (fault ${f.action})`,
  },
  delay: {
    action: 'delay',
    deliver: (fault, reply) => ({ reply, close: false, delayMs: fault.delayMs }),
    note: (f) => `reply delayed ${f.delayMs} ms (fault)`,
  },
};
