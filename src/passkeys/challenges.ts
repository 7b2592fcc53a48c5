import type { Kv } from '../platform/kv/index.js';
import type { CeremonyPurpose, UserVerification } from './schema.js';

/** Spec 70 §1: a challenge lives 300 s in the ephemeral store and is used once. */
export const CHALLENGE_TTL_SECONDS = 300;

/** What one ceremony was started for; the edge names it (an interaction's uid). */
export interface CeremonyBinding {
  organizationId: string;
  /** The interaction (or other page flow) the ceremony belongs to. */
  ceremonyId: string;
  purpose: CeremonyPurpose;
}

export interface PendingChallenge {
  challenge: string;
  /** The user the ceremony is for; null for a usernameless sign-in. */
  userId: string | null;
  userVerification: UserVerification;
}

// One live challenge per flow and purpose: a new request replaces the last, so a page asking again and
// again holds one key, and a challenge answered in one flow is worthless in another.
const keyOf = (b: CeremonyBinding) => `passkey:challenge:${b.organizationId}:${b.purpose}:${b.ceremonyId}`;

export function createChallengeStore(kv: Kv) {
  return {
    async put(binding: CeremonyBinding, pending: PendingChallenge): Promise<void> {
      await kv.set(keyOf(binding), JSON.stringify(pending), { ttlSeconds: CHALLENGE_TTL_SECONDS });
    },

    /** Takes the challenge out in one atomic step (`getDel`): a replayed response finds none. */
    async take(binding: CeremonyBinding): Promise<PendingChallenge | null> {
      const raw = await kv.getDel(keyOf(binding));
      if (!raw) return null;
      try {
        return JSON.parse(raw) as PendingChallenge;
      } catch {
        return null;
      }
    },
  };
}

export type ChallengeStore = ReturnType<typeof createChallengeStore>;
