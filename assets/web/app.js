// gonio's clinic app: pages for patients, a patient's results, live measuring and uploads.
// Plain JavaScript, no build step. Patients are addressed by number, never by name, in
// addresses; every request that changes something carries the page's CSRF header.
'use strict';

const CSRF = document.querySelector('meta[name="gonio-csrf"]').content;
const view = document.getElementById('view');
let leavePage = () => {};

function esc(text) {
  return String(text ?? '').replace(/[&<>"']/g, c => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  }[c]));
}

function deg(value) {
  return value === null || value === undefined ? '–' : `${Number(value).toFixed(1)}°`;
}

function toast(text) {
  const el = document.getElementById('toast');
  el.textContent = text;
  el.classList.add('show');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.classList.remove('show'), 4000);
}

async function api(method, path, body) {
  const options = { method, headers: { 'X-Gonio-Csrf': CSRF } };
  if (body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(data.error || `${response.status} ${response.statusText}`);
  }
  return data;
}

// Today on this computer's calendar, YYYY-MM-DD.
// A stored date (UTC, `YYYY-MM-DDTHH:MM:SSZ`) as this browser's day and time; a day alone
// (stored at 00:00:00 UTC; a time given as midnight UTC is kept as 00:00:01) has no time.
const dayAlone = utc => utc.slice(11, 19) === '00:00:00';
function localDay(utc) {
  if (dayAlone(utc)) return utc.slice(0, 10);
  const d = new Date(utc);
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 10);
}
function localTime(utc) {
  if (dayAlone(utc)) return '';
  const d = new Date(utc);
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(11, 16);
}

function today() {
  const now = new Date();
  now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
  return now.toISOString().slice(0, 10);
}

// ---------------------------------------------------------------- patients

async function patientsPage() {
  const patients = await api('GET', '/api/patients');
  view.innerHTML = `
    <h1>Patients</h1>
    <div class="card">
      <input id="search" placeholder="Search patients" autocomplete="off" style="width: 100%">
      <table id="patients">
        <thead><tr><th>Patient</th><th>Date of birth</th><th class="n">Sessions</th>
          <th class="n">Results</th><th>Last session</th></tr></thead>
        <tbody></tbody>
      </table>
      <p id="no-patients" class="muted" hidden>No patients yet: add the first below.</p>
    </div>
    <div class="card">
      <h2>Add a patient</h2>
      <form id="add-patient" class="row">
        <div><label for="alias">Alias or ID (no other personal data is needed)</label>
          <input id="alias" name="alias" required maxlength="80"></div>
        <div><label for="dob">Date of birth (optional)</label>
          <input id="dob" name="date_of_birth" type="date"></div>
        <div style="flex: 1"><label for="notes">Notes (optional)</label>
          <input id="notes" name="notes" style="width: 100%"></div>
        <div><button id="add" type="submit">Add patient</button></div>
      </form>
    </div>`;
  const body = view.querySelector('#patients tbody');
  const show = filter => {
    const shown = patients.filter(p => p.alias.toLowerCase().includes(filter.toLowerCase()));
    body.innerHTML = shown.map(p => `
      <tr class="clickable" data-id="${p.id}">
        <td><a href="#/patient/${p.id}">${esc(p.alias)}</a></td>
        <td>${esc(p.date_of_birth || '')}</td>
        <td class="n">${p.sessions}</td><td class="n">${p.measurements}</td>
        <td>${esc(p.last_session_at ? localDay(p.last_session_at) : '')}</td></tr>`).join('');
    view.querySelector('#no-patients').hidden = patients.length > 0;
  };
  show('');
  view.querySelector('#search').addEventListener('input', e => show(e.target.value));
  body.addEventListener('click', e => {
    const row = e.target.closest('tr[data-id]');
    if (row) location.hash = `#/patient/${row.dataset.id}`;
  });
  view.querySelector('#add-patient').addEventListener('submit', async e => {
    e.preventDefault();
    const form = new FormData(e.target);
    try {
      const made = await api('POST', '/api/patients', {
        alias: form.get('alias'),
        date_of_birth: form.get('date_of_birth') || null,
        notes: form.get('notes') || null,
      });
      location.hash = `#/patient/${made.id}`;
    } catch (error) {
      toast(error.message);
    }
  });
}

