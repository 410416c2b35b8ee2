/**
 * The envelope of a collected turn (messages.queue `collect`): the latest message's envelope, with
 * the earlier messages of the turn in `collected`, oldest first. Its id, session, chat and reply
 * target are the latest message's, so its replies are keyed by the latest message's envelope id.
 * The group history each message took is kept, in order, in the turn's `history`.
 */
import type { Envelope, EnvelopeCollectedMessage } from './envelope.js';
import { chatKeyOf } from './reply-target.js';

export function collectedEnvelope(envelopes: readonly Envelope[]): Envelope {
  const latest = envelopes[envelopes.length - 1];
  if (latest === undefined) throw new RangeError('a collected turn needs at least one envelope');
  const earlier = envelopes.slice(0, -1);
  for (const e of earlier) {
    if (e.sessionKey !== latest.sessionKey || chatKeyOf(e.replyTarget) !== chatKeyOf(latest.replyTarget)) {
      throw new RangeError(`envelope ${e.id} is not of the same session and chat as ${latest.id}: it cannot be collected with it`);
    }
  }
  if (earlier.length === 0) return latest;
  return {
    ...latest,
    history: envelopes.flatMap((e) => e.history),
    collected: earlier.map(collectedMessage),
  };
}

function collectedMessage(e: Envelope): EnvelopeCollectedMessage {
  return {
    id: e.id,
    sender: e.sender,
    text: e.text,
    attachments: e.attachments,
    ...(e.replyTo ? { replyTo: e.replyTo } : {}),
    ...(e.threadOriginator ? { threadOriginator: e.threadOriginator } : {}),
    wasMentioned: e.wasMentioned,
    timestamps: e.timestamps,
    imsg: e.imsg,
  };
}
