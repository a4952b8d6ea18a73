-- Extends a run's lease for its holder. A lease that lapsed (its holder paused longer than
-- the lease lasts) is taken back only when no other executor has claimed the run since.
--
-- KEYS[1] the lease                 ARGV[1] the holder's token
-- KEYS[2] the run's last holder     ARGV[2] lease length in ms
-- Returns 1 when the holder still holds the run, 0 when another executor took it over.
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then
  return 0
end
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
