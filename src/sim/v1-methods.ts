import type { Lane } from './lanes.js';

/**
 * imsg 0.15.10's method descriptors (RPCMethodDescriptors.swift), in descriptor order: names
 * (aliases together), lane, whether the database must be ready, whether a bridge selector is
 * required. `sim` marks the methods this simulator implements: `status.methods` lists only
 * those, so a client that gates on it never calls something the simulator lacks.
 */
export interface Descriptor {
  names: string[];
  lane: Lane;
  db: boolean;
  bridge: boolean;
  sim: boolean;
}

const d = (names: string[], lane: Lane, db: boolean, bridge: boolean, sim = false): Descriptor => ({
  names,
  lane,
  db,
  bridge,
  sim,
});

export const DESCRIPTORS: Descriptor[] = [
  d(['initialize'], 'control', false, false, true),
  d(['status'], 'read', false, false, true),
  d(['watch.unsubscribe'], 'control', false, false, true),
  d(['chats.list'], 'read', true, false, true),
  d(['messages.stats'], 'read', true, false),
  d(['messages.history'], 'read', true, false, true),
  d(['messages.search'], 'read', true, false),
  d(['messages.after'], 'read', true, false, true),
  d(['messages.scheduled'], 'read', true, false),
  d(['watch.subscribe'], 'control', true, false, true),
  d(['bridge.events.subscribe'], 'control', false, true),
  d(['message.send_status'], 'read', true, false, true),
  d(['send'], 'mutation', false, false, true),
  d(['send.tracked'], 'mutation', true, true, true),
  d(['chats.create'], 'mutation', false, true),
  d(['chats.delete'], 'mutation', false, true),
  d(['chats.markUnread'], 'mutation', false, true),
  d(['send.rich'], 'mutation', false, true),
  d(['send.attachment'], 'mutation', false, true),
  d(['send.multipart'], 'mutation', true, true),
  d(['send.sticker'], 'mutation', true, true),
  d(['poll.send', 'messages.poll.send'], 'mutation', false, true),
  d(['poll.vote', 'messages.poll.vote'], 'mutation', true, true),
  d(['poll.unvote', 'polls.unvote', 'messages.poll.unvote'], 'mutation', true, true),
  d(['tapback'], 'mutation', false, true, true),
  d(['typing'], 'mutation', false, false, true),
  d(['read'], 'mutation', false, false, true),
  d(['message.edit'], 'mutation', false, true),
  d(['message.unsend'], 'mutation', false, true),
  d(['message.delete'], 'mutation', false, true),
  d(['message.notifyAnyways'], 'mutation', false, true),
  d(['group.rename'], 'mutation', false, true),
  d(['group.setIcon'], 'mutation', false, true),
  d(['group.addParticipant'], 'mutation', false, true),
  d(['group.removeParticipant'], 'mutation', false, true),
  d(['group.leave'], 'mutation', false, true),
  d(['contacts.shouldShareContact'], 'read', false, true),
  d(['contacts.shareContactCard'], 'mutation', false, true),
  d(['handles.check'], 'read', false, true),
];

const BY_NAME = new Map<string, Descriptor>();
for (const desc of DESCRIPTORS) for (const n of desc.names) BY_NAME.set(n, desc);

export function descriptorOf(method: string): Descriptor | undefined {
  return BY_NAME.get(method);
}

/** `supported_methods`: everything a macOS 0.15.10 build compiles. */
export const SUPPORTED_METHODS: string[] = DESCRIPTORS.flatMap((x) => x.names);

/**
 * `methods`: usable right now. The bridge methods the simulator has are `send.tracked`, listed
 * while the emulated bridge runs (--tracked-bridge or --bridge) and the database is ready (section
 * 8.4), and `tapback` (--bridge only: the caller passes 'tapback' in `without` otherwise).
 */
export function usableMethods(dbReady: boolean, bridge = false, without: ReadonlySet<string> = new Set()): string[] {
  return DESCRIPTORS.filter((x) => x.sim && (bridge || !x.bridge) && (dbReady || !x.db))
    .flatMap((x) => x.names)
    .filter((n) => !without.has(n));
}

/**
 * `supported_methods` of a build without some methods (`--without typing,read`): like a Linux build,
 * they are not compiled in, so they are absent from both lists and answer -32601.
 */
export function supportedMethods(without: ReadonlySet<string> = new Set()): string[] {
  return SUPPORTED_METHODS.filter((n) => !without.has(n));
}
