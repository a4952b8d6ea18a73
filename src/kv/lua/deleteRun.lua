-- Deletes one run, removes it from its domain index and the open-runs index and, when it
-- existed, tells its watchers on the run's channel and on its domain's.
--
-- KEYS[1] run record key          ARGV[1] run id
-- KEYS[2] domain index key        ARGV[2] run channel
-- KEYS[3] open runs index key     ARGV[3] deletion notice JSON
--                                 ARGV[4] open-run member
--                                 ARGV[5] domain channel
-- Returns 1 when the run existed, else 0.
local removed = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[4])
if removed == 1 then
  redis.call('PUBLISH', ARGV[2], ARGV[3])
  redis.call('PUBLISH', ARGV[5], ARGV[3])
end
return removed
