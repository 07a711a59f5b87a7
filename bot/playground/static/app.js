// The playground page: polls the state, draws both channels, a thread, the modal and the admin panel,
// and sends what you do (commands, clicks, form submissions, fixes) to the playground server.
"use strict";

const {esc, mrkdwn, blocksHtml, filesHtml, textObj, markHtml} = window.BlockKit;
const HELP = "C0PLAYHELP";
const BOT = "U0APRITY";
let state = null;
let lastJson = "";
let openThread = null; // {channel, ts}
let shownView = "";    // id + hash of the modal on screen, so typing in it is never redrawn away
let viewErrors = {};
let viewErrorsFor = "";  // the view the errors belong to
let adminOrg = "";
let knownSessions = null;  // session ids already seen: a new one (a command, the form) moves the admin panel
let showingHome = false;  // the bot's Home tab in place of the channels, as Slack shows an app's Home

async function api(path, body) {
  const r = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(data.error || `HTTP ${r.status}`);
  return data;
}

function time(ts) {
  const d = new Date(Number(ts) * 1000);
  return d.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
}

function message(m, channel, opts = {}) {
  const isBot = m.user === BOT || m.bot_id;
  const name = isBot ? "aprity-diagnose" : (state.users[m.user] || m.user);
  const ctx = {users: state.users, channel, ts: m.ts};
  const body = m.blocks && m.blocks.length ? blocksHtml(m.blocks, ctx) : `<div class="bk-text">${mrkdwn(m.text, ctx)}</div>`;
  const comment = m.files && m.text ? `<div class="bk-text">${mrkdwn(m.text, ctx)}</div>` : "";
  let replies = "";
  if (!opts.inThread && m.replies && m.replies.length) {
    const n = m.replies.length;
    replies = `<button class="replies" data-thread="${esc(m.ts)}" data-channel="${esc(channel)}">` +
      `<span class="avatars"><span class="avatar tiny">a</span></span>${n} ${n === 1 ? "reply" : "replies"}` +
      `<span class="lastreply">Last reply ${time(m.replies[n - 1].ts)}</span></button>`;
  }
  const avatar = isBot ? `<div class="avatar bot">a</div>` : `<div class="avatar you">${esc(name[0] || "?")}</div>`;
  const badge = isBot ? `<span class="badge">APP</span>` : "";
  const edited = m.updates ? `<span class="edited">(edited)</span>` : "";
  return `<div class="msg" data-ts="${esc(m.ts)}">${avatar}<div class="msgbody">` +
    `<div class="msghead"><span class="author">${esc(name)}</span>${badge}<span class="time">${time(m.ts)}</span>${edited}</div>` +
    `${m.files ? comment + filesHtml(m.files) : body}${replies}</div></div>`;
}

function ephemeral(e, channel) {
  // Its buttons work (explain's "Share in channel"): the click names the ephemeral reply by its ts.
  const ctx = {users: state.users, channel, ts: e.message_ts};
  const body = e.blocks && e.blocks.length ? blocksHtml(e.blocks, ctx) : `<div class="bk-text">${mrkdwn(e.text, ctx)}</div>`;
  return `<div class="msg ephemeral" data-ts="${esc(e.message_ts)}"><div class="avatar bot">a</div><div class="msgbody">` +
    `<div class="msghead"><span class="author">aprity-diagnose</span><span class="badge">APP</span>` +
    `<span class="time">${time(e.message_ts)}</span></div>${body}` +
    `<div class="onlyyou">👁 Only visible to you</div></div></div>`;
}

function keepScroll(el, html) {
  const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  el.innerHTML = html;
  if (atBottom) el.scrollTop = el.scrollHeight;
}

function renderChannels() {
  for (const ch of state.channels) {
    const items = ch.messages.map(m => ({ts: m.ts, html: message(m, ch.id)}));
    for (const e of ch.ephemeral) {
      if (e.user === state.me.id && !e.thread_ts) items.push({ts: e.message_ts, html: ephemeral(e, ch.id)});
    }
    items.sort((a, b) => Number(a.ts) - Number(b.ts));
    const empty = `<div class="empty">No messages yet.${ch.id === HELP ? " Type <code>/aprity-diagnose</code> below." : ""}</div>`;
    keepScroll(document.getElementById(`messages-${ch.id}`), items.length ? items.map(i => i.html).join("") : empty);
  }
}