// ---------------------------------------------------------------- one patient

function qualityCell(m) {
  if (m.value_deg === null || m.value_deg === undefined) {
    return '<span class="refused">no result</span>';
  }
  return `<span class="quality-${esc(m.quality)}">${esc(m.quality)}</span>`;
}

function resultRows(measurements, withDiscard) {
  return measurements.map(m => `
    <tr data-measurement="${m.id}">
      <td>${esc(m.protocol)}</td><td>${esc(m.side)}</td><td>${esc(m.measure)}</td>
      <td class="n result">${deg(m.value_deg)}</td>
      <td class="n">${m.value_deg === null || m.value_deg === undefined ? '–' : deg(m.peak_deg)}</td>
      <td class="n">${Number(m.hold_s || 0).toFixed(1)} s</td><td>${qualityCell(m)}</td>
      <td>${m.has_picture === false ? '' : `<img class="thumb evidence" loading="lazy"
            src="/api/pictures/${m.id}" alt="evidence" onerror="this.remove()">`}</td>
      <td>${withDiscard ? `<button class="secondary discard" data-id="${m.id}">Discard</button>` : ''}</td>
    </tr>
    ${(m.warnings_text || []).length ? `<tr><td colspan="9"><ul class="warnings">${
      m.warnings_text.map(w => `<li>${esc(w)}</li>`).join('')}</ul></td></tr>` : ''}`).join('');
}

const RESULT_HEAD = `<thead><tr><th>Protocol</th><th>Side</th><th>Measure</th><th class="n">Result</th>
  <th class="n">Peak</th><th class="n">Hold</th><th>Quality</th><th>Evidence</th><th></th></tr></thead>`;

function comparisonTable(comparisons) {
  if (!comparisons.length) return '<p class="muted">No measure in both sessions yet.</p>';
  return `<table class="comparison"><thead><tr><th>Protocol</th><th>Side</th><th>Measure</th>
    <th class="n">Before</th><th class="n">After</th><th class="n">Change</th>
    <th class="n">MDC95</th><th>Verdict</th><th>Lowest grade</th></tr></thead><tbody>${comparisons.map(c => `
    <tr><td>${esc(c.protocol)}</td><td>${esc(c.side)}</td><td>${esc(c.measure)}</td>
      <td class="n">${deg(c.before_deg)} <span class="muted">(${c.before_trials})</span></td>
      <td class="n">${deg(c.after_deg)} <span class="muted">(${c.after_trials})</span></td>
      <td class="n">${c.change_deg > 0 ? '+' : ''}${deg(c.change_deg)}</td>
      <td class="n" title="${esc(c.mdc_source)}">${c.mdc95_deg === null ? '–' : deg(c.mdc95_deg)}</td>
      <td class="verdict ${esc(c.verdict)}">${esc(c.verdict_text)}</td>
      <td class="quality-${esc(c.lowest_quality)}">${esc(c.lowest_quality)}</td></tr>`).join('')}
    </tbody></table>`;
}

