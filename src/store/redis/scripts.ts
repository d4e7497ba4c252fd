import { createHash } from 'node:crypto'

/** A Lua script run with EVALSHA, its text sent with EVAL when Redis does not know it yet. */
export interface Script {
  /** The script. */
  text: string
  /** Its SHA-1, as EVALSHA names it. */
  sha: string
}

function script (text: string): Script {
  return { text, sha: createHash('sha1').update(text).digest('hex') }
}

// Stream ids are `<ms>-<seq>`; both fit a Lua number exactly.
const BEFORE = `
local function before (a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end
`

/**
 * Appends a replica's writes, then reads what it has not applied yet, in one atomic step, so a
 * write is read back with the entries before it. KEYS: the log, the snapshot. ARGV: the last
 * entry applied (`0-0` for none), how many entries at most, a new epoch to record when there is
 * none, the replica's id, then a sequence number and an encoded entry per write (none for a
 * read). Answers the epoch, the snapshot's entry id (`''` for none), the snapshot's data when the
 * replica must start from it (it has nothing, or entries it has not seen were trimmed) or nil,
 * and the entries after the last one applied (or after the snapshot).
 */
export const READ = script(BEFORE + `
redis.call('HSETNX', KEYS[2], 'epoch', ARGV[3])
for i = 5, #ARGV, 2 do
  redis.call('XADD', KEYS[1], '*', 'e', ARGV[i + 1], 'r', ARGV[4], 's', ARGV[i])
end
local snapshot = redis.call('HMGET', KEYS[2], 'epoch', 'id', 'floor')
local from = ARGV[1]
local data = false
if snapshot[2] and (from == '0-0' or before(from, snapshot[3])) then
  data = redis.call('HGET', KEYS[2], 'data')
  from = snapshot[2]
end
local entries = redis.call('XRANGE', KEYS[1], '(' .. from, '+', 'COUNT', ARGV[2])
return { snapshot[1], snapshot[2] or '', data, entries }
`)

/**
 * Saves a snapshot of the groups as they are after an entry, then trims the entries before it
 * that are older than a margin, and releases the replica's compaction lock. KEYS: the log, the
 * snapshot, the lock. ARGV: the entry id, the data, the epoch the replica read, the margin in
 * milliseconds, the replica's id. Saves nothing (answers 0) when a newer snapshot is there or the
 * log was lost since.
 */
export const COMPACT = script(BEFORE + `
if redis.call('GET', KEYS[3]) == ARGV[5] then redis.call('DEL', KEYS[3]) end
local snapshot = redis.call('HMGET', KEYS[2], 'epoch', 'id')
if snapshot[1] ~= ARGV[3] then return 0 end
if snapshot[2] and not before(snapshot[2], ARGV[1]) then return 0 end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local at = tonumber(string.match(ARGV[1], '^(%d+)-'))
local floor = string.format('%d-0', math.min(at, now - tonumber(ARGV[4])))
redis.call('HSET', KEYS[2], 'id', ARGV[1], 'data', ARGV[2], 'floor', floor)
redis.call('XTRIM', KEYS[1], 'MINID', floor)
return 1
`)
