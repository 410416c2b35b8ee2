/**
 * The imsg-sim profiles the end-to-end suites run against, as a matrix (issue 12: "the end-to-end
 * suites run against both profiles"). A suite writes
 * `describe.each(SIM_PROFILES)('imsg-sim %s', (profile) => …)` and starts its gateways with
 * `startGateway(config, home, { simProfile: profile })`: the gateway process gets
 * IMSG_SIM_PROFILE, and every imsg-sim child it spawns (directly or through a simWrapper script,
 * which exports only its fault switches) inherits it. GatewayProcess.waitForState(…, 'streaming')
 * then checks that the child negotiated the protocol of that profile, so a profile that did not
 * reach a child fails the test instead of silently testing the default.
 */
import type { Profile } from '../../src/sim/profile.js';

export type SimProfile = Profile;

export const SIM_PROFILES: readonly SimProfile[] = ['0.9', '0.15'];

/** What the gateway negotiates with each profile: 0.9 answers initialize with -32601. */
export const PROTOCOL_OF: Readonly<Record<SimProfile, 'legacy' | 'v1'>> = { '0.9': 'legacy', '0.15': 'v1' };
