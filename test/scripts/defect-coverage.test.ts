// The pure parts of npm run coverage:defects: the matrix figures, the page (every cell shown,
// n/a with its reason, not-caught loudly), and the rotating sample npm test re-runs (seeded,
// outside the reference column, only caught cells with recorded cases).
import { describe, test } from 'node:test';
import { expect } from 'chai';
import {
  daySeed,
  matrixFigures,
  renderMarkdown,
  sampleCells,
  VARIANT_CASES,
  type DefectCoverage,
  type MatrixCell,
} from '../../scripts/defect-coverage';
import { EMULATOR_PROFILES } from '../../emulator/profiles';

const caught = (ids: string[], method: MatrixCell['method'] = 'catching-cases'): MatrixCell => ({
  status: 'caught',
  caughtBy: ids,
  method,
  brokenCases: [],
  durationMs: 1,
});

function coverage(): DefectCoverage {
  const profiles = ['reference', 'three-copies', 'expiry-online'].map((name) => ({
    name,
    description: `${name} terminal`,
    cleanRunProblems: [],
    variantCases: [],
  }));
  return {
    plan: 'unionpay-pos',
    generated: '2026-12-04',
    cleanRunProblems: [],
    profiles,
    matrixRun: { command: 'npm run coverage:defects -- --jobs 2', jobs: 2, wallSeconds: 1500, finished: '2026-12-04T03:10Z' },
    defects: [
      {
        name: 'full-pan-on-voucher',
        area: 'voucher',
        description: 'full PAN | printed',
        caughtBy: ['CUP-VOU-002'],
        brokenCases: [],
        cells: { reference: caught(['CUP-VOU-002'], 'full-plan'), 'three-copies': caught(['CUP-VOU-002']), 'expiry-online': caught(['CUP-VOU-002']) },
      },
      {
        name: 'expired-card-accepted',
        area: 'risk',
        description: 'expired sent online',
        caughtBy: ['CUP-RSK-003'],
        brokenCases: [],
        cells: {
          reference: caught(['CUP-RSK-003'], 'full-plan'),
          'three-copies': caught(['CUP-RSK-003']),
          'expiry-online': {
            status: 'n/a',
            reason: 'the profile declares magstripeExpiry online',
            caughtBy: [],
            method: 'n/a-check',
            brokenCases: [],
            durationMs: 1,
          },
        },
      },
      {
        name: 'kcv-not-checked',
        area: 'onboarding',
        description: 'no KCV check',
        caughtBy: ['CUP-ONB-007'],
        brokenCases: [],
        cells: {
          reference: caught(['CUP-ONB-007'], 'full-plan'),
          'three-copies': { status: 'not-caught', caughtBy: [], method: 'full-plan', brokenCases: [], durationMs: 1 },
        },
      },
    ],
  };
}

describe('coverage:defects matrix', () => {
  test('figures count every defect × profile cell, a missing one as not run', () => {
    expect(matrixFigures(coverage())).to.deep.equal({ cells: 9, caught: 6, notApplicable: 1, notCaught: 1, disputed: 0, missing: 1 });
  });

  test('the page shows every cell: catching cases, n/a with its reason, NOT CAUGHT, not run; and how the matrix was run', () => {
    const md = renderMarkdown(coverage());
    expect(md).to.include('| `expired-card-accepted` | CUP-RSK-003 | CUP-RSK-003 (bail) | n/a: the profile declares magstripeExpiry online |');
    expect(md).to.include('| `kcv-not-checked` | CUP-ONB-007 | **NOT CAUGHT** | (not run) |');
    expect(md).to.include('full PAN \\| printed');
    expect(md).to.include('`npm run coverage:defects -- --jobs 2`, 2 job(s), 25 min');
    expect(md).to.include('9 cells (3 defects × 3 profiles): 6 caught, 1 n/a, 1 not caught, 1 not run');
    expect(md).to.include('**1 cell(s) need work:** kcv-not-checked under three-copies');
  });

  test('the sample is seeded, outside the reference column, only caught cells with cases; never more than exist', () => {
    const c = coverage();
    const a = sampleCells(c, 20426, 3);
    expect(a).to.have.length(3);
    expect(sampleCells(c, 20426, 3)).to.deep.equal(a);
    for (const cell of a) {
      expect(cell.profile).to.not.equal('reference');
      expect(c.defects.find((d) => d.name === cell.defect)!.cells![cell.profile].status).to.equal('caught');
    }
    expect(new Set(a.map((x) => `${x.defect}|${x.profile}`)).size).to.equal(3);
    expect(sampleCells(c, 1, 10)).to.have.length(3);
    const seen = new Set(Array.from({ length: 30 }, (_, s) => sampleCells(c, s, 1)[0]).map((x) => `${x.defect}|${x.profile}`));
    expect(seen.size, 'different seeds rotate through the cells').to.equal(3);
  });

  test('the day seed changes once a day (UTC)', () => {
    expect(daySeed(new Date('2026-12-04T00:00:00Z'))).to.equal(daySeed(new Date('2026-12-04T23:59:59Z')));
    expect(daySeed(new Date('2026-12-05T00:00:00Z'))).to.equal(daySeed(new Date('2026-12-04T00:00:00Z')) + 1);
  });

  test('every emulator profile but the reference names its variant cases', () => {
    for (const p of EMULATOR_PROFILES.filter((x) => x.name !== 'reference'))
      expect(VARIANT_CASES[p.name], p.name).to.be.an('array').that.is.not.empty;
  });
});
