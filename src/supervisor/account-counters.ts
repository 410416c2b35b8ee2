/** What an account has done since the gateway started; shown by `status` and the live view. */
export interface AccountCounters {
  received: number;
  /** Accepted by policy and journalled, handed to the agent. */
  accepted: number;
  /** The agent finished and its replies are in the outbox. */
  dispatched: number;
  dropped: Record<string, number>;
  agentErrors: number;
  sent: number;
  sendFailed: number;
  sendUnknown: number;
  /** File sends whose reconciliation found the file more than once: left unknown for the operator. */
  sendAmbiguous: number;
  queued: number;
  garbageLines: number;
  malformed: number;
  /** Notifications and error codes from imsg this gateway does not know (each kind logged once per account). */
  unknownInput: number;
  /** Inbound messages set aside (invalid, unjournallable, failed in handling, implausible row id). */
  quarantined: number;
  spawns: number;
  /** Times reading imsg was held because too many received messages waited for their agent turns. */
  inboundHolds: number;
}

export function newCounters(): AccountCounters {
  return {
    received: 0,
    accepted: 0,
    dispatched: 0,
    dropped: {},
    agentErrors: 0,
    sent: 0,
    sendFailed: 0,
    sendUnknown: 0,
    sendAmbiguous: 0,
    queued: 0,
    garbageLines: 0,
    malformed: 0,
    unknownInput: 0,
    quarantined: 0,
    spawns: 0,
    inboundHolds: 0,
  };
}
