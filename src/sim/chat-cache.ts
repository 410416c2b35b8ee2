import type { ChatRow, ReadStore } from './queries.js';

export interface ChatInfo {
  id: number;
  identifier: string;
  guid: string;
  name: string;
  service: string;
}

/**
 * imsg's ChatCache: chat info and participants per chat id, kept for the life of the process and
 * never invalidated. Info is cached only when found; participants are cached even when empty.
 */
export class ChatCache {
  private readonly infos = new Map<number, ChatInfo>();
  private readonly parts = new Map<number, string[]>();

  constructor(private readonly store: ReadStore) {}

  info(chatId: number): ChatInfo | undefined {
    const hit = this.infos.get(chatId);
    if (hit) return hit;
    const row: ChatRow | undefined = this.store.chatInfo(chatId);
    if (!row) return undefined;
    const info: ChatInfo = {
      id: row.id,
      identifier: row.identifier ?? '',
      guid: row.guid ?? '',
      name: row.name ?? '',
      service: row.service ?? '',
    };
    this.infos.set(chatId, info);
    return info;
  }

  participants(chatId: number): string[] {
    let hit = this.parts.get(chatId);
    if (!hit) {
      hit = this.store.participants(chatId);
      this.parts.set(chatId, hit);
    }
    return hit;
  }
}

export function isGroupHandle(guid: string, identifier: string): boolean {
  return guid.includes(';+;') || identifier.includes(';+;');
}
