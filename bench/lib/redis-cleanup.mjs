// Removes from a shared Redis what one bench organization left there, and nothing else.
// The server writes without a key prefix, so keys are matched by content: OIDC artifacts record
// their organization id; their uid and grant index keys are found through those artifacts;
// cache keys carry the organization, application or slug of the bench tenant in their name.
import { Redis } from 'ioredis';

export async function removeTenantKeys(redisUrl, { orgId, appId, slug }) {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const ours = [];
    const uids = new Set();
    const grantIds = new Set();
    const grantKeys = [];
    const indexKeys = [];
    await scan(redis, 'porta:oidc:*', async (keys) => {
      const artifacts = [];
      for (const key of keys) {
        const parts = key.split(':');
        if (parts[2] === 'grant') grantKeys.push({ key, grantId: parts[4] });
        else if (parts.length === 4) artifacts.push(key);
        else indexKeys.push({ key, id: parts[4] });
      }
      if (artifacts.length === 0) return;
      const values = await redis.mget(...artifacts);
      values.forEach((raw, i) => {
        const stored = parseStored(raw);
        if (stored?.org !== orgId) return;
        ours.push(artifacts[i]);
        if (stored.payload?.uid) uids.add(stored.payload.uid);
        if (stored.payload?.grantId) grantIds.add(stored.payload.grantId);
      });
    });
    for (const { key, id } of indexKeys) if (uids.has(id)) ours.push(key);
    for (const { key, grantId } of grantKeys) if (grantIds.has(grantId)) ours.push(key);
    await scan(redis, 'porta:cache:*', async (keys) => {
      for (const key of keys) {
        if (key.includes(orgId) || key.includes(appId) || key === `porta:cache:org:slug:${slug}`) ours.push(key);
      }
    });
    for (let i = 0; i < ours.length; i += 500) await redis.del(...ours.slice(i, i + 500));
    return ours.length;
  } finally {
    redis.disconnect();
  }
}

async function scan(redis, pattern, onKeys) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await onKeys(keys);
  } while (cursor !== '0');
}

function parseStored(raw) {
  if (raw === null || raw[0] !== '{') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