function renderThread() {
  const pane = document.getElementById("thread");
  if (!openThread) { pane.hidden = true; return; }
  const ch = state.channels.find(c => c.id === openThread.channel);
  const parent = ch && ch.messages.find(m => m.ts === openThread.ts);
  if (!parent) { pane.hidden = true; return; }
  pane.hidden = false;
  document.getElementById("thread-where").textContent = `# ${ch.name}`;
  const n = parent.replies.length;
  const items = parent.replies.map(r => ({ts: r.ts, html: message(r, ch.id, {inThread: true})}));
  for (const e of ch.ephemeral) {
    if (e.user === state.me.id && e.thread_ts === parent.ts) items.push({ts: e.message_ts, html: ephemeral(e, ch.id)});
  }
  items.sort((a, b) => Number(a.ts) - Number(b.ts));
  const html = message(parent, ch.id, {inThread: true}) +
    `<div class="replycount">${n} ${n === 1 ? "reply" : "replies"}</div>` + items.map(i => i.html).join("");
  keepScroll(document.getElementById("thread-messages"), html);
}

function renderModal() {
  const overlay = document.getElementById("modal");
  const v = state.view;
  if (!v) { overlay.hidden = true; shownView = ""; return; }
  const errors = viewErrorsFor === v.id ? viewErrors : {};
  const key = `${v.id}:${v.hash}:${JSON.stringify(errors)}`;
  if (key === shownView) return;
  const values = readModal();  // keep what was typed when the modal is redrawn for errors
  shownView = key;
  overlay.hidden = false;
  overlay.innerHTML = `<form class="modal" id="modal-form" data-view="${esc(v.id)}">` +
    `<div class="modalhead"><span>${textObj(v.title, {})}</span><button type="button" class="close" id="modal-x">✕</button></div>` +
    `<div class="modalbody">${blocksHtml(v.blocks, {users: state.users, errors})}</div>` +
    `<div class="modalfoot"><button type="button" class="bk-button" id="modal-cancel">${textObj(v.close || {text: "Cancel"}, {})}</button>` +
    `<button type="submit" class="bk-button primary">${textObj(v.submit || {text: "Submit"}, {})}</button></div></form>`;
  for (const [key2, val] of Object.entries(values)) {
    const input = overlay.querySelector(`[data-input="${CSS.escape(key2)}"]`);
    if (input) input.value = val;
  }
}

function readModal() {
  const out = {};
  document.querySelectorAll("#modal [data-input]").forEach(el => { out[el.dataset.input] = el.value; });
  return out;
}

function modalValues() {
  const values = {};
  document.querySelectorAll("#modal [data-input]").forEach(el => {
    const [blockId, actionId] = el.dataset.input.split("|");
    const v = el.value.trim();
    const entry = el.dataset.type === "static_select"
      ? {type: "static_select", selected_option: v ? {text: {type: "plain_text", text: v}, value: v} : null}
      : {type: el.dataset.type, value: v || null};
    values[blockId] = {[actionId]: entry};
  });
  return values;
}

// The admin panel shows the org you are working on: the connection of your last command (or form),
// or of the thread you open, whichever came last. Choosing another in the list holds until then.
function followConnection(name) {
  if (!state || !name || !state.admin.orgs.some(o => o.name === name)) return;
  adminOrg = name;
  renderAdmin();
}

function followNewSessions() {
  const ids = state.sessions.map(x => x.id);
  if (knownSessions === null) { knownSessions = new Set(ids); return; }  // what was there before the page opened
  const fresh = state.sessions.filter(x => !knownSessions.has(x.id));  // newest first
  fresh.forEach(x => knownSessions.add(x.id));
  if (fresh.length) followConnection(fresh[0].connection);
}

function sessionOf(channel, ts) {
  return state.sessions.find(x => x.channel === channel && x.thread_ts === ts);
}

function fixButtons(where, heading) {
  const fixes = state.admin.fixes.filter(f => f.where === where);
  if (!fixes.length) return "";
  return `<div class="fixgroup">${heading}</div>` + fixes.map(f =>
    `<button class="fix ${esc(where)}" data-fix="${esc(f.id)}" data-where="${esc(where)}">${esc(f.label)}</button>`).join("");
}

