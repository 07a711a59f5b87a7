// Block Kit and mrkdwn → HTML, the way Slack draws them. Every string from a message is escaped.
(function () {
"use strict";

const EMOJI = {
  white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", warning: "⚠️", hourglass: "⌛",
  hourglass_flowing_sand: "⏳", tada: "🎉", sos: "🆘", mag: "🔍", mag_right: "🔎", alarm_clock: "⏰",
  arrows_counterclockwise: "🔄", stop_button: "⏹️", information_source: "ℹ️", key: "🔑", lock: "🔒",
  rotating_light: "🚨", wrench: "🔧", bulb: "💡", eyes: "👀", clock1: "🕐", no_entry: "⛔",
};

// Status marks are drawn, not typed: an emoji font differs from machine to machine (or is missing, and
// the mark becomes an empty box). Each mark the bot uses maps to a small inline SVG.
const MARK_SVG = {
  ok: '<rect x="1" y="1" width="14" height="14" rx="3" fill="#2eb67d"/><path d="M4.2 8.4l2.6 2.6 5-5.6" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>',
  fail: '<path d="M3.5 3.5l9 9M12.5 3.5l-9 9" stroke="#e01e5a" stroke-width="2.6" stroke-linecap="round"/>',
  warn: '<path d="M8 1.6L15.2 14.2H.8z" fill="#ecb22e" stroke="#ecb22e" stroke-linejoin="round"/><path d="M8 5.8v4" stroke="#1d1c1d" stroke-width="1.8" stroke-linecap="round"/><circle cx="8" cy="12.2" r="1" fill="#1d1c1d"/>',
  wait: '<path d="M3.5 1.8h9M3.5 14.2h9" stroke="#7a5c00" stroke-width="1.6" stroke-linecap="round"/><path d="M4.6 2c0 3.6 6.8 3.6 6.8 6s-6.8 2.4-6.8 6M11.4 2c0 3.6-6.8 3.6-6.8 6s6.8 2.4 6.8 6" fill="none" stroke="#7a5c00" stroke-width="1.3"/><path d="M5.8 13.4c.4-2 4-2 4.4 0z" fill="#ecb22e"/>',
  skip: '<rect x="1" y="1" width="14" height="14" rx="3" fill="#9e9ea6"/><path d="M4.5 8h7" stroke="#fff" stroke-width="2" stroke-linecap="round"/>',
  idle: '<circle cx="8" cy="8" r="5.8" fill="none" stroke="#9e9ea6" stroke-width="2"/>',
  stop: '<rect x="2.5" y="2.5" width="11" height="11" rx="2" fill="#616061"/>',
};
const MARK_WORD = {ok: "works", fail: "fails", warn: "warning", wait: "running", skip: "not reached",
  idle: "not checked yet", stop: "stopped"};
const MARK_CHARS = {"\u2705": "ok", "\u2714": "ok", "\u274c": "fail", "\u2716": "fail", "\u26a0": "warn",
  "\u23f3": "wait", "\u231b": "wait", "\u23ed": "skip", "\u23fa": "idle", "\u23f9": "stop"};
const MARK_RE = new RegExp(`(${Object.keys(MARK_CHARS).join("|")})\ufe0f?`, "g");

function markHtml(kind) {
  return `<span class="mark mark-${kind}" role="img" aria-label="${MARK_WORD[kind]}">` +
    `<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">${MARK_SVG[kind]}</svg></span>`;
}

// Escaped text in, the same with every status mark drawn (run on text, never on attributes).
function marks(html) {
  return html.replace(MARK_RE, (m, ch) => markHtml(MARK_CHARS[ch]));
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

function unentity(s) {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function safeUrl(url) {
  return /^(https?:|mailto:)/i.test(url) ? url : null;
}

// One <…> token of Slack's message format: mentions, channels, special mentions, links.
function token(inner, ctx) {
  const [target, label] = inner.split("|", 2);
  if (/^@[UW][A-Z0-9]+$/.test(target)) {
    const name = (ctx.users || {})[target.slice(1)] || label || target.slice(1);
    return `<span class="mention">@${esc(name)}</span>`;
  }
  if (/^#[CG][A-Z0-9]+$/.test(target)) {
    return `<span class="mention">#${esc(label || target.slice(1))}</span>`;
  }
  if (target.startsWith("!")) {
    const word = target.slice(1).split("^")[0];
    return `<span class="mention">${esc(label || "@" + word)}</span>`;
  }
  const url = safeUrl(unentity(target));
  const text = unentity(label || target);
  const permalink = /^https:\/\/[^/]+\.slack\.com\/archives\/([A-Z0-9]+)\/p(\d+)(\d{6})/.exec(url || "");
  if (permalink) {  // a link to a message of this workspace opens its thread here, as in Slack
    return `<a href="#" data-channel="${esc(permalink[1])}" data-thread="${esc(permalink[2] + "." + permalink[3])}">${esc(text)}</a>`;
  }
  return url ? `<a href="${esc(url)}" target="_blank" rel="noopener noreferrer">${esc(text)}</a>` : esc(text);
}

function mrkdwn(src, ctx) {
  const keep = [];
  const hold = html => { keep.push(html); return `\u0000${keep.length - 1}\u0000`; };
  let s = String(src || "").replace(/<([^<>\n]+)>/g, (m, inner) => hold(token(inner, ctx)));
  s = esc(unentity(s));
  s = s.replace(/```([\s\S]*?)```/g, (m, c) => hold(`<pre class="codeblock">${c.replace(/^\n/, "")}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (m, c) => hold(`<code>${c}</code>`));
  s = s.replace(/(^|[\s(\u0000>_~])\*(?!\s)([^*\n]+?)\*(?=$|[\s).,:;!?\u2026\u0000_~-])/gm, "$1<b>$2</b>");
  s = s.replace(/(^|[\s(\u0000>*~])_(?!\s)([^_\n]+?)_(?=$|[\s).,:;!?\u2026\u0000*~-])/gm, "$1<i>$2</i>");
  s = s.replace(/(^|[\s(\u0000>*_])~(?!\s)([^~\n]+?)~(?=$|[\s).,:;!?\u2026\u0000*_-])/gm, "$1<s>$2</s>");
  s = marks(s.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m));
  s = s.split("\n").map(l => l.startsWith("&gt; ") ? `<span class="quote">${l.slice(5)}</span>` : l).join("\n");
  s = s.replace(/\n/g, "<br>");
  for (let i = 0; i < 3 && s.includes("\u0000"); i++) {
    s = s.replace(/\u0000(\d+)\u0000/g, (m, n) => keep[Number(n)]);
  }
  return s;
}

function textObj(t, ctx) {
  if (!t) return "";
  if (t.type === "mrkdwn") return mrkdwn(t.text, ctx);
  let s = esc(t.text || "");
  if (t.emoji !== false) s = s.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m);
  return marks(s).replace(/\n/g, "<br>");
}

// Buttons carry what the page needs to press them: the message, the action, the confirm dialog.
function button(el, ctx) {
  const style = el.style === "primary" ? "primary" : el.style === "danger" ? "danger" : "";
  const confirm = el.confirm ? ` data-confirm="${esc(JSON.stringify(el.confirm))}"` : "";
  return `<button class="bk-button ${style}" data-channel="${esc(ctx.channel || "")}" data-ts="${esc(ctx.ts || "")}"` +
    ` data-action="${esc(el.action_id || "")}" data-value="${esc(el.value || "")}"${confirm}` +
    `${ctx.disabled ? " disabled" : ""}>${textObj(el.text, ctx)}</button>`;
}

function element(el, ctx) {
  if (el.type === "button") return button(el, ctx);
  if (el.type === "image") return `<img class="bk-img" src="${esc(safeUrl(el.image_url) || "")}" alt="${esc(el.alt_text || "")}">`;
  if (el.type === "mrkdwn" || el.type === "plain_text") return `<span>${textObj(el, ctx)}</span>`;
  return `<span class="bk-unknown">[${esc(el.type)}]</span>`;
}

function inputElement(block, ctx) {
  const el = block.element || {};
  const id = `${esc(block.block_id)}|${esc(el.action_id || "")}`;
  const ph = el.placeholder ? ` placeholder="${esc(el.placeholder.text)}"` : "";
  if (el.type === "static_select") {
    const opt = o => `<option value="${esc(o.value)}">${esc(o.text.text)}</option>`;
    const groups = (el.option_groups || []).map(g => `<optgroup label="${esc(g.label.text)}">${g.options.map(opt).join("")}</optgroup>`);
    return `<select class="bk-input" data-input="${id}" data-type="static_select">` +
      `<option value="">${esc((el.placeholder || {}).text || "Choose…")}</option>` +
      `${(el.options || []).map(opt).join("")}${groups.join("")}</select>`;
  }
  const max = el.max_length ? ` maxlength="${Number(el.max_length)}"` : "";
  if (el.multiline) return `<textarea class="bk-input" data-input="${id}" data-type="${esc(el.type)}"${ph}${max}></textarea>`;
  return `<input class="bk-input" data-input="${id}" data-type="${esc(el.type)}"${ph}${max}>`;
}

function block(b, ctx) {
  switch (b.type) {
    case "section": {
      const text = b.text ? `<div class="bk-text">${textObj(b.text, ctx)}</div>` : "";
      const fields = b.fields ? `<div class="bk-fields">${b.fields.map(f => `<div>${textObj(f, ctx)}</div>`).join("")}</div>` : "";
      const acc = b.accessory ? `<div class="bk-accessory">${element(b.accessory, ctx)}</div>` : "";
      return `<div class="bk-section"><div class="bk-main">${text}${fields}</div>${acc}</div>`;
    }
    case "context":
      return `<div class="bk-context">${(b.elements || []).map(e => element(e, ctx)).join("")}</div>`;
    case "actions":
      return `<div class="bk-actions">${(b.elements || []).map(e => element(e, ctx)).join("")}</div>`;
    case "divider":
      return `<hr class="bk-divider">`;
    case "header":
      return `<div class="bk-header">${textObj(b.text, ctx)}</div>`;
    case "image":
      return `<div>${element(b, ctx)}</div>`;
    case "input": {
      const err = (ctx.errors || {})[b.block_id];
      return `<div class="bk-inputblock${err ? " has-error" : ""}"><label>${esc(b.label.text)}` +
        `${b.optional ? ' <span class="optional">(optional)</span>' : ""}</label>${inputElement(b, ctx)}` +
        `${b.hint ? `<div class="hint">${esc(b.hint.text)}</div>` : ""}${err ? `<div class="error">${esc(err)}</div>` : ""}</div>`;
    }
    default:
      return `<div class="bk-unknown">[unsupported block: ${esc(b.type)}]</div>`;
  }
}

function blocksHtml(blocks, ctx) {
  return (blocks || []).map(b => block(b, ctx)).join("");
}

function filesHtml(files) {
  return (files || []).map(f => `<a class="file" href="/files/${encodeURIComponent(f.id)}" download>` +
    `<span class="fileicon">📄</span><span><b>${esc(f.title || f.name)}</b><br>` +
    `<span class="filemeta">${esc(f.filetype || "")} · ${Number(f.size || 0).toLocaleString()} bytes</span></span></a>`).join("");
}

window.BlockKit = {esc, mrkdwn, blocksHtml, filesHtml, textObj, marks, markHtml};
})();
