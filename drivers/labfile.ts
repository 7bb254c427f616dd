/**
 * The lab file (scenarios/lab.yaml): the terminals of a lab by name, how to reach each one, what
 * it is, and what it must declare. `poscert lab check`, `poscert certify --terminal lab:NAME` and
 * the parallel workers read it. Validation errors name the file, the entry and what is wrong.
 */
import { parseTerminalProfile, type TerminalProfile, type TerminalProfileError } from '../protocol/ttp/profile';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { parseLinkUrl } from '../links';
import { TTP_CAPABILITIES, TtpCapabilityName } from '../protocol/ttp';
import { LabFileError } from './errors';
import type { TerminalDriverOptions } from './terminal';

export const DEFAULT_LAB_FILE = path.join(__dirname, '..', 'scenarios', 'lab.yaml');

/** The lab file a run uses: POSCERT_LAB_FILE (set by `certify --lab`), else scenarios/lab.yaml. */
export function labFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.POSCERT_LAB_FILE ? path.resolve(env.POSCERT_LAB_FILE) : DEFAULT_LAB_FILE;
}

export interface HostAndPort {
  host: string;
  port: number;
}

/**
 * 'HOST:PORT' (IPv4, a name, or [IPv6]) with a fixed port 1..65535; `what` names the option or
 * field in the error. Throws LabFileError.
 */
export function parseHostAndPort(text: string, what: string): HostAndPort {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(String(text).trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new LabFileError(`${what}: ${JSON.stringify(text)} is not HOST:PORT with a fixed port 1..65535 (e.g. 0.0.0.0:8583 or 192.168.10.5:8583)`, {
      value: text,
    });
  }
  return { host: m[1] ?? m[2], port };
}

const hostAndPort = z.string().refine((v) => {
  try {
    parseHostAndPort(v, 'host');
    return true;
  } catch {
    return false;
  }
}, 'HOST:PORT with a fixed port 1..65535, e.g. 0.0.0.0:8583');

const capabilityName = z.enum(TTP_CAPABILITIES);
const binding = z.union([z.literal('ttp'), z.literal('operator'), z.object({ device: z.string().min(1) }).strict()]);

const terminalEntry = z
  .object({
    /** Link URL: serial:/dev/…, tcp://host:port (ser2net raw), rfc2217://host:port, emu: / emu:NAME. */
    link: z.string().min(1),
    /** What the lab calls this model; compared with the model the terminal reports. */
    model: z.string().min(1).optional(),
    vendor: z.string().min(1).optional(),
    description: z.string().optional(),
    /** Capabilities the terminal must declare in hello. */
    capabilities: z.array(capabilityName).default([]),
    /** How cards reach this terminal: ttp (default), operator, or {device: URL} of a card simulator. */
    card: binding.default('ttp'),
    /** How PINs are typed: ttp (default) or operator (production PED). */
    pin: z.union([z.literal('ttp'), z.literal('operator')]).default('ttp'),
    /** Terminal id (F41) this lab terminal uses at the host; parallel workers need distinct ids. */
    terminalId: z
      .string()
      .regex(/^[0-9A-Za-z]{8}$/, 'an 8-character terminal id')
      .optional(),
    /**
     * Where poscert's reference host listens while this terminal is certified, and the address the
     * terminal dials (default: the listen address). A terminal configured once with the host's
     * address (as a lab does) finds the host there on every run; without it the host takes a free
     * port per run and the terminal must accept TTP `config` of `host`.
     */
    host: z
      .object({
        listen: hostAndPort,
        address: hostAndPort.optional(),
      })
      .strict()
      .optional(),
    /** emu: entries only — emulator options for `lab check` and certify. */
    emulator: z
      .object({
        defects: z.array(z.string()).default([]),
        state: z.string().optional(),
        /** Named conformant profile of the emulator (poscert emulator --list-profiles). */
        profile: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    /**
     * The terminal's profile (protocol/ttp/profile.ts): what it does where conformant terminals
     * differ. Used when the terminal does not report one in TTP hello.
     */
    profile: z.unknown().optional(),
    timeouts: z
      .object({
        responseMs: z.number().int().positive().optional(),
        screenMs: z.number().int().positive().optional(),
        ecrMs: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const labFileSchema = z
  .object({
    version: z.literal(1).default(1),
    terminals: z.record(z.string().regex(/^[A-Za-z0-9._-]+$/, 'names use letters, digits, ".", "_" and "-"'), terminalEntry),
  })
  .strict();

export type LabTerminal = Omit<z.infer<typeof terminalEntry>, 'profile'> & {
  name: string;
  capabilities: TtpCapabilityName[];
  profile?: TerminalProfile;
};
export interface LabFile {
  file: string;
  terminals: LabTerminal[];
}

/** Reads and validates a lab file. Throws LabFileError naming the file, the entry and the problem. */
export function loadLabFile(file: string = DEFAULT_LAB_FILE): LabFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new LabFileError(
      e.code === 'ENOENT'
        ? `Lab file ${file} does not exist. Create it (see scenarios/lab.yaml in the poscert repository for the format) or pass --lab FILE.`
        : `Cannot read lab file ${file}: ${e.message}`,
      { file, errno: e.code },
    );
  }
  return parseLabFile(text, file);
}

export function parseLabFile(text: string, file = '<lab file>'): LabFile {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    throw new LabFileError(`${file}: not valid YAML: ${first.message}`, { file, line: first.linePos?.[0]?.line });
  }
  const parsed = labFileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const where =
        i.path.length === 0
          ? '(top level)'
          : i.path[0] === 'terminals' && i.path.length >= 2
            ? `terminal "${String(i.path[1])}"${i.path.length > 2 ? ` field ${i.path.slice(2).join('.')}` : ''}`
            : i.path.join('.');
      return `  ${where}: ${i.message}`;
    });
    throw new LabFileError(`${file}: ${problems.length} problem(s):\n${problems.join('\n')}`, {
      file,
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
    });
  }
  const terminals: LabTerminal[] = [];
  for (const [name, entry] of Object.entries(parsed.data.terminals)) {
    try {
      parseLinkUrl(entry.link);
    } catch (err) {
      throw new LabFileError(`${file}: terminal "${name}" field link: ${(err as Error).message}`, { file, terminal: name, link: entry.link });
    }
    if (entry.emulator && !entry.link.startsWith('emu:')) {
      throw new LabFileError(`${file}: terminal "${name}": emulator options are for emu: links only (link is ${entry.link})`, {
        file,
        terminal: name,
      });
    }
    let profile: TerminalProfile | undefined;
    if (entry.profile !== undefined) {
      try {
        profile = parseTerminalProfile(entry.profile, `${file}: terminal "${name}" field profile`);
      } catch (err) {
        throw new LabFileError((err as Error).message, { file, terminal: name, problems: (err as TerminalProfileError).problems });
      }
    }
    terminals.push({ ...entry, name, ...(profile ? { profile } : {}) } as LabTerminal);
  }
  if (terminals.length === 0) throw new LabFileError(`${file}: no terminals listed under "terminals:"`, { file });
  return { file, terminals };
}

