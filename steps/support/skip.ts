// A scenario that does not apply to this terminal (a capability or profile value it does not declare, a
// setting it does not let the lab change, a run stopped by --bail) ends skipped with its reason: the marker
// certification/results.ts reads, attached the one way every step and hook does it.
import { OUTCOME_MEDIA_TYPE, type MarkerOutcome } from '../../certification/results';

/** Attaches the skip marker with `reason`; returning the result skips the scenario (cucumber's 'skipped'). */
export function skipWith(world: { attach?: (data: string, mediaType: string) => unknown }, reason: string): 'skipped' {
  const marker: MarkerOutcome = { outcome: 'skipped', reason };
  world.attach?.(JSON.stringify(marker), OUTCOME_MEDIA_TYPE);
  return 'skipped';
}
