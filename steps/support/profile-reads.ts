// Which terminal-profile values each scenario depended on (issue 12): from its first step to its
// end the driver's profile is a watching view (protocol/ttp/profile-reads.ts), so every value a step
// or the driver reads (copies, wordings, supervisor password, expiry check, upload style) is
// recorded; a case tagged @acquirer-profile (the 缴费 wire format, judged by the reference host's
// acquirer convention) depends on the acquirer profile too. After the scenario the dependence is
// attached for the certificate (certification/results.ts PROFILE_MEDIA_TYPE) and shown in Allure
// as parameters (excluded from the history id: the same case under another profile is the same test).
import { After, BeforeStep } from '@cucumber/cucumber';
import * as allure from 'allure-js-commons';
import { ACQUIRER_PROFILE_TAG, PROFILE_MEDIA_TYPE, type ScenarioDependence } from '../../certification/results';
import { dependences, isAcquirerValue, watchProfile } from '../../protocol/ttp/profile-reads';
import type { TerminalProfile } from '../../protocol/ttp/profile';
import type { PoscertWorld } from './world';

const WATCH = Symbol('profile watch');
interface Watch {
  driver: { profile: TerminalProfile | undefined };
  original: TerminalProfile;
  reads: Set<string>;
}
type Watched = PoscertWorld & { [WATCH]?: Watch };

// BeforeStep, not Before: it runs after every Before hook, once the worker's lab and its profile exist.
BeforeStep(function (this: Watched) {
  if (this[WATCH] || !this.lab) return;
  const driver = this.driver as unknown as Watch['driver'];
  const original = driver.profile;
  if (!original) return;
  const reads = new Set<string>();
  driver.profile = watchProfile(original, (key) => reads.add(key));
  this[WATCH] = { driver, original, reads };
});

After({ name: 'ALLURE_FIXTURE_IGNORE' }, async function (this: Watched, { pickle }) {
  const watch = this[WATCH];
  if (!watch) return;
  watch.driver.profile = watch.original;
  delete this[WATCH];
  const keys = new Set(watch.reads);
  const onAcquirer = pickle.tags.some((t) => t.name === ACQUIRER_PROFILE_TAG);
  if (onAcquirer) keys.add('acquirer.billPayment');
  const dependsOn = dependences(watch.original, keys);
  const acquirer = onAcquirer || dependsOn.some((d) => isAcquirerValue(d.key)) ? watch.original.acquirer.name : undefined;
  if (!dependsOn.length && !acquirer) return;
  const body: ScenarioDependence = { dependsOn, ...(acquirer ? { acquirer } : {}) };
  this.attach(JSON.stringify(body), PROFILE_MEDIA_TYPE);
  for (const d of dependsOn) await allure.parameter(`profile ${d.key}`, d.value, { excluded: true });
  if (acquirer) await allure.parameter('against acquirer profile', acquirer, { excluded: true });
});
