/**
 * The requirements `poscert ttp check` judges, one row per requirement of
 * docs/terminal-test-protocol.md that a check can observe from the harness side, with the
 * section it comes from and whether it is a MUST (mandatory: decides the exit code) or a SHOULD.
 * The checks in framing.ts, link.ts, commands.ts and observed.ts refer to these ids.
 */
export type RequirementLevel = 'MUST' | 'SHOULD';

export interface Requirement {
  id: string;
  section: string;
  level: RequirementLevel;
  group: 'framing' | 'link' | 'commands' | 'events' | 'extensions' | 'timing';
  title: string;
}

const R = (id: string, section: string, level: RequirementLevel, group: Requirement['group'], title: string): Requirement => ({
  id,
  section,
  level,
  group,
  title,
});

export const REQUIREMENTS: readonly Requirement[] = [
  // framing and resynchronisation
  R('FRAME-ACK', '§3 item 2', 'MUST', 'framing', 'a valid frame (the worked example of §2.2) is acknowledged with ACK'),
  R('FRAME-FORMAT', '§2', 'MUST', 'framing', 'frames the terminal sends have STX, LEN and ETX where §2 puts them'),
  R('FRAME-LRC', '§2, §2.2', 'MUST', 'framing', 'the LRC of every frame the terminal sends is the XOR of LEN..ETX'),
  R('FRAME-PAYLOAD', '§2.1, §5', 'MUST', 'framing', 'every payload the terminal sends is a UTF-8 JSON object shaped as a reply or an event'),
  R('FRAME-NAK-LRC', '§3 item 3', 'MUST', 'framing', 'a frame with a bad LRC is NAKed and not acted on'),
  R('FRAME-NAK-ETX', '§3 item 3, §4', 'MUST', 'framing', 'a frame without ETX where LEN says is NAKed'),
  R('FRAME-NAK-OVERSIZE', '§2.3, §4', 'MUST', 'framing', 'a LEN above the maximum payload is NAKed at once, without waiting for LEN bytes'),
  R('FRAME-NAK-CONTROL', '§4 item 2', 'SHOULD', 'framing', 'a control byte inside the payload is NAKed at once (before the frame timeout)'),
  R(
    'FRAME-NAK-INVALID',
    '§3 item 3, §5.4',
    'MUST',
    'framing',
    'an intact frame whose payload is not a TTP message (not JSON, not a request) is NAKed',
  ),
  R(
    'FRAME-TIMEOUT',
    '§4 item 4, §8',
    'MUST',
    'framing',
    "a frame that stops arriving is NAKed after the frame timeout, before the sender's ACK timeout",
  ),
  R('FRAME-RESYNC-NOISE', '§4 item 1', 'MUST', 'framing', 'line noise before STX is skipped; the frame after it is served'),
  R(
    'FRAME-RESYNC-DAMAGED',
    '§4 item 3',
    'MUST',
    'framing',
    'after a damaged frame, scanning resumes after its STX: a good frame right behind it is served',
  ),
  R('FRAME-STRAY-ANSWER', '§3 item 5', 'MUST', 'framing', 'ACK or NAK while nothing is outstanding is ignored'),
  R('FRAME-MAX-PAYLOAD', '§2.3', 'MUST', 'framing', "a payload as large as the terminal's maximum (declared maxPayload, else 16384) is accepted"),
  R('FRAME-UNKNOWN-MEMBERS', '§2.1, §9', 'MUST', 'framing', 'unknown members of a request are ignored'),
  // reliability
  R('LINK-RETRANSMIT-NAK', '§3 item 4', 'MUST', 'link', 'on NAK the terminal sends the identical frame again'),
  R('LINK-RETRANSMIT-TIMEOUT', '§3 item 4', 'MUST', 'link', 'without ACK the terminal sends the identical frame again after its ACK timeout'),
  R('LINK-RETRANSMIT-LIMIT', '§3 item 4', 'MUST', 'link', 'at most 3 retransmissions (4 transmissions), then the terminal stops sending'),
  R('LINK-STOP-AND-WAIT', '§3 item 1', 'MUST', 'link', 'no new frame while the previous one is unacknowledged'),
  R('LINK-RESUME', '§3 item 4', 'SHOULD', 'link', 'after declaring the link broken the terminal serves the next intact frame'),
  R('LINK-DUPLICATE', '§3.1', 'MUST', 'link', 'a retransmitted request (byte-identical) is ACKed again and not executed twice'),
  R(
    'LINK-SESSION',
    '§3.2 items 3-4',
    'MUST',
    'link',
    'a retransmitted hello with session is answered once; a byte-identical hello without session is always executed',
  ),
  R(
    'LINK-REOPEN',
    '§3.2 item 5',
    'MUST',
    'link',
    'a closed and reopened link starts with fresh TTP state: the last frame of the old link, sent again, is executed',
  ),
  // commands
  R(
    'CMD-HELLO',
    '§6.1',
    'MUST',
    'commands',
    'hello answers ttp, vendor, model, serialNumber, firmwareVersion and every capability of §10 as a boolean',
  ),
  R(
    'CMD-HELLO-11',
    '§6.1, §10, §11',
    'MUST',
    'commands',
    'a terminal speaking TTP 1.1 declares testMode true, powerProfile (simulated or switched) and every 1.1 capability flag as a boolean',
  ),
  R('CMD-HELLO-VERSION', '§6.1', 'MUST', 'commands', 'hello with another major version is answered unsupported-version with detail.supported'),
  R('CMD-UNKNOWN', '§5.2, §9', 'MUST', 'commands', 'unknown commands (also x- vendor commands) are answered unknown-command, never with silence'),
  R('CMD-BAD-REQUEST', '§5.4', 'MUST', 'commands', 'a known command with a missing parameter is answered bad-request with detail.field'),
  R('CMD-SCREEN', '§6.6', 'MUST', 'commands', 'screen answers lines (strings) and a state'),
  R('CMD-KEY', '§6.4', 'MUST', 'commands', 'key accepts key names and refuses an unknown name with bad-request'),
  R('CMD-KEY-DISPLAY', '§5.3, §7.1', 'MUST', 'commands', 'a key that changes the screen sends the new screen as display before the reply'),
  R('CMD-CARD', '§6.5', 'MUST', 'commands', 'card present on a declared reader is accepted'),
  R('CMD-CARD-STATE', '§6.5', 'MUST', 'commands', 'card remove with no card in the reader is answered invalid-state'),
  R(
    'CMD-CONFIG',
    '§6.7, §2.1',
    'MUST',
    'commands',
    'config reads the configuration; a vendor member it does not know changes nothing (not-supported with detail.field, or ignored)',
  ),
  R('CMD-CLOCK', '§6.8', 'MUST', 'commands', 'clock reads and sets local time YYYY-MM-DDTHH:mm:ss'),
  R('CMD-RESET', '§6.2', 'MUST', 'commands', 'reset replies once the terminal is at idle (or sign-on-required)'),
  R('CMD-ECR-PARAMS', '§6.9, §5.4', 'MUST', 'commands', 'ecr without request, or a sale without amount, is answered bad-request with detail.field'),
  R('CMD-ECR', '§6.9', 'MUST', 'commands', 'a second ecr while one runs is answered busy; the first replies when it ends (reset: cancelled)'),
  R(
    'CMD-POWER-CYCLE',
    '§6.3',
    'MUST',
    'commands',
    'power cycle replies {state: booting} before acting, boots through state events and restarts seq at 1',
  ),
  R(
    'CMD-POWER-OFF',
    '§6.3',
    'MUST',
    'commands',
    'while off only hello, screen and power work (screen: no lines, state off; others powered-off); on/cut in the wrong state are invalid-state',
  ),
  // events
  R(
    'EVT-SEQ',
    '§5.3',
    'MUST',
    'events',
    'every event carries seq, +1 per event, restarting at 1 after power-on (or on a new link after the link broke)',
  ),
  R('EVT-DISPLAY', '§7.1', 'MUST', 'events', 'display events carry lines, an array of strings'),
  R('EVT-STATE', '§7.3', 'MUST', 'events', 'states (state events and screen results) are the names of §7.3 or x- vendor names'),
  R('EVT-PRINT', '§7.2', 'MUST', 'events', 'print events carry copy, lines and reprint; none from a terminal without printer'),
  R(
    'EVT-OUTCOME',
    '§7.6, §6.9',
    'MUST',
    'events',
    'a TTP 1.1 terminal puts a valid outcome on every final screen (state result) and in every ecr result',
  ),
  R('EVT-BEEP', '§7.4', 'MUST', 'events', 'beep events carry kind key/ok/error/alert and durationMs as integer when present'),
  // extensions the terminal claims
  R(
    'EXT-CAPABILITIES',
    '§10, §6.5',
    'MUST',
    'extensions',
    'declared card readers accept their method; undeclared ones answer not-supported with detail.method',
  ),
  // timing
  R('TIME-ACK-DELAY', '§3 item 2, §8', 'SHOULD', 'timing', 'ACK within 50 ms of a frame (95th percentile)'),
  R('TIME-REPLY', '§5.2, §8', 'MUST', 'timing', 'replies within 2 s (all commands but ecr, reset and power)'),
  R('TIME-ACK-TIMEOUT', '§3 item 4, §8', 'SHOULD', 'timing', "the terminal's ACK timeout is the harness's (default 500 ms)"),
  R('TIME-BOOT', '§6.3', 'SHOULD', 'timing', 'after power on the terminal reaches idle or sign-on-required within 10 s'),
];

export function requirement(id: string): Requirement {
  const r = REQUIREMENTS.find((x) => x.id === id);
  if (!r) throw new Error(`unknown TTP requirement id ${id}`);
  return r;
}
