/**
 * The status page's script, dependency-free: it loads compact group summaries, filters them as
 * one types, pages the list, fetches a group's families only when it is expanded, and deletes.
 * Served as an external file so that the page works under `Content-Security-Policy: default-src 'self'`.
 */
export const STATUS_SCRIPT = String.raw`(function () {
  'use strict'
  var root = document.documentElement
  var base = root.getAttribute('data-base') || ''
  var admin = root.getAttribute('data-admin') === 'true'
  var PAGE = 100
  var REFRESH_MS = 10000
  var state = { groups: [], names: [], skew: 0, shown: PAGE, details: new Map(), timer: 0, loading: false, statusLoaded: false }

  function byId (id) { return document.getElementById(id) }

  function el (tag, attrs, children) {
    var node = document.createElement(tag)
    if (attrs) {
      for (var name in attrs) {
        var value = attrs[name]
        if (value === undefined || value === null || value === false) continue
        if (name === 'text') node.textContent = value
        else if (name === 'class') node.className = value
        else node.setAttribute(name, value === true ? '' : value)
      }
    }
    if (children) {
      for (var i = 0; i < children.length; i++) {
        var child = children[i]
        if (child === undefined || child === null) continue
        node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child)
      }
    }
    return node
  }

  function now () { return Date.now() + state.skew }

  function pad (n) { return n < 10 ? '0' + n : String(n) }

  function absolute (ms) {
    var d = new Date(ms)
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds())
  }

  function span (ms) {
    var s = Math.round(Math.abs(ms) / 1000)
    if (s < 60) return s + ' s'
    if (s < 3600) return Math.round(s / 60) + ' min'
    if (s < 86400) return Math.round(s / 3600) + ' h'
    return Math.round(s / 86400) + ' d'
  }

  function when (label, ms, future) {
    var rel = future ? 'in ' + span(ms - now()) : span(now() - ms) + ' ago'
    return el('span', { class: 'when' }, [label + ' ', el('time', { datetime: new Date(ms).toISOString(), title: absolute(ms) }, [rel]), ' (' + absolute(ms) + ')'])
  }

  function keyOf (labels) { return JSON.stringify(labels) }

  function selector (labels, names) {
    var parts = []
    for (var name in labels) parts.push(JSON.stringify(name) + '=' + JSON.stringify(labels[name]))
    if (names) {
      for (var i = 0; i < names.length; i++) {
        if (!Object.prototype.hasOwnProperty.call(labels, names[i])) parts.push(JSON.stringify(names[i]) + '=""')
      }
    }
    return '{' + parts.join(',') + '}'
  }

  function base64url (text) {
    var bytes = new TextEncoder().encode(text)
    var binary = ''
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i])
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') + '='
  }

  function groupPath (labels) {
    var path = '/metrics/job@base64/' + base64url(labels.job)
    for (var name in labels) {
      if (name !== 'job') path += '/' + encodeURIComponent(name) + '@base64/' + base64url(labels[name])
    }
    return path
  }

  // A message, and what it is about: a failed refresh is cleared by the next good one, the rest stay.
  function say (text, bad, about) {
    var box = byId('message')
    box.textContent = text
    box.className = bad ? 'message bad' : 'message'
    box.dataset.about = about || ''
    box.hidden = text === ''
  }

  async function call (method, path, form) {
    var headers = { accept: 'application/json' }
    if (form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded'
    var response = await fetch(base + path, { method: method, headers: headers, body: form, credentials: 'same-origin' })
    if (!response.ok) {
      var text = (await response.text()).trim()
      throw new Error(text === '' ? method + ' ' + path + ': ' + response.status : text)
    }
    return response
  }

  function badges (labels, cls) {
    var list = el('span', { class: 'badges' })
    for (var name in labels) list.appendChild(el('span', { class: cls || 'badge' }, [name + '="' + labels[name] + '"']))
    return list
  }

  function summarize (group) {
    var parts = []
    for (var name in group.labels) parts.push(name + '=' + group.labels[name], name + '="' + group.labels[name] + '"')
    group.key = keyOf(group.labels)
    group.search = (parts.join('\n') + '\n' + group.families.join('\n')).toLowerCase()
    return group
  }

  async function load () {
    if (state.loading) return
    state.loading = true
    try {
      var response = await call('GET', '/api/v1/groups')
      var body = await response.json()
      state.skew = body.data.now - Date.now()
      var names = new Set()
      state.groups = body.data.groups.map(function (g) {
        for (var name in g.labels) names.add(name)
        return summarize(g)
      })
      state.names = Array.from(names).sort()
      var alive = new Set(state.groups.map(function (g) { return g.key }))
      var reloads = []
      state.details.forEach(function (value, key) {
        if (!alive.has(key)) state.details.delete(key)
        else reloads.push(key)
      })
      render()
      for (var i = 0; i < reloads.length; i++) await fetchDetails(reloads[i])
      if (byId('message').dataset.about === 'refresh') say('')
    } catch (err) {
      say(err.message, true, 'refresh')
    } finally {
      state.loading = false
      byId('groups').setAttribute('aria-busy', 'false')
    }
  }

  function terms () {
    var q = byId('filter').value.trim().toLowerCase()
    return q === '' ? [] : q.split(/\s+/)
  }

  function filtered () {
    var t = terms()
    if (t.length === 0) return state.groups
    return state.groups.filter(function (g) {
      for (var i = 0; i < t.length; i++) if (g.search.indexOf(t[i]) === -1) return false
      return true
    })
  }

  function render () {
    var focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.focus : undefined
    var list = filtered()
    var total = state.groups.length
    byId('count').textContent = (list.length === total ? total : list.length + ' of ' + total) + (total === 1 ? ' group' : ' groups')
    var bulk = byId('delete-matching')
    bulk.hidden = !(admin && terms().length > 0 && list.length > 0)
    bulk.textContent = 'Delete the ' + list.length + ' matching group' + (list.length === 1 ? '' : 's')
    var wipe = byId('wipe')
    wipe.hidden = !(admin && total > 0)
    wipe.textContent = 'Delete All ' + total + ' Groups'
    var items = []
    var shown = Math.min(list.length, state.shown)
    for (var i = 0; i < shown; i++) items.push(card(list[i], i))
    if (list.length === 0) items.push(el('li', { class: 'empty' }, [total === 0 ? 'No groups have been pushed.' : 'No group matches the filter.']))
    byId('groups').replaceChildren.apply(byId('groups'), items)
    var more = byId('more')
    more.hidden = list.length <= shown
    more.textContent = 'Show ' + Math.min(PAGE, list.length - shown) + ' more (' + (list.length - shown) + ' not shown)'
    if (focused) {
      var again = document.querySelector('[data-focus="' + CSS.escape(focused) + '"]')
      if (again) again.focus()
    }
  }

  function card (group, index) {
    var id = 'group-' + index
    var expanded = state.details.has(group.key)
    var failed = group.failure_time !== null && (group.push_time === null || group.failure_time > group.push_time)
    var series = el('span', { class: 'counts' }, [group.families.length + (group.families.length === 1 ? ' family, ' : ' families, ') + group.series + ' series'])
    var times = el('div', { class: 'times' }, [
      group.push_time === null ? el('span', { class: 'when' }, ['never pushed successfully']) : when('last push', group.push_time, false),
      group.failure_time === null ? null : when('last failure', group.failure_time, false),
      group.expires === null ? null : when('expires', group.expires, true),
      series
    ])
    var toggle = el('button', { type: 'button', class: 'toggle', 'aria-expanded': String(expanded), 'aria-controls': id, 'data-focus': 'toggle ' + group.key, 'aria-label': (expanded ? 'Collapse ' : 'Expand ') + selector(group.labels) }, [expanded ? '\u25be' : '\u25b8'])
    toggle.addEventListener('click', function () { expand(group.key) })
    var remove = el('button', { type: 'button', class: 'delete', 'data-focus': 'delete ' + group.key, 'aria-label': 'Delete group ' + selector(group.labels) }, ['Delete Group'])
    remove.addEventListener('click', function () { deleteGroup(group) })
    var head = el('div', { class: 'head' }, [toggle, badges(group.labels), failed ? el('span', { class: 'pill' }, ['Last push failed!']) : null, remove])
    var body = el('div', { class: 'body', id: id, hidden: !expanded })
    if (expanded) fill(body, group.key)
    return el('li', { class: failed ? 'group failed' : 'group', 'data-key': group.key }, [head, times, body])
  }

  function fill (body, key) {
    var data = state.details.get(key)
    if (data === null || data === undefined) {
      body.replaceChildren(el('p', { class: 'loading' }, ['Loading\u2026']))
      return
    }
    var parts = []
    for (var name in data) {
      if (name === 'labels' || name === 'last_push_successful') continue
      parts.push(family(name, data[name]))
    }
    body.replaceChildren.apply(body, parts)
  }

  function family (name, f) {
    var type = f.type.toLowerCase()
    var head
    var rows = []
    if (type === 'summary') head = ['Labels', 'Quantiles', 'Count', 'Sum']
    else if (type === 'histogram') head = ['Labels', 'Buckets', 'Count', 'Sum']
    else head = ['Labels', 'Value']
    for (var i = 0; i < f.metrics.length; i++) {
      var m = f.metrics[i]
      var cells = [el('td', null, [badges(m.labels, 'badge small')])]
      if (type === 'summary') cells.push(el('td', null, [inner('quantiles', 'quantile', 'value', m.quantiles)]), el('td', { class: 'num' }, [m.count]), el('td', { class: 'num' }, [m.sum]))
      else if (type === 'histogram') cells.push(el('td', null, [Array.isArray(m.buckets) ? nativeBuckets(m.buckets) : inner('buckets', 'le', 'count', m.buckets)]), el('td', { class: 'num' }, [m.count]), el('td', { class: 'num' }, [m.sum]))
      else cells.push(el('td', { class: 'num' }, [m.value]))
      rows.push(el('tr', null, cells))
    }
    return el('section', { class: 'family', 'data-family': name }, [
      el('h3', null, [name]),
      el('dl', null, [
        el('dt', null, ['Type']), el('dd', { class: 'type' }, [type]),
        el('dt', null, ['Help']), el('dd', { class: 'help' }, [f.help === undefined ? '' : f.help]),
        el('dt', null, ['Last pushed']), el('dd', null, [f.time_stamp])
      ]),
      el('table', { class: 'series' }, [
        el('thead', null, [el('tr', null, head.map(function (h) { return el('th', { scope: 'col' }, [h]) }))]),
        el('tbody', null, rows)
      ])
    ])
  }

  function inner (cls, key, value, values) {
    var rows = [el('tr', null, [el('th', { scope: 'col' }, [key]), el('th', { scope: 'col' }, [value])])]
    // Integer-like keys ("1") come first in an object: sort the bounds as numbers.
    var keys = Object.keys(values).sort(function (a, b) { return bound(a) - bound(b) })
    for (var i = 0; i < keys.length; i++) rows.push(el('tr', null, [el('td', { class: 'num' }, [keys[i]]), el('td', { class: 'num' }, [values[keys[i]]])]))
    return el('table', { class: 'inner ' + cls }, [el('tbody', null, rows)])
  }

  // A native histogram's buckets: [boundaries, lower, upper, count], boundaries telling which ends are inclusive.
  function nativeBuckets (buckets) {
    var rows = [el('tr', null, [el('th', { scope: 'col' }, ['bucket']), el('th', { scope: 'col' }, ['count'])])]
    for (var i = 0; i < buckets.length; i++) {
      var b = buckets[i]
      var range = ((b[0] & 1) ? '[' : '(') + b[1] + ', ' + b[2] + ((b[0] === 0 || b[0] === 3) ? ']' : ')')
      rows.push(el('tr', null, [el('td', { class: 'num' }, [range]), el('td', { class: 'num' }, [b[3]])]))
    }
    return el('table', { class: 'inner buckets native' }, [el('tbody', null, rows)])
  }

  function bound (text) { return Number(text.replace('Inf', 'Infinity')) }

  async function fetchDetails (key) {
    var group = state.groups.find(function (g) { return g.key === key })
    if (!group) return
    try {
      var response = await call('GET', '/api/v1/metrics?match[]=' + encodeURIComponent(selector(group.labels)))
      var body = await response.json()
      var entry = body.data.find(function (e) { return keyOf(e.labels) === key })
      if (!state.details.has(key)) return
      state.details.set(key, entry || {})
    } catch (err) {
      say(err.message, true)
      return
    }
    var item = document.querySelector('li.group[data-key="' + CSS.escape(key) + '"] .body')
    if (item) fill(item, key)
  }

  function expand (key) {
    if (state.details.has(key)) state.details.delete(key)
    else state.details.set(key, null)
    render()
    if (state.details.has(key)) fetchDetails(key)
  }

  async function deleteGroup (group) {
    if (!window.confirm('Delete the group ' + selector(group.labels) + '?')) return
    try {
      await call('DELETE', groupPath(group.labels))
      say('Deleted the group ' + selector(group.labels) + '.')
    } catch (err) {
      say(err.message, true)
    }
    await load()
  }

  async function deleteMatching () {
    var list = filtered()
    if (list.length === 0 || !window.confirm('Delete the ' + list.length + ' groups that match "' + byId('filter').value + '"?')) return
    try {
      // One request, so that the gateway deletes all of them or, when one is refused, none.
      var form = list.map(function (group) { return 'match[]=' + encodeURIComponent(selector(group.labels, state.names)) }).join('&')
      var response = await call('DELETE', '/api/v1/metrics', form)
      var deleted = (await response.json()).data.deleted
      say('Deleted ' + deleted + (deleted === 1 ? ' group.' : ' groups.'))
    } catch (err) {
      say(err.message, true)
    }
    await load()
  }

  async function wipe () {
    var total = state.groups.length
    if (!window.confirm('Delete all ' + total + ' groups?')) return
    try {
      await call('PUT', '/api/v1/admin/wipe')
      say('Deleted all groups.')
    } catch (err) {
      say(err.message, true)
    }
    await load()
  }

  function table (cls, entries) {
    return el('table', { class: cls }, [el('tbody', null, entries.map(function (entry) {
      return el('tr', null, [el('th', { scope: 'row' }, [entry[0]]), el('td', null, [entry[1]])])
    }))])
  }

  async function loadStatus () {
    try {
      var body = await (await call('GET', '/api/v1/status')).json()
      var info = body.data.build_information
      var flags = body.data.flags
      byId('status-body').replaceChildren(
        el('h2', null, ['Build information']),
        table('build', Object.keys(info).map(function (k) { return [k, info[k]] })),
        el('h2', null, ['Start time']),
        el('p', { class: 'start-time' }, [body.data.start_time]),
        el('h2', null, ['Flags']),
        table('flags', Object.keys(flags).sort().map(function (k) { return [k, flags[k]] }))
      )
      state.statusLoaded = true
    } catch (err) {
      say(err.message, true)
    }
  }

  function showTab (name) {
    var tabs = document.querySelectorAll('[role="tab"]')
    for (var i = 0; i < tabs.length; i++) {
      var selected = tabs[i].getAttribute('aria-controls') === name
      tabs[i].setAttribute('aria-selected', String(selected))
      tabs[i].tabIndex = selected ? 0 : -1
      byId(tabs[i].getAttribute('aria-controls')).hidden = !selected
    }
    if (name === 'status-tab' && !state.statusLoaded) loadStatus()
  }

  function schedule () {
    clearInterval(state.timer)
    if (byId('auto-refresh').checked) state.timer = setInterval(load, REFRESH_MS)
  }

  byId('filter').addEventListener('input', function () {
    state.shown = PAGE
    render()
  })
  byId('more').addEventListener('click', function () {
    state.shown += PAGE
    render()
  })
  byId('delete-matching').addEventListener('click', deleteMatching)
  byId('wipe').addEventListener('click', wipe)
  byId('auto-refresh').addEventListener('change', schedule)
  byId('refresh').addEventListener('click', load)
  var tabs = document.querySelectorAll('[role="tab"]')
  for (var i = 0; i < tabs.length; i++) {
    tabs[i].addEventListener('click', function (event) { showTab(event.currentTarget.getAttribute('aria-controls')) })
    tabs[i].addEventListener('keydown', function (event) {
      if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return
      var all = Array.from(document.querySelectorAll('[role="tab"]'))
      var next = all[(all.indexOf(event.currentTarget) + (event.key === 'ArrowRight' ? 1 : all.length - 1)) % all.length]
      next.focus()
      showTab(next.getAttribute('aria-controls'))
    })
  }
  schedule()
  load()
})()
`