function renderAdmin() {
  const select = document.getElementById("admin-org");
  const orgs = state.admin.orgs;
  const names = orgs.map(o => o.name).join("\n");
  if (select.dataset.names !== names) {  // orgs.py decides which orgs there are: list them all
    select.innerHTML = orgs.map(o => `<option value="${esc(o.name)}">${esc(o.name)} — ${esc(o.org)}</option>`).join("");
    select.dataset.names = names;
  }
  if (!orgs.some(o => o.name === adminOrg)) adminOrg = orgs[0].name;
  if (select.value !== adminOrg) select.value = adminOrg;
  const o = orgs.find(x => x.name === adminOrg);
  const rows = o.settings.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("");
  const pending = o.pending.map(p => `<li>${markHtml("wait")} ${esc(p.label)}: visible to Salesforce logins in ${Math.ceil(p.in)} s</li>`).join("");
  const key = o.consumer_key_matches ? `<span class="keyline">aprity's Consumer Key matches the app</span>`
    : `<span class="keyline bad">aprity's Consumer Key is not this app's</span>`;
  document.getElementById("admin-body").innerHTML =
    `<div class="orgline">${esc(o.title)}</div>` +
    `<div class="orgmeta">${esc(o.org)} · ${o.sandbox ? "sandbox" : "production"} · <code>${esc(o.org_id)}</code><br>` +
    `${esc(o.app_kind)} <b>${esc(o.app_name)}</b><br>` +
    `user <code>${esc(o.username)}</code><br>aprity uses <code>${esc(o.login_url)}</code><br>${key}</div>` +
    `<table class="settings">${rows}</table>` +
    (pending ? `<ul class="pending">${pending}</ul>` : "") +
    `<div class="adminlabel">Apply a fix from the guide</div><div class="fixes">` +
    fixButtons("salesforce", "In Salesforce (the customer's admin)") +
    fixButtons("aprity", "On aprity's side (the connections file)") + `</div>` +
    `<div class="adminnote">Salesforce takes 2–10 minutes to apply app changes; here it takes ` +
    `${state.admin.propagation_delay} s. Changes on aprity's side apply at once. The bot retests on its own.</div>`;
}

function renderHome() {
  document.querySelector(".workspace").classList.toggle("showing-home", showingHome);
  document.getElementById("home").hidden = !showingHome;
  document.querySelectorAll(".sidebar .navitem").forEach(el => el.classList.toggle("active",
    showingHome ? el.id === "nav-home" : el.dataset.focus === HELP));
  if (!showingHome) return;
  const v = state.home;
  document.getElementById("home-body").innerHTML = v && v.blocks
    ? blocksHtml(v.blocks, {users: state.users}) : `<div class="empty">Opening the Home tab…</div>`;
}

function render() {
  renderChannels();
  renderHome();
  renderThread();
  renderModal();
  renderAdmin();
}

async function poll() {
  try {
    const r = await fetch("/api/state", {cache: "no-store"});
    const text = await r.text();
    if (text !== lastJson) { lastJson = text; state = JSON.parse(text); followNewSessions(); render(); }
    else if (state && state.admin.orgs.some(o => o.pending.length)) renderAdmin();  // countdowns
  } catch (e) { /* the server restarts or stops: try again */ }
  setTimeout(poll, 500);
}

function showConfirm(spec) {
  return new Promise(resolve => {
    const overlay = document.getElementById("confirm");
    const style = spec.style === "danger" ? "danger" : "primary";
    overlay.innerHTML = `<div class="modal small"><div class="modalhead"><span>${textObj(spec.title, {})}</span></div>` +
      `<div class="modalbody">${textObj(spec.text, {users: state.users})}</div><div class="modalfoot">` +
      `<button class="bk-button" data-answer="no">${textObj(spec.deny || {text: "Cancel"}, {})}</button>` +
      `<button class="bk-button ${style}" data-answer="yes">${textObj(spec.confirm || {text: "Yes"}, {})}</button></div></div>`;
    overlay.hidden = false;
    overlay.onclick = ev => {
      const b = ev.target.closest("[data-answer]");
      if (!b) return;
      overlay.hidden = true;
      resolve(b.dataset.answer === "yes");
    };
  });
}

function toast(text) {
  const t = document.createElement("div");
  t.className = "toast";
  t.textContent = text;
  document.body.appendChild(t);
  setTimeout(() => t.remove(), 4000);
}

// ---- the composer and its slash-command suggestions -------------------------------------------
const input = document.getElementById("composer-input");
const suggest = document.getElementById("suggest");

function suggestions() {
  const names = state ? state.connections : [];
  const title = n => ((state.admin.orgs.find(o => o.name === n) || {}).title || "diagnose this saved connection");
  return [...names.map(n => [`/aprity-diagnose ${n}`, title(n)]),
    ["/aprity-diagnose", "open the form"], ["/aprity-diagnose help", "how to use it"],
    ["/aprity-diagnose explain ", "paste an error message after it"]];
}