async function patientPage(id) {
  const data = await api('GET', `/api/patients/${id}`);
  const p = data.patient;
  const sessions = data.sessions.slice().reverse();
  view.innerHTML = `
    <h1 id="patient-alias">${esc(p.alias)}</h1>
    <p class="muted">${p.date_of_birth ? `Born ${esc(p.date_of_birth)} · ` : ''}${p.sessions} session(s),
      ${p.measurements} result(s)${p.notes ? ` · ${esc(p.notes)}` : ''}</p>
    <div class="actions">
      <a class="button" id="measure" href="#/measure/${id}">Measure</a>
      <a class="button" id="upload" href="#/upload/${id}">Upload videos</a>
      <a class="button secondary" id="export-json" href="/api/patients/${id}/export.json">Export JSON</a>
      <a class="button secondary" id="export-csv" href="/api/patients/${id}/export.csv">Export CSV</a>
      <a class="button secondary" id="report" href="/api/patients/${id}/report.html">Report</a>
      <button class="danger" id="forget">Forget patient…</button>
    </div>
    ${data.overall.length || data.not_compared.length ? `<div class="card" id="verdicts"><h2>Before and after: ${
      esc(data.sessions[0].label)} → ${esc(data.sessions[data.sessions.length - 1].label)}</h2>
      <p class="muted">A change counts only beyond the measure's minimal detectable change (MDC95):
      inside it, the difference is within measurement error.</p>
      ${data.order_doubt ? `<p class="warn" id="order-doubt">${esc(data.order_doubt)}</p>` : ''}
      ${comparisonTable(data.overall)}
      ${data.not_compared.length ? `<p>Not compared:</p><ul id="not-compared">${
        data.not_compared.map(u => `<li>${esc(u.text)}</li>`).join('')}</ul>` : ''}</div>` : ''}
    ${data.trends.length ? `<div class="card charts" id="trends"><h2>Trends</h2>
      <p class="muted">Each session's mean; the band is the first session's value ± MDC95
      (no detectable change inside it).</p>
      ${data.trends.map(t => `<img class="trend" src="/api/patients/${id}/trend/${t.n}"
        alt="${esc(t.title)}" title="${esc(t.title)}">`).join('')}</div>` : ''}
    <div id="sessions">${sessions.map(s => `
      <div class="card session"><h2>Session ${esc(s.label)}
        <span class="muted">${esc(`${localDay(s.started_at)} ${localTime(s.started_at)}`.trim())}</span></h2>
        <div class="row redate"><label>Date of this session
          <input type="date" class="session-date" max="${today()}" value="${esc(localDay(s.started_at))}"
            data-session="${esc(s.label)}"></label>
          <label>time (optional: orders sessions of one day)
          <input type="time" class="session-time" value="${esc(localTime(s.started_at))}"></label>
          <button class="secondary change-date">Change the date</button></div>
        ${s.notes ? `<p class="muted">${esc(s.notes)}</p>` : ''}
        ${s.spread.length ? `<p class="muted spread">Repeated trials: ${s.spread.map(g =>
          `${esc(g.protocol)} ${esc(g.side)} ${esc(g.measure)}: ${g.trials} trials, mean ${deg(g.mean_deg)},
           range ${deg(g.range_deg)}`).join('; ')}</p>` : ''}
        <table>${RESULT_HEAD}<tbody>${resultRows(s.measurements, true)}</tbody></table></div>`).join('')
      || '<div class="card"><p class="muted">No sessions yet: measure or upload a video.</p></div>'}
    </div>`;
  view.querySelector('#forget').addEventListener('click', async () => {
    const typed = prompt(`This deletes ${p.alias}: ${p.sessions} session(s), ${p.measurements} result(s) ` +
      `and their pictures, for good. Type the alias "${p.alias}" to confirm.`);
    if (typed === null) return;
    try {
      const done = await api('DELETE', `/api/patients/${id}`, { confirm: typed });
      toast(`Deleted ${done.deleted_sessions} session(s) and ${done.deleted_measurements} result(s).`);
      location.hash = '#/';
    } catch (error) {
      toast(error.message);
    }
  });
  view.querySelectorAll('.redate').forEach(row => row.querySelector('.change-date')
    .addEventListener('click', async () => {
      const input = row.querySelector('.session-date');
      const time = row.querySelector('.session-time').value;
      if (!input.value) {
        toast('Choose the session\'s date first.');
        return;
      }
      // A time is the clinic's own (this browser's) clock, sent as UTC; a day alone as it is.
      const date = time ? new Date(`${input.value}T${time}`).toISOString().slice(0, 16) : input.value;
      try {
        await api('POST', `/api/patients/${id}/session-date`,
          { session: input.dataset.session, date });
        toast(`Session ${input.dataset.session} dated ${input.value}${time ? ' ' + time : ''}: sessions are in date order.`);
        patientPage(id);
      } catch (error) {
        toast(error.message);
      }
    }));
  bindDiscard(view, () => patientPage(id));
}

