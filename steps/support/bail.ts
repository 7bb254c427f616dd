// --bail (poscert certify): stop at the first failed mandatory case.
//
// After a scenario, a worker whose case is one of POSCERT_BAIL_CASES (the plan's mandatory applicable
// cases) and that failed on a terminal check (the outcome its error declares: failed, not broken) writes the stop
// file named by POSCERT_STOP_FILE itself, so the next scenario never starts on a stale view (the
// certify process writes the same file when it reads the result, which covers the other workers).
// Once the file exists every scenario that has not started is skipped here, before any other hook
// talks to the terminal. Skipping rather than killing cucumber lets the run end normally: AfterAll
// stops each worker's lab and the message stream is complete. Certify lists them as not run.
import * as fs from 'node:fs';
import { After, Before, Status } from '@cucumber/cucumber';
import { classifySerialisedError } from '../../errors';
import { BAIL_CASES_ENV, BAIL_SKIP_REASON, STOP_FILE_ENV, type StopNote } from '../../certification/runner';
import { OUTCOME_MEDIA_TYPE, type MarkerOutcome } from '../../certification/results';
import { skipWith } from './skip';

const CASE_ID = /^@(CUP-[A-Z]{3}-\d{3})$/;

/** The World as this file sees it: cucumber's attach, and the outcome the step wrapper declared. */
interface BailWorld {
  attach?: (data: unknown, mediaType?: unknown) => unknown;
  [DECLARED]?: MarkerOutcome['outcome'];
}
const DECLARED = Symbol('poscert declared outcome');

Before({ name: 'bail: skip once a mandatory case has failed' }, function (this: BailWorld) {
  const file = process.env[STOP_FILE_ENV];
  if (!file) return undefined;
  // The step wrapper (allure-labels.ts) attaches the outcome the thrown error's class declares
  // (failed or broken); cucumber hands After hooks no error object, so the marker is read here.
  const attach = this.attach;
  if (typeof attach === 'function') {
    this.attach = (data: unknown, mediaType?: unknown) => {
      if (mediaType === OUTCOME_MEDIA_TYPE && typeof data === 'string') {
        try {
          this[DECLARED] ??= (JSON.parse(data) as MarkerOutcome).outcome;
        } catch {
          /* not a marker */
        }
      }
      return attach.call(this, data, mediaType);
    };
  }
  if (!fs.existsSync(file)) return undefined;
  let after = '';
  try {
    const note = JSON.parse(fs.readFileSync(file, 'utf8')) as StopNote;
    after = note.caseId ? ` (${note.caseId} failed)` : '';
  } catch {
    /* being written: the reason goes without the case id */
  }
  return skipWith(this, `${BAIL_SKIP_REASON}${after}`);
});

After({ name: 'bail: a failed mandatory case stops the run' }, function (this: BailWorld, { pickle, result, willBeRetried }) {
  const file = process.env[STOP_FILE_ENV];
  const cases = process.env[BAIL_CASES_ENV];
  if (!file || !cases || willBeRetried || result?.status !== Status.FAILED) return;
  const caseId = pickle.tags.map((t) => CASE_ID.exec(t.name)?.[1]).find(Boolean);
  const declared = this[DECLARED] ?? classifySerialisedError(result.exception?.type).outcome;
  if (!caseId || !cases.split(',').includes(caseId) || declared !== 'failed') return;
  if (fs.existsSync(file)) return;
  const note: StopNote = { caseId, title: pickle.name };
  fs.writeFileSync(file, JSON.stringify(note));
});
