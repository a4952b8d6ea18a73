-- Claims a run for one executor, unless another executor holds it.
--
-- KEYS[1] the lease (the holder's token, with a TTL)   ARGV[1] the new holder's token
-- KEYS[2] the run's last holder (its token)             ARGV[2] lease length in ms
--                                                       ARGV[3] how long to remember the holder, ms
-- Returns 1 when the run is now claimed with ARGV[1], 0 when another executor holds it.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
return 1
