-- Gives a run's lease up, if the caller still holds it (never another executor's lease),
-- and forgets the caller as the run's last holder.
--
-- KEYS[1] the lease                 ARGV[1] the holder's token
-- KEYS[2] the run's last holder
-- Returns 1 when released, 0 when the caller no longer held it.
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