// Each button once: bound again after every live trial, one click asked and deleted as many
// times as there were trials.
function bindDiscard(root, after) {
  root.querySelectorAll('button.discard:not([data-bound])').forEach(button => {
    button.dataset.bound = 'yes';
    button.addEventListener('click', async () => {
      if (!confirm('Discard this trial? Every result measured in it is deleted from the session.')) return;
      try {
        const done = await api('DELETE', `/api/measurements/${button.dataset.id}`);
        const n = (done.discarded || []).length;
        toast(n > 1 ? `Trial discarded (${n} results).` : 'Trial discarded.');
        after(button, done.discarded);
      } catch (error) {
        toast(error.message);
      }
    });
  });
}

// ---------------------------------------------------------------- choosing the test

// `recorded`: ask for the day the recordings were made (uploads).
async function protocolPicker(target, recorded = false) {
  const protocols = await api('GET', '/api/protocols');
  target.innerHTML = `
    <div class="row">
      <div><label for="protocol">Test</label><select id="protocol">${protocols.map(p =>
        `<option value="${esc(p.id)}">${esc(p.title)}</option>`).join('')}</select></div>
      <div><label for="side">Side</label><select id="side">
        <option value="auto">the one the test moves</option><option value="left">left</option>
        <option value="right">right</option></select></div>
      <div><label for="session">Session</label><input id="session" value="${today()}"></div>
      ${recorded ? `<div><label for="recorded">Recorded on (blank: a new session is dated today)</label>
        <input id="recorded" type="date" max="${today()}"></div>` : ''}
    </div>
    <p class="instructions" id="instructions"></p>`;
  const select = target.querySelector('#protocol');
  const explain = () => {
    const p = protocols.find(x => x.id === select.value);
    target.querySelector('#instructions').textContent =
      `${p.instructions} Typical: ${p.norm}.`;
  };
  select.addEventListener('change', explain);
  explain();
  return () => {
    const label = target.querySelector('#session').value.trim();
    const day = recorded ? target.querySelector('#recorded').value : '';
    return {
      protocol: select.value,
      side: target.querySelector('#side').value,
      // A session left at today's default label takes the recording's day as its label.
      session: day && label === today() ? day : label,
      recorded: day,
    };
  };
}

// ---------------------------------------------------------------- measuring live

