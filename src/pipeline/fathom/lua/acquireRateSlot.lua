-- Takes one call slot of an upstream rate limit shared by every instance, timed by the
-- Redis clock so that instances with skewed clocks still agree.
--
-- KEYS[1] sorted set of recent calls (score: ms)   ARGV[1] window in ms
-- KEYS[2] "paused until" (epoch ms) set on 429s    ARGV[2] calls allowed per window
--                                                  ARGV[3] unique member for this call
-- Returns 0 when the slot is taken, else how many ms to wait before asking again.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])

local paused_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused_until > now then
  return paused_until - now
end

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