/** The entry called `name`; the error lists the names there are. */
export function findLabTerminal(lab: LabFile, name: string): LabTerminal {
  const t = lab.terminals.find((x) => x.name === name);
  if (!t) {
    throw new LabFileError(`${lab.file} has no terminal "${name}"; it lists: ${lab.terminals.map((x) => x.name).join(', ')}`, {
      file: lab.file,
      terminal: name,
    });
  }
  return t;
}

/** The entry names of a `lab:NAME` or `lab:NAME,NAME…` terminal option (one terminal per parallel worker). */
export function labNames(spec: string): string[] {
  const names = spec
    .replace(/^lab:/, '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new LabFileError(`${spec}: name a lab file entry, e.g. lab:counter-1 (or lab:a,b for two workers)`, { terminal: spec });
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length) throw new LabFileError(`${spec}: ${twice.join(', ')} listed twice; one terminal cannot serve two workers`, { terminal: spec });
  return names;
}

/** The entry that cucumber worker `workerIndex` (0-based) drives for `lab:NAME,NAME…`: the n-th name. */
export function labEntryForWorker(lab: LabFile, spec: string, workerIndex: number): LabTerminal {
  const names = labNames(spec);
  if (workerIndex >= names.length) {
    throw new LabFileError(
      `${spec} names ${names.length} terminal(s) but worker ${workerIndex + 1} needs one; name one terminal per --parallel worker`,
      { terminal: spec, worker: workerIndex },
    );
  }
  return findLabTerminal(lab, names[workerIndex]);
}

/** Capabilities the entry expects that the terminal did not declare. */
export function missingCapabilities(entry: LabTerminal, declared: Partial<Record<string, boolean>>): TtpCapabilityName[] {
  return entry.capabilities.filter((c) => declared[c] !== true);
}

/** Driver options a lab file entry asks for: name, card and PIN bindings, timeouts. */
export function driverOptionsForLabTerminal(entry: LabTerminal, extra: TerminalDriverOptions = {}): TerminalDriverOptions {
  return {
    name: entry.name,
    card: entry.card,
    pin: entry.pin,
    ...(entry.timeouts?.responseMs ? { responseTimeoutMs: entry.timeouts.responseMs } : {}),
    ...(entry.timeouts?.screenMs ? { screenTimeoutMs: entry.timeouts.screenMs } : {}),
    ...(entry.timeouts?.ecrMs ? { ecrTimeoutMs: entry.timeouts.ecrMs } : {}),
    ...extra,
  };
}
