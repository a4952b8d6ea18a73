-- Tells every instance to make no upstream call for a while, keeping the later of two
-- pauses when several instances are told to wait at once. Timed by the Redis clock.
--
-- KEYS[1] "paused until" key (epoch ms)      ARGV[1] pause length in ms
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ms = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if now + ms > current then
  redis.call('SET', KEYS[1], now + ms, 'PX', ms)
end
return 1