async function measurePage(id) {
  const data = await api('GET', `/api/patients/${id}`);
  view.innerHTML = `
    <h1>Measure ${esc(data.patient.alias)}</h1>
    <div class="card" id="setup"><div id="picker"></div>
      <div class="actions"><button id="start-measuring">Start the camera</button>
      <a class="button secondary" href="#/patient/${id}">Back to ${esc(data.patient.alias)}</a></div></div>
    <div class="card live" id="live" hidden>
      <canvas id="frame" aria-label="live view" data-shown="0"></canvas>
      <div class="status">
        <div class="headline" id="headline">–</div>
        <div class="trialline" id="trialline"></div>
        <ul class="guidance" id="guidance"></ul>
        <p class="muted" id="people"></p>
        <div class="actions">
          <button id="toggle-trial" disabled>Start trial</button>
          <button class="secondary" id="stop-measuring">Stop the camera</button>
        </div>
        <p class="muted">Space bar: start or end a trial.</p>
        <p class="muted" id="rate">–</p>
      </div>
    </div>
    <div class="card" id="trials-card" hidden><h2>Trials</h2>
      <table>${RESULT_HEAD}<tbody id="trials"></tbody></table>
      <p class="muted" id="trial-spread"></p></div>`;
  const choice = await protocolPicker(view.querySelector('#picker'));
  let socket = null;
  let recording = false;
  // The button is enabled only while the camera's connection is open, so a click is never
  // dropped without a word (the space bar, while the camera starts, says so).
  const toggleButton = view.querySelector('#toggle-trial');
  const toggle = () => {
    if (socket && socket.readyState === 1) socket.send(JSON.stringify({ cmd: 'toggle' }));
    else if (socket && socket.readyState === 0) toast('The camera is starting: wait for its picture.');
    else toast('The camera is not running: start it first.');
  };
  const onKey = e => {
    // (Without a camera session the space bar is left to the page: it presses a focused button.)
    if (e.code === 'Space' && socket && !['INPUT', 'SELECT', 'TEXTAREA'].includes(e.target.tagName)) {
      e.preventDefault();
      toggle();
    }
  };
  document.addEventListener('keydown', onKey);
  leavePage = () => {
    document.removeEventListener('keydown', onKey);
    if (socket) {
      // Closed without a word back: its end belongs to this page, not to the one shown next.
      const closing = socket;
      socket = null;
      closing.onclose = null;
      closing.close();
      api('POST', '/api/measure/stop').catch(() => {});
    }
  };
  toggleButton.addEventListener('click', toggle);
  view.querySelector('#stop-measuring').addEventListener('click', () => {
    api('POST', '/api/measure/stop').catch(error => toast(error.message));
  });
  view.querySelector('#start-measuring').addEventListener('click', async () => {
    const start = view.querySelector('#start-measuring');
    start.disabled = true;
    const chosen = choice();
    try {
      await api('POST', '/api/measure/start', { patient: Number(id), ...chosen });
    } catch (error) {
      start.disabled = false;
      toast(error.message);
      return;
    }
    // The spread is of this test's trials on one side.
    view.querySelectorAll('#trials tr[data-value]').forEach(r => delete r.dataset.value);
    view.querySelector('#live').hidden = false;
    delete view.querySelector('#live').dataset.ended;
    view.querySelector('#frame').dataset.shown = '0';
    // The last session's last words (a trial's running time among them) are not this one's.
    view.querySelector('#headline').textContent = '–';
    view.querySelector('#trialline').textContent = '';
    view.querySelector('#trialline').classList.remove('recording');
    view.querySelector('#start-measuring').disabled = true;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${location.host}/api/measure/live`);
    socket.binaryType = 'blob';
    const mine = socket;
    const ended = () => {
      if (socket !== mine) return;
      view.querySelector('#start-measuring').disabled = false;
      view.querySelector('#live').dataset.ended = 'yes';
      toggleButton.disabled = true;
      toggleButton.textContent = 'Start trial';
      socket = null;
    };
    socket.onclose = ended;
    socket.onopen = () => {
      if (socket === mine) toggleButton.disabled = false;
    };
    let pending = null;
    const canvas = view.querySelector('#frame');
    const context = canvas.getContext('2d');
    // A click says who the patient is: the person there is measured from now on. The point goes
    // as shares of the picture, which the page shows scaled.
    canvas.onclick = e => {
      const box = canvas.getBoundingClientRect();
      // (Before the first frame there is nobody to click on.)
      if (!socket || socket.readyState !== 1 || canvas.dataset.shown === '0' || box.width === 0 || box.height === 0) return;
      const x = Math.min(Math.max((e.clientX - box.left) / box.width, 0), 1);
      const y = Math.min(Math.max((e.clientY - box.top) / box.height, 0), 1);
      socket.send(JSON.stringify({ cmd: 'pick', x, y }));
      toast('The person you clicked is measured now.');
    };
    // Text is written only when it changes: the page lays itself out again on every write, and
    // the browser shares the machine with the measuring loop.
    const put = (selector, text) => {
      const element = view.querySelector(selector);
      if (element.textContent !== text) element.textContent = text;
    };
    let guidanceShown = '';
    let drawnId = -1;
    socket.onmessage = event => {
      if (event.data instanceof Blob) {
        const id = pending;
        // Decoded off the page's thread, then drawn: cheaper than an <img> per frame.
        // Two frames can be decoding at once: one finishing late is not drawn over a newer one.
        createImageBitmap(event.data).then(bitmap => {
          // A frame of a connection closed while it was decoding is not this session's: drawn
          // and counted, it would say that the new camera is running before it is.
          if (socket !== mine) {
            bitmap.close();
            return;
          }
          if (id === null || id > drawnId) {
            drawnId = id ?? drawnId;
            if (canvas.width !== bitmap.width || canvas.height !== bitmap.height) {
              canvas.width = bitmap.width;
              canvas.height = bitmap.height;
            }
            context.drawImage(bitmap, 0, 0);
            canvas.dataset.shown = String(Number(canvas.dataset.shown) + 1);
          }
          const drawn = id === drawnId;
          bitmap.close();
          // A frame overtaken by a newer one is answered as skipped: it frees its place on the
          // way without counting as shown.
          if (id !== null && socket === mine && mine.readyState === 1) {
            mine.send(JSON.stringify(drawn ? { ack: id } : { ack: id, skipped: true }));
          }
        }).catch(() => {});
        return;
      }
      const message = JSON.parse(event.data);
      if (message.type === 'frame') {
        pending = message.id;
        recording = message.recording;
        canvas.dataset.picks = message.picks;
        put('#headline', message.headline);
        const line = view.querySelector('#trialline');
        put('#trialline', message.trial);
        line.classList.toggle('recording', recording);
        put('#toggle-trial', recording ? 'End trial' : 'Start trial');
        const guidance = message.guidance.slice(0, 3).map(g => `<li>${esc(g)}</li>`).join('');
        if (guidance !== guidanceShown) {
          view.querySelector('#guidance').innerHTML = guidance;
          guidanceShown = guidance;
        }
        put('#people', message.ambiguous
          ? 'Bodies overlap: check that the skeleton is on the patient.'
          : message.guessed
            ? 'The test\'s position did not tell who the patient is when the measured person was chosen: the nearest was taken. Click the patient to measure them (trials until then are graded fair).'
            : (message.people > 1 ? `${message.people} people in view: the patient is followed (click another person to measure them).` : ''));
        view.querySelector('#people').classList.toggle('warn', Boolean(message.ambiguous || message.guessed));
        put('#rate',
          `${message.shown_fps} frames/s shown (${Math.round(message.loop_fps)} measured) · capture to screen ${
            message.latency_ms === null ? '–' : Math.round(message.latency_ms)} ms (p90 ${
            message.latency_p90_ms === null ? '–' : Math.round(message.latency_p90_ms)} ms)`);
        const rate = view.querySelector('#rate').dataset;
        rate.fps = message.shown_fps;
        rate.loop = message.loop_fps;
        rate.latency = message.latency_ms ?? '';
      } else if (message.type === 'trial_started') {
        toast(`Trial ${message.number} started.`);
      } else if (message.type === 'trial') {
        view.querySelector('#trials-card').hidden = false;
        const rows = message.results.filter(r => r.measure === message.results[0].measure);
        const trials = view.querySelector('#trials');
        trials.insertAdjacentHTML('beforeend', resultRows(rows, true));
        rows.forEach(r => {
          if (r.value_deg !== null && r.side === rows[0].side) {
            trials.querySelector(`tr[data-measurement="${r.id}"]`).dataset.value = r.value_deg;
          }
        });
        // The spread over the trials on the page (recounted when one is discarded).
        const spread = () => {
          const values = [...trials.querySelectorAll('tr[data-value]')].map(r => Number(r.dataset.value));
          view.querySelector('#trial-spread').textContent = values.length > 1
            ? `${values.length} trials: mean ${deg(values.reduce((a, b) => a + b, 0) / values.length)}, range ${
              deg(Math.max(...values) - Math.min(...values))}.` : '';
        };
        spread();
        bindDiscard(trials, (button, discarded) => {
          // Every result of the trial goes: its rows and their warnings.
          (discarded || [Number(button.dataset.id)]).forEach(id => {
            const row = trials.querySelector(`tr[data-measurement="${id}"]`);
            if (row?.nextElementSibling?.querySelector('ul.warnings')) row.nextElementSibling.remove();
            row?.remove();
          });
          spread();
        });
        toast(`Trial ${message.number} saved to session ${message.session}.`);
      } else if (message.type === 'trial_error') {
        toast(message.error);
      } else if (message.type === 'ended') {
        if (message.error) toast(message.error);
        ended();
      }
    };
  });
}

// ---------------------------------------------------------------- uploads

async function uploadPage(id) {
  const data = await api('GET', `/api/patients/${id}`);
  view.innerHTML = `
    <h1>Upload videos for ${esc(data.patient.alias)}</h1>
    <div class="card"><div id="picker"></div>
      <div class="drop" id="drop">Drop videos here, or
        <input type="file" id="files" accept="video/*,.csv" multiple></div>
      <div id="uploads"></div>
      <div class="actions"><a class="button secondary" href="#/patient/${id}">Back to ${
        esc(data.patient.alias)}</a></div></div>`;
  const choice = await protocolPicker(view.querySelector('#picker'), true);
  const drop = view.querySelector('#drop');
  const list = view.querySelector('#uploads');
  const send = file => {
    const row = document.createElement('div');
    row.className = 'card upload';
    row.innerHTML = `<strong>${esc(file.name)}</strong> <span class="state muted">uploading</span>
      <progress max="100" value="0"></progress><div class="results"></div>`;
    list.appendChild(row);
    const bar = row.querySelector('progress');
    const state = row.querySelector('.state');
    const form = new FormData();
    const c = choice();
    form.append('protocol', c.protocol);
    form.append('side', c.side);
    form.append('session', c.session);
    form.append('date', c.recorded);
    form.append('file', file);
    const request = new XMLHttpRequest();
    request.open('POST', `/api/patients/${id}/uploads`);
    request.setRequestHeader('X-Gonio-Csrf', CSRF);
    request.upload.onprogress = e => { if (e.lengthComputable) bar.value = 50 * e.loaded / e.total; };
    request.onload = () => {
      const answer = JSON.parse(request.responseText || '{}');
      if (request.status !== 200) {
        state.textContent = answer.error || 'upload failed';
        return;
      }
      state.textContent = 'analysing';
      // A recording uploaded by mistake (an hour long) would hold every later upload back.
      const cancel = document.createElement('button');
      cancel.type = 'button';
      cancel.className = 'cancel';
      cancel.textContent = 'Cancel';
      cancel.addEventListener('click', async () => {
        cancel.disabled = true;
        try {
          await api('DELETE', `/api/jobs/${answer.job}`);
          state.textContent = 'cancelling';
        } catch (error) {
          state.textContent = error.message;
        }
      });
      state.after(cancel);
      const poll = async () => {
        const job = await api('GET', `/api/jobs/${answer.job}`);
        if (job.expected_frames) bar.value = 50 + 50 * Math.min(1, job.frames / job.expected_frames);
        if (job.state === 'running' || job.state === 'queued') {
          if (!cancel.disabled) {
            state.textContent = job.state === 'queued'
              ? 'waiting for the upload before it' : `analysing: ${job.frames} frames`;
          }
          setTimeout(poll, 400);
          return;
        }
        cancel.remove();
        bar.value = 100;
        row.dataset.state = job.state;
        if (job.state === 'cancelled') {
          state.textContent = 'cancelled: nothing saved';
          return;
        }
        if (job.state === 'failed') {
          state.textContent = job.error;
          return;
        }
        const also = (job.results[0] || {}).also_for || [];
        state.textContent = also.length
          ? `done. Warning: this recording is also saved for ${also.join(', ')}: check that it is this patient's.`
          : 'done';
        row.querySelector('.results').innerHTML =
          `<table>${RESULT_HEAD}<tbody>${resultRows(job.results, true)}</tbody></table>`;
        bindDiscard(row, () => row.remove());
      };
      poll().catch(error => { state.textContent = error.message; });
    };
    request.onerror = () => { state.textContent = 'upload failed'; };
    request.send(form);
  };
  view.querySelector('#files').addEventListener('change', e => {
    [...e.target.files].forEach(send);
    e.target.value = '';
  });
  drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', e => {
    e.preventDefault();
    drop.classList.remove('over');
    [...e.dataTransfer.files].forEach(send);
  });
}

// ---------------------------------------------------------------- routing

async function route() {
  leavePage();
  leavePage = () => {};
  const [, page, rawId] = location.hash.split('/');
  // A patient is a number; anything else in the address is not used.
  const id = /^\d+$/.test(rawId || '') ? rawId : undefined;
  try {
    if (page === 'patient' && id) await patientPage(id);
    else if (page === 'measure' && id) await measurePage(id);
    else if (page === 'upload' && id) await uploadPage(id);
    else await patientsPage();
    document.body.dataset.page = page || 'patients';
  } catch (error) {
    view.innerHTML = `<div class="card"><p class="refused">${esc(error.message)}</p>
      <a href="#/">All patients</a></div>`;
  }
}

window.addEventListener('hashchange', route);
route();