input.addEventListener("input", () => {
  const v = input.value;
  const items = v.startsWith("/") ? suggestions().filter(([cmd]) => cmd.startsWith(v) || v.startsWith("/aprity-diagnose") && cmd.includes(v.slice(17).trim())) : [];
  suggest.hidden = !items.length;
  suggest.innerHTML = items.map(([cmd, what]) => `<li data-cmd="${esc(cmd)}"><b>${esc(cmd)}</b><span>${esc(what)}</span></li>`).join("");
});

suggest.addEventListener("mousedown", ev => {
  const li = ev.target.closest("li");
  if (!li) return;
  ev.preventDefault();
  input.value = li.dataset.cmd;
  suggest.hidden = true;
  input.focus();
});

document.getElementById("composer").addEventListener("submit", async ev => {
  ev.preventDefault();
  const text = input.value.trim();
  suggest.hidden = true;
  if (!text) return;
  if (!text.startsWith("/aprity-diagnose")) { toast("Only the bot listens here: start with /aprity-diagnose"); return; }
  input.value = "";
  followConnection(text.slice("/aprity-diagnose".length).trim().split(/\s+/)[0]);
  try { await api("/api/command", {channel: HELP, text}); } catch (e) { toast(`Not sent: ${e.message}`); }
  setTimeout(poll, 0);
});

// ---- clicks anywhere: buttons, threads, admin fixes, modal ----------------------------------
document.addEventListener("click", async ev => {
  const btn = ev.target.closest(".bk-button[data-action]");
  if (btn && !btn.disabled) {
    if (btn.dataset.confirm && !(await showConfirm(JSON.parse(btn.dataset.confirm)))) return;
    btn.disabled = true;
    try {
      await api("/api/click", {channel: btn.dataset.channel, ts: btn.dataset.ts, action_id: btn.dataset.action, value: btn.dataset.value});
    } catch (e) { toast(`Not sent: ${e.message}`); btn.disabled = false; }
    return;
  }
  const rep = ev.target.closest("[data-thread]");
  if (rep) {
    ev.preventDefault();
    showingHome = false;  // a thread link on the Home tab opens the thread beside its channel
    openThread = {channel: rep.dataset.channel, ts: rep.dataset.thread};
    const session = state && sessionOf(openThread.channel, openThread.ts);
    if (session) followConnection(session.connection);
    renderHome(); renderThread(); return;
  }
  if (ev.target.closest("[data-home]")) {
    showingHome = true;
    renderHome();
    try { await api("/api/home", {}); } catch (e) { toast(`Not opened: ${e.message}`); }
    setTimeout(poll, 0);
    return;
  }
  if (ev.target.closest("#home-close, [data-focus]")) { showingHome = false; renderHome(); return; }
  if (ev.target.closest("#thread-close")) { openThread = null; renderThread(); return; }
  const fix = ev.target.closest("[data-fix]");
  if (fix) {
    const org = adminOrg;
    const failing = state.sessions.some(x => x.connection === org && x.status === "failing");
    const label = fix.textContent;
    if (!failing && !(await showConfirm({
      title: {type: "plain_text", text: "No failing session"},
      text: {type: "mrkdwn", text: `No session of *${org}* is failing, so nothing is waiting for this fix. ` +
        `Apply “${label}” to ${fix.dataset.where === "aprity" ? "aprity's record of it" : "its org"} anyway?`},
      confirm: {type: "plain_text", text: "Apply anyway"}, deny: {type: "plain_text", text: "Cancel"}}))) return;
    try {
      const r = await api("/api/fix", {connection: org, fix: fix.dataset.fix});
      toast(`${r.label}: applied to ${org}`);
    } catch (e) { toast(`Not applied: ${e.message}`); }
    return;
  }
  if (ev.target.closest("#modal-cancel, #modal-x")) {
    const form = document.getElementById("modal-form");
    await api("/api/view/close", {view_id: form.dataset.view});
  }
});

document.getElementById("admin-org").addEventListener("change", ev => { adminOrg = ev.target.value; renderAdmin(); });

document.getElementById("modal").addEventListener("submit", async ev => {
  ev.preventDefault();
  const form = ev.target;
  try {
    const r = await api("/api/view", {view_id: form.dataset.view, values: modalValues()});
    viewErrors = r.errors || {};
    viewErrorsFor = form.dataset.view;
    shownView = "";
    if (state) renderModal();
  } catch (e) { toast(`Not sent: ${e.message}`); }
});

poll();
