-- wrk script of the footprint benchmark: PUTs of a push body to existing groups in turn,
--   wrk -t1 -c16 -d5s -s bench/rotate-groups.lua <origin> -- <path prefix> <groups> <series> [full]
-- with values that change from one push to a group to the next (16 bodies in turn). With `full`, every
-- other body has another HELP, so that no push repeats the group's last body but for its values
-- and each is parsed in full. One thread: the group counter is per thread. Prints one line the
-- benchmark reads: requests, failures, duration.
local prefix, groups
local bodies = {}
local sent = 0

-- The same families as bench/harness.js body(): series - 2 counter series and two gauges.
local function body (round, series, full)
  local help = (full and round % 2 == 1) and 'Items processed so far.' or 'Items processed.'
  local lines = { '# HELP bench_items_total ' .. help, '# TYPE bench_items_total counter' }
  for i = 0, series - 3 do
    lines[#lines + 1] = string.format('bench_items_total{kind="k%d"} %d', i, round + i)
  end
  lines[#lines + 1] = '# TYPE bench_last_success_seconds gauge'
  lines[#lines + 1] = string.format('bench_last_success_seconds %d', 1700000000 + round)
  lines[#lines + 1] = '# TYPE bench_duration_seconds gauge'
  lines[#lines + 1] = string.format('bench_duration_seconds %.6f', round / 7)
  return table.concat(lines, '\n') .. '\n'
end

function init (args)
  prefix = args[1]
  groups = tonumber(args[2])
  for round = 1, 16 do bodies[round] = body(round, tonumber(args[3]), args[4] == 'full') end
end

function request ()
  sent = sent + 1
  local path = prefix .. '/metrics/job/bench/instance/i' .. (sent % groups)
  -- The next body on each pass over the groups: each group's pushes differ from one to the next.
  return wrk.format('PUT', path, nil, bodies[math.floor(sent / groups) % 16 + 1])
end

function done (summary)
  local e = summary.errors
  io.write(string.format('BENCH requests=%d failed=%d microseconds=%d\n', summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout, summary.duration))
end
