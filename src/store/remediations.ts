/**
 * The fix of each store error (its `remediation`), in one place: what the operator reads under the error.
 * The corrupt/newer-schema remediations name the WAL companions too: moving state.db alone would let
 * SQLite discard (or, worse, replay) a stale state.db-wal next to the fresh file.
 */
import type { StoreErrorKind } from './errors.js';

export function moveAsideCommand(path: string): string {
  return (
    `mv ${path} ${path}.broken; mv ${path}-wal ${path}.broken-wal; mv ${path}-shm ${path}.broken-shm ` +
    `(for those that exist)`
  );
}

export function remediationFor(kind: StoreErrorKind, path: string): string {
  switch (kind) {
    case 'corrupt':
      return (
        `move ${path} aside (${moveAsideCommand(path)}) and restart with \`imessage-gateway start --reset-state\`: ` +
        `the gateway starts a fresh state database (pairings, cursors and the outbox start empty); ` +
        `it never recreates one over your data by itself. The old file can be inspected or salvaged with ` +
        `\`sqlite3 ${path}.broken .recover\`.`
      );
    case 'unreadable':
      return (
        `make ${path} and its folder readable and writable by the user running the gateway ` +
        `(ls -l ${path}; chown that user and chmod 600 the file, 700 the folder), then restart; ` +
        `the gateway never replaces a database it cannot read.`
      );
    case 'newer-schema':
      return (
        `upgrade imessage-gateway to the version that wrote ${path} (or newer); to start over with this ` +
        `version instead, move it aside (${moveAsideCommand(path)}) and restart.`
      );
    case 'locked':
      return (
        `another process holds a lock on ${path} (a second gateway on the same home, or a sqlite3 shell left open); ` +
        `the gateway waits and retries; stop the other process if this persists.`
      );
    case 'disk-full':
      return `free space on the volume that holds ${path}; the gateway waits and retries on its own.`;
    case 'vanished':
      return (
        `nothing is recorded any more (the cursor does not advance, so imsg sends those messages again later). ` +
        `Stop the gateway. If the file can be put back (from a backup, or moved back with its -wal and -shm), ` +
        `put it at ${path} and start; otherwise \`imessage-gateway start --reset-state\` begins a fresh state ` +
        `database, and the approved senders, pending pairings, cursors and queued replies of the old one are lost.`
      );
    case 'io':
      return (
        `the operating system reported an I/O error for ${path}: check the disk and filesystem ` +
        `(Disk Utility First Aid, dmesg/Console), then restart; if it persists, move the file aside ` +
        `(${moveAsideCommand(path)}).`
      );
  }
}
