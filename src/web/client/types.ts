/**
 * The shapes the gateway serves, imported from the modules that emit them (type-only: nothing of
 * the server is bundled into the browser code).
 */
export type { AccountStatus, GatewayStatus, TransitionRecord } from '../../supervisor/status.js';
export type { ApprovedAnswer, FlowAnswer, GatewayEvent, LogAnswer } from '../../supervisor/control-backend.js';
export type { DeliveryView } from '../../supervisor/delivery-service.js';
export type { PairingListEntry } from '../../policy/pairing-service.js';
export type { FlowEntry } from '../../store/flow-queries.js';
export type { LogRecord } from '../../util/log-ring.js';
export type { LaidOutEdge, LaidOutState, MachineLayout } from '../machine-layout.js';
