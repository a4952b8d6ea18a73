-- Writes one state of a run, atomically: refuses a stale or post-terminal write, stores the
-- record with its TTL, indexes a new run under its domain, keeps the index of open runs by
-- deadline, and publishes the record on the run's channel and on its domain's, so that the
-- stored state, the indexes and the notifications can never disagree.
--
-- KEYS[1] run record key          ARGV[1] record JSON        ARGV[5] index score (created, ms)
-- KEYS[2] domain index key        ARGV[2] record version     ARGV[6] run channel
-- KEYS[3] open runs index key     ARGV[3] TTL in seconds     ARGV[7] deadline (ms)
--                                 ARGV[4] run id             ARGV[8] open-run member
--                                                            ARGV[9] '1' when the record is terminal
--                                                            ARGV[10] domain channel
-- Returns 'ok', or why nothing was written: 'exists', 'missing', 'terminal', 'stale'.
local version = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local current = redis.call('GET', KEYS[1])

if current then
  if version == 1 then return 'exists' end
  local stored = cjson.decode(current)
  if stored.status ~= 'processing' then return 'terminal' end
  if stored.version ~= version - 1 then return 'stale' end
elseif version ~= 1 then
  return 'missing'
end

redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
if version == 1 then
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
end
-- The index lives as long as its longest-lived record.
if redis.call('TTL', KEYS[2]) < ttl then
  redis.call('EXPIRE', KEYS[2], ttl)
end
if ARGV[9] == '1' then
  redis.call('ZREM', KEYS[3], ARGV[8])
else
  redis.call('ZADD', KEYS[3], ARGV[7], ARGV[8])
end
redis.call('PUBLISH', ARGV[6], ARGV[1])
redis.call('PUBLISH', ARGV[10], ARGV[1])
return 'ok'
