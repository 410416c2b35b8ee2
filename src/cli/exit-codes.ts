/**
 * Exit codes of `imessage-gateway start` that a supervisor (launchd, systemd, a script) can act on.
 * They follow sysexits.h where one fits. docs/operations.md lists them.
 */

/** Another gateway holds this home's lock (EX_UNAVAILABLE): this start did nothing. */
export const EXIT_GATEWAY_LOCKED = 69;

/**
 * The home has held a state store, and it is now missing or empty (EX_CONFIG): refused until the
 * operator puts it back or passes `--reset-state`.
 */
export const EXIT_STATE_STORE_MISSING = 78;
