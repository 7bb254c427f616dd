/** The real CUP messages of test/fixtures/samples (each .hex has a .md with its source and decode). */
import * as fs from 'node:fs';
import * as path from 'node:path';
export { seededRandom } from '../../../links/faults';

export const SAMPLES_DIR = path.join(__dirname, '..', '..', 'fixtures', 'samples');

export type Framing = 'length' | 'tpdu' | 'bare';

export interface Sample {
  name: string;
  bytes: Buffer;
  framing: Framing;
}

export function loadSamples(): Sample[] {
  return fs
    .readdirSync(SAMPLES_DIR)
    .filter((f) => f.endsWith('.hex'))
    .sort()
    .map((f) => {
      const bytes = Buffer.from(fs.readFileSync(path.join(SAMPLES_DIR, f), 'utf8').replace(/\s+/g, ''), 'hex');
      const md = fs.readFileSync(path.join(SAMPLES_DIR, f.replace(/\.hex$/, '.md')), 'utf8');
      // The framing is stated in each sample's .md ("2-byte binary length prefix present", "no TPDU/header").
      const framing: Framing = /length prefix present/.test(md) ? 'length' : /no TPDU\/header/.test(md) ? 'bare' : 'tpdu';
      return { name: f.replace(/\.hex$/, ''), bytes, framing };
    });
}
