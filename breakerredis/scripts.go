package breakerredis

import (
	"strings"

	"github.com/redis/go-redis/v9"
)

// The shared state of one breaker is two keys under one hash tag, so that a
// script may touch both on a Redis Cluster:
//
//	<prefix>{<name>}:state   a hash: st ("open" or absent: closed), fails
//	                          (the fleet's consecutive failures while closed),
//	                          opened and until (server milliseconds), reason,
//	                          trip (failures that tripped it), ftrials (failed
//	                          recovery trials), oks (trial successes so far)
//	<prefix>{<name>}:trials  a sorted set: the recovery trials in flight, one
//	                          member per owner token, scored by its expiry
//
// Every write sets the key's expiry (Options.KeyTTL for the state,
// Options.TrialTimeout for the trials), so nothing outlives its use. Time is
// Redis's own (TIME), so replicas' clocks need not agree: scripts return
// durations relative to it, which each replica adds to its own clock.
//
// Each script returns the same reply: status, then the state.
const stateReply = `
local h = redis.call('HMGET', KEYS[1], 'st', 'fails', 'opened', 'until', 'reason', 'trip', 'ftrials')
return {status, h[1] or '', h[2] or '0',
	tostring(now - (tonumber(h[3]) or now)), tostring((tonumber(h[4]) or now) - now),
	h[5] or '', h[6] or '0', h[7] or '0'}
`

const clock = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// syncScript pushes a replica's failures (ARGV[2], after a reset when
// ARGV[1] is "1") into the fleet's count, trips the breaker when the count
// reaches the threshold (ARGV[3]) for ARGV[4] ms with reason ARGV[5], and
// reads the state. ARGV[6] is the key TTL in ms. Failures reported while the
// breaker is open are dropped: they are calls admitted before it opened.
var syncScript = redis.NewScript(clock + `
local status = 'ok'
if redis.call('HGET', KEYS[1], 'st') ~= 'open' then
	if ARGV[1] == '1' then redis.call('HSET', KEYS[1], 'fails', 0) end
	local inc = tonumber(ARGV[2])
	if inc > 0 then
		local f = redis.call('HINCRBY', KEYS[1], 'fails', inc)
		if f >= tonumber(ARGV[3]) then
			redis.call('HSET', KEYS[1], 'st', 'open', 'opened', now, 'until', now + tonumber(ARGV[4]),
				'reason', ARGV[5], 'trip', f, 'ftrials', 0, 'oks', 0)
			redis.call('DEL', KEYS[2])
			status = 'tripped'
		end
	end
	if ARGV[1] == '1' or inc > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[6]) end
end
` + stateReply)

// trialScript claims a recovery trial for owner token ARGV[1] once the open
// timeout has passed: at most ARGV[2] trials are in flight fleet-wide, each
// claim expires after ARGV[3] ms (so that a replica that dies holding one
// does not wedge the fleet). Status: "trial", "busy", "open" (not yet) or
// "closed".
var trialScript = redis.NewScript(clock + `
local status
if redis.call('HGET', KEYS[1], 'st') ~= 'open' then
	status = 'closed'
elseif now < tonumber(redis.call('HGET', KEYS[1], 'until')) then
	status = 'open'
else
	redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
	if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then
		status = 'busy'
	else
		redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
		redis.call('PEXPIRE', KEYS[2], ARGV[3])
		status = 'trial'
	end
end
` + stateReply)

// doneScript ends the trial of owner token ARGV[1] with outcome ARGV[2]:
// "s" (succeeded: ARGV[3] successes close the breaker), "f" (failed: open
// again for ARGV[4] ms, reason ARGV[5]) or "x" (says nothing). The claim is
// removed only if it is still this owner's (compare-and-delete); an expired
// claim's verdict is stale and ignored. ARGV[6] is the key TTL in ms.
var doneScript = redis.NewScript(clock + `
local status = 'stale'
if redis.call('ZREM', KEYS[2], ARGV[1]) == 1 and redis.call('HGET', KEYS[1], 'st') == 'open' then
	status = 'ok'
	if ARGV[2] == 's' then
		if redis.call('HINCRBY', KEYS[1], 'oks', 1) >= tonumber(ARGV[3]) then
			redis.call('HDEL', KEYS[1], 'st', 'opened', 'until', 'reason', 'trip', 'ftrials', 'oks')
			redis.call('HSET', KEYS[1], 'fails', 0)
			redis.call('DEL', KEYS[2])
			status = 'closed'
		end
	elseif ARGV[2] == 'f' then
		redis.call('HSET', KEYS[1], 'until', now + tonumber(ARGV[4]), 'reason', ARGV[5], 'oks', 0)
		redis.call('HINCRBY', KEYS[1], 'ftrials', 1)
		redis.call('DEL', KEYS[2])
		status = 'reopened'
	end
	redis.call('PEXPIRE', KEYS[1], ARGV[6])
end
` + stateReply)

// hashTag returns what Redis Cluster hashes of key: the text between the
// first '{' and the next '}', unless that is empty or absent; then the
// whole key.
func hashTag(key string) string {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return key
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return key
	}
	return key[i+1 : i+1+j]
}
