// The web chat in the browser: a second door to the same bot, beside Telegram.
//
// Plain JavaScript, no framework, no build step, nothing from a third party. The page is
// rendered (and translated) by the server; this script talks to the API described in
// WEBCHAT_CONTRACT.md: a session secret kept in localStorage, long polling for messages,
// sending and pressing buttons. Text is only ever put on the page with textContent and
// createElement: nothing a person or the bot writes is parsed as HTML. The
// Content-Security-Policy forbids inline script and style, so there is none.
"use strict";

(() => {
  const SECRET_KEY = "peerbot-chat-secret";
  const SAFE_SCHEMES = ["https:", "http:", "tel:", "mailto:"];
  const FIRST_POLL_TIMEOUT_MS = 20000;
  const LONG_POLL_TIMEOUT_MS = 45000; // the server holds a poll up to 25 s
  const MAX_BACKOFF_S = 30;
  const MIN_EMPTY_POLL_MS = 1000;
  const TOAST_MS = 6000;
  const HELP_PREFIX = "🆘";

  const config = JSON.parse(document.getElementById("texts").textContent);
  const base = config.base;

  const byId = (id) => document.getElementById(id);
  const el = {
    start: byId("start"),
    startButton: byId("start-button"),
    chat: byId("chat"),
    transcript: byId("transcript"),
    quick: byId("quick"),
    composer: byId("composer"),
    message: byId("message"),
    counter: byId("counter"),
    toasts: byId("toasts"),
    alert: byId("alert"),
    connection: byId("connection"),
    helpNow: byId("help-now"),
    menuButton: byId("menu-button"),
    menu: byId("menu"),
    notifyItem: byId("notify-item"),
    notify: byId("notify"),
    forget: byId("forget"),
    forgetDialog: byId("forget-dialog"),
    forgetYes: byId("forget-yes"),
    forgetNo: byId("forget-no"),
  };

  const state = {
    secret: readSecret(),
    seq: 0,
    messages: new Map(), // id -> {data, node}
    keyboardKey: "",
    generation: 0, // bumped when the session ends, so a running poll loop stops
    poll: null, // the AbortController of the poll in flight
    wake: null, // ends a back-off wait early (the network came back)
    failures: 0,
    push: { key: null, subscribed: false },
    pushChecked: false,
    starting: null, // the session being created
    dialogOpener: null,
  };

  // ---- storage -------------------------------------------------------------------------

  function readSecret() {
    try {
      return window.localStorage.getItem(SECRET_KEY);
    } catch {
      return null;
    }
  }

  function writeSecret(secret) {
    try {
      window.localStorage.setItem(SECRET_KEY, secret);
    } catch {
      // Private mode without storage: the conversation lasts as long as the page.
    }
  }

  function clearSecret() {
    try {
      window.localStorage.removeItem(SECRET_KEY);
    } catch {
      // nothing kept, nothing to clear
    }
  }

  // ---- the API -------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message, retryAfter) {
      super(message);
      this.status = status;
      this.retryAfter = retryAfter;
    }
  }

  function authHeaders() {
    return state.secret ? { Authorization: "Bearer " + state.secret } : {};
  }

  async function call(method, path, body, signal) {
    const headers = authHeaders();
    const init = { method, headers, cache: "no-store", credentials: "omit", signal };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(base + "/api/" + path, init);
    if (response.status === 401 && state.secret) {
      endSession();
      throw new ApiError(401, "", null);
    }
    if (!response.ok) {
      let message = "";
      try {
        const answer = await response.json();
        if (answer && typeof answer.error === "string") message = answer.error;
      } catch {
        // no JSON body: the generic sentence is shown instead
      }
      const retryAfter = Number.parseInt(response.headers.get("Retry-After") || "", 10);
      throw new ApiError(response.status, message, Number.isFinite(retryAfter) ? retryAfter : null);
    }
    if (response.status === 204) return null;
    const type = response.headers.get("Content-Type") || "";
    return type.includes("json") ? response.json() : null;
  }

  function errorText(error, fallback) {
    return error instanceof ApiError && error.message ? error.message : fallback;
  }

  // ---- live regions --------------------------------------------------------------------

  function toast(text) {
    if (!text) return;
    const note = document.createElement("p");
    note.className = "toast";
    note.textContent = text;
    el.toasts.append(note);
    window.setTimeout(() => note.remove(), TOAST_MS);
  }

  function showAlert(text) {
    el.alert.textContent = text;
  }

  function clearAlert() {
    el.alert.textContent = "";
  }

  function showReconnecting(on) {
    const text = on ? config.reconnecting : "";
    if (el.connection.textContent !== text) el.connection.textContent = text;
  }

  // ---- screens -------------------------------------------------------------------------

  function showStart() {
    el.start.hidden = false;
    el.chat.hidden = true;
    for (const item of document.querySelectorAll(".needs-session")) item.hidden = true;
  }

  function showChat() {
    el.start.hidden = true;
    el.chat.hidden = false;
    for (const item of document.querySelectorAll(".needs-session")) item.hidden = false;
    updateNotifyItem();
  }

  function resetTranscript() {
    state.seq = 0;
    state.messages.clear();
    state.keyboardKey = "";
    el.transcript.replaceChildren();
    el.quick.replaceChildren();
    el.quick.hidden = true;
  }

  /** The secret no longer works (forgotten here, elsewhere, or unknown): start afresh. */
  function endSession() {
    state.generation += 1;
    if (state.poll) state.poll.abort();
    if (state.wake) state.wake();
    state.secret = null;
    state.push = { key: null, subscribed: false };
    state.pushChecked = false;
    clearSecret();
    resetTranscript();
    showReconnecting(false);
    clearAlert();
    closeMenu(false);
    showStart();
  }

  /** Marks a control busy without disabling it: a disabled button drops keyboard focus. */
  function setBusy(control, busy) {
    if (busy) control.setAttribute("aria-disabled", "true");
    else control.removeAttribute("aria-disabled");
  }

  function isBusy(control) {
    return control.getAttribute("aria-disabled") === "true";
  }

  /** One session at a time, even when "Start" and "I need help now" are both pressed. */
  function startSession() {
    if (!state.starting) {
      state.starting = createSession().finally(() => {
        state.starting = null;
      });
    }
    return state.starting;
  }

  async function createSession() {
    setBusy(el.startButton, true);
    try {
      const answer = await call("POST", "session", { language: config.language });
      state.secret = answer.secret;
      writeSecret(answer.secret);
      clearAlert();
      showChat();
      startPolling();
      await sendText("/start");
      el.message.focus();
      return true;
    } catch (error) {
      showAlert(errorText(error, config.failed));
      return false;
    } finally {
      setBusy(el.startButton, false);
    }
  }

  // ---- polling -------------------------------------------------------------------------

  function startPolling() {
    state.generation += 1;
    state.failures = 0;
    pollLoop(state.generation);
  }

  function pause(ms, generation) {
    return new Promise((resolve) => {
      const done = () => {
        window.clearTimeout(timer);
        if (state.wake === done) state.wake = null;
        resolve();
      };
      const timer = window.setTimeout(done, ms);
      if (generation === state.generation) state.wake = done;
    });
  }

  async function pollLoop(generation) {
    let first = true;
    // A poll after a failure does not wait, so "reconnecting" goes as soon as the server
    // answers again (a long poll would keep it on screen until something new arrives).
    let wait = false;
    while (generation === state.generation && state.secret) {
      const controller = new AbortController();
      state.poll = controller;
      const timeout = wait ? LONG_POLL_TIMEOUT_MS : FIRST_POLL_TIMEOUT_MS;
      const timer = window.setTimeout(() => controller.abort(), timeout);
      const started = Date.now();
      try {
        const query = "messages?after=" + state.seq + (wait ? "&wait=1" : "");
        const answer = await call("GET", query, undefined, controller.signal);
        if (generation !== state.generation) return;
        state.failures = 0;
        showReconnecting(false);
        if (!apply(answer, first)) return;
        const empty = !answer || !(answer.messages || []).length;
        if (wait && empty && Date.now() - started < MIN_EMPTY_POLL_MS) {
          await pause(MIN_EMPTY_POLL_MS, generation); // a poll that did not wait: no busy loop
        }
        first = false;
        wait = true;
      } catch (error) {
        if (generation !== state.generation) return;
        state.failures += 1;
        wait = false;
        showReconnecting(true);
        let seconds = Math.min(MAX_BACKOFF_S, 2 ** (state.failures - 1));
        if (error instanceof ApiError && error.retryAfter) {
          seconds = Math.max(seconds, Math.min(error.retryAfter, 120));
        }
        await pause(seconds * 1000, generation);
      } finally {
        window.clearTimeout(timer);
        if (state.poll === controller) state.poll = null;
      }
    }
  }

  window.addEventListener("online", () => {
    if (state.wake) state.wake();
  });

  /** Puts one answer of /api/messages on the page; false when the page reloads instead. */
  function apply(answer, initial) {
    if (!answer || typeof answer !== "object") return true;
    if (followLanguage(answer.language)) return false;
    if (answer.push && typeof answer.push === "object") {
      state.push = { key: answer.push.key || null, subscribed: Boolean(answer.push.subscribed) };
      updateNotifyItem();
      resyncPush();
    }
    const stick = initial || nearBottom();
    if (initial) el.transcript.setAttribute("aria-live", "off"); // not the whole history aloud
    const messages = Array.isArray(answer.messages) ? answer.messages : [];
    let mine = false;
    for (const message of messages) {
      if (upsert(message) && message.from === "me") mine = true;
    }
    if (answer.oldest === null || Number.isInteger(answer.oldest)) prune(answer.oldest);
    updateQuickReplies();
    if (initial) {
      window.requestAnimationFrame(() => el.transcript.setAttribute("aria-live", "polite"));
    }
    if (Number.isInteger(answer.seq) && answer.seq > state.seq) state.seq = answer.seq;
    for (const text of Array.isArray(answer.toasts) ? answer.toasts : []) {
      if (typeof text === "string") toast(text);
    }
    if (stick || mine) scrollToEnd();
    return true;
  }

  /** The bot's language is the person's choice: the page follows it (one reload). */
  function followLanguage(language) {
    if (typeof language !== "string" || language === config.language) return false;
    if (!/^[a-z]{2}$/.test(language)) return false;
    const url = new URL(window.location.href);
    if (url.searchParams.get("lang") === language) return false; // asked once already
    url.searchParams.set("lang", language);
    window.location.replace(url.href);
    return true;
  }

  function nearBottom() {
    const t = el.transcript;
    return t.scrollHeight - t.scrollTop - t.clientHeight < 80;
  }

  function scrollToEnd() {
    el.transcript.scrollTop = el.transcript.scrollHeight;
  }

  // ---- messages ------------------------------------------------------------------------

  /** Adds, replaces (an edit comes again with the same id) or removes one message. */
  function upsert(message) {
    if (!message || !Number.isInteger(message.id)) return false;
    const known = state.messages.get(message.id);
    if (known && Number.isInteger(known.data.seq) && known.data.seq > message.seq) return false;
    if (message.deleted) {
      if (known) {
        const hadFocus = known.node.contains(document.activeElement);
        known.node.remove();
        state.messages.delete(message.id);
        if (hadFocus) el.message.focus();
      }
      return true;
    }
    const node = renderMessage(message);
    if (known) {
      const focused = focusedButtonIndex(known.node);
      known.node.replaceWith(node);
      if (focused !== null) refocus(node, focused);
    } else {
      el.transcript.insertBefore(node, nextSibling(message.id));
    }
    state.messages.set(message.id, { data: message, node });
    if (message.from === "me") dropPending(message);
    return true;
  }

  /** Messages before the oldest one the server still keeps were erased (/delete): they go
   * from the screen at once, not only at the next visit. */
  function prune(oldest) {
    for (const [id, { node }] of state.messages) {
      if (oldest !== null && id >= oldest) continue;
      const hadFocus = node.contains(document.activeElement);
      node.remove();
      state.messages.delete(id);
      if (hadFocus) el.message.focus();
    }
  }

  /** Where a message with this id goes: before the first later one, before pending ones. */
  function nextSibling(id) {
    for (const child of el.transcript.children) {
      if (child.classList.contains("pending")) return child;
      const other = Number(child.dataset.id);
      if (other > id) return child;
    }
    return null;
  }

  function focusedButtonIndex(node) {
    if (!node.contains(document.activeElement)) return null;
    const controls = [...node.querySelectorAll("button, a")];
    return controls.indexOf(document.activeElement);
  }

  function refocus(node, index) {
    const controls = [...node.querySelectorAll("button, a")];
    const target = controls[Math.min(index, controls.length - 1)];
    if (target) target.focus();
    else el.message.focus();
  }

  function renderMessage(message) {
    const mine = message.from === "me";
    const node = document.createElement("div");
    node.className = "message " + (mine ? "me" : "bot");
    node.dataset.id = String(message.id);

    const bubble = document.createElement("div");
    bubble.className = "bubble";
    if (mine) bubble.append(srOnly(config.youWrote + " "));
    const text = typeof message.text === "string" ? message.text : "";
    renderText(bubble, text, Array.isArray(message.entities) ? message.entities : []);
    node.append(bubble);

    if (message.file && typeof message.file.url === "string") {
      node.append(downloadButton(message.file));
    }
    if (Array.isArray(message.buttons) && message.buttons.length) {
      node.append(renderButtons(message));
    }
    const when = timeElement(message.date);
    if (when) node.append(when);
    return node;
  }

  function srOnly(text) {
    const span = document.createElement("span");
    span.className = "sr-only";
    span.textContent = text;
    return span;
  }

  function timeElement(value) {
    if (typeof value !== "string") return null;
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return null;
    const today = new Date().toDateString() === date.toDateString();
    const options = today
      ? { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }
      : { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    const time = document.createElement("time");
    time.className = "meta";
    time.dateTime = value;
    time.textContent = new Intl.DateTimeFormat(config.language, options).format(date);
    return time;
  }

  // ---- text with entities --------------------------------------------------------------

  /** Entities as Telegram sends them (UTF-16 offsets, nesting allowed), made into a tree of
   * elements; anything that does not fit the text is clipped or left out. */
  function renderText(parent, text, entities) {
    const clean = entities
      .filter(
        (e) =>
          e &&
          typeof e.type === "string" &&
          Number.isInteger(e.offset) &&
          Number.isInteger(e.length) &&
          e.length > 0 &&
          e.offset >= 0 &&
          e.offset < text.length,
      )
      .map((e) => ({ ...e, end: Math.min(text.length, e.offset + e.length) }))
      .sort((a, b) => a.offset - b.offset || b.end - a.end);
    renderRange(parent, text, 0, text.length, clean);
  }

  function renderRange(parent, text, start, end, entities) {
    let position = start;
    let i = 0;
    while (i < entities.length) {
      const entity = entities[i];
      const from = Math.max(entity.offset, position);
      const to = Math.min(entity.end, end);
      let j = i + 1;
      const inner = [];
      while (j < entities.length && entities[j].offset < entity.end) {
        inner.push({ ...entities[j], end: Math.min(entities[j].end, to) });
        j += 1;
      }
      i = j;
      if (from >= to) continue;
      if (from > position) parent.append(text.slice(position, from));
      const element = entityElement(entity, text.slice(from, to));
      renderRange(
        element,
        text,
        from,
        to,
        inner.filter((e) => e.offset < to && e.end > from),
      );
      parent.append(element);
      position = to;
    }
    if (position < end) parent.append(text.slice(position, end));
  }

  const TAGS = {
    bold: "strong",
    italic: "em",
    underline: "u",
    strikethrough: "s",
    code: "code",
    pre: "pre",
    blockquote: "blockquote",
    expandable_blockquote: "blockquote",
  };

  function entityElement(entity, covered) {
    let href = null;
    if (entity.type === "text_link") href = safeUrl(entity.url);
    else if (entity.type === "url") href = safeUrl(covered);
    else if (entity.type === "email") href = safeUrl("mailto:" + covered.trim());
    else if (entity.type === "phone_number") href = safeUrl("tel:" + covered.replace(/[^\d+]/g, ""));
    if (href) return link(href);
    return document.createElement(TAGS[entity.type] || "span");
  }

  /** Only web, phone and mail links; a bare "example.org" becomes https. */
  function safeUrl(raw) {
    if (typeof raw !== "string") return null;
    let value = raw.trim();
    if (!/^[a-z][a-z0-9+.-]*:/i.test(value)) {
      if (!/^[^\s/:@]+\.[^\s]+$/.test(value)) return null;
      value = "https://" + value;
    }
    try {
      const url = new URL(value);
      return SAFE_SCHEMES.includes(url.protocol) ? url.href : null;
    } catch {
      return null;
    }
  }

  function link(href, className) {
    const a = document.createElement("a");
    a.href = href;
    a.rel = "noopener noreferrer";
    // A phone or mail link opens the phone or mail app; a new tab would stay empty.
    if (href.startsWith("http")) a.target = "_blank";
    if (className) a.className = className;
    return a;
  }

  // ---- buttons -------------------------------------------------------------------------

  function renderButtons(message) {
    const box = document.createElement("div");
    box.className = "buttons";
    for (const row of message.buttons) {
      if (!Array.isArray(row)) continue;
      const line = document.createElement("div");
      line.className = "button-row";
      for (const button of row) {
        if (!button || typeof button.text !== "string") continue;
        line.append(inlineButton(message.id, button));
      }
      if (line.childElementCount) box.append(line);
    }
    return box;
  }

  function inlineButton(messageId, button) {
    if (typeof button.url === "string") {
      const href = safeUrl(button.url);
      if (href) {
        const a = link(href, "inline-button");
        a.textContent = button.text;
        return a;
      }
      const inert = document.createElement("span");
      inert.className = "inline-button inert";
      inert.textContent = button.text;
      return inert;
    }
    const element = document.createElement("button");
    element.type = "button";
    element.className = "inline-button";
    element.textContent = button.text;
    element.addEventListener("click", () => press(messageId, button.data, element));
    return element;
  }

  async function press(messageId, data, button) {
    if (typeof data !== "string" || isBusy(button)) return;
    setBusy(button, true);
    try {
      await call("POST", "press", { message_id: messageId, data });
      clearAlert();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) {
        showAlert(errorText(error, config.failed));
      }
    } finally {
      setBusy(button, false);
    }
  }

  /** The quick replies come from the latest bot message that carries a keyboard. */
  function updateQuickReplies() {
    let latest = null;
    for (const { data } of state.messages.values()) {
      if (data.from !== "bot" || !Array.isArray(data.keyboard)) continue;
      if (!latest || data.id > latest.id) latest = data;
    }
    const rows = latest ? latest.keyboard : [];
    const labels = [];
    for (const row of rows) {
      if (!Array.isArray(row)) continue;
      for (const label of row) {
        if (typeof label !== "string" || !label.trim()) continue;
        // "I need help now" is always in the header; never twice on screen.
        if (label === config.helpNow || label.startsWith(HELP_PREFIX)) continue;
        labels.push(label);
      }
    }
    const key = JSON.stringify(labels);
    if (key === state.keyboardKey) return;
    state.keyboardKey = key;
    const hadFocus = el.quick.contains(document.activeElement);
    el.quick.replaceChildren(
      ...labels.map((label) => {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "quick-reply";
        button.textContent = label;
        button.addEventListener("click", () => sendText(label));
        return button;
      }),
    );
    el.quick.hidden = labels.length === 0;
    if (hadFocus) el.message.focus();
  }

  // ---- sending -------------------------------------------------------------------------

  function characters(text) {
    return [...text].length;
  }

  function plural(forms, n) {
    // Danish and English both choose the form by n != 1 (the catalogs' Plural-Forms).
    return (n === 1 ? forms.one : forms.other).replace("{n}", String(n));
  }

  function pendingNode(text) {
    const node = document.createElement("div");
    node.className = "message me pending";
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.append(srOnly(config.youWrote + " "), text);
    const status = document.createElement("span");
    status.className = "meta";
    status.textContent = config.sending;
    node.append(bubble, status);
    return node;
  }

  function dropPending(message) {
    for (const node of el.transcript.querySelectorAll(".pending")) {
      if (node.dataset.id === String(message.id)) {
        node.remove();
        return;
      }
    }
    for (const node of el.transcript.querySelectorAll(".pending")) {
      if (!node.dataset.id && node.dataset.text === message.text) {
        node.remove();
        return;
      }
    }
  }

  /** Sends one message; the person sees it at once as "Sending…". False if it failed. */
  async function sendText(text) {
    if (!state.secret) return false;
    if (!text.trim()) return false;
    const over = characters(text) - config.maxLength;
    if (over > 0) {
      showAlert(plural(config.charactersOver, over));
      return false;
    }
    const pending = pendingNode(text);
    pending.dataset.text = text;
    el.transcript.append(pending);
    scrollToEnd();
    try {
      const answer = await call("POST", "send", { text });
      clearAlert();
      if (answer && Number.isInteger(answer.id)) {
        if (state.messages.has(answer.id)) pending.remove();
        else pending.dataset.id = String(answer.id);
      }
      return true;
    } catch (error) {
      pending.remove();
      if (!(error instanceof ApiError && error.status === 401)) {
        showAlert(errorText(error, config.sendFailed));
      }
      return false;
    }
  }

  async function sendFromComposer() {
    const text = el.message.value;
    if (!text.trim()) return;
    if (characters(text) > config.maxLength) {
      showAlert(plural(config.charactersOver, characters(text) - config.maxLength));
      return;
    }
    el.message.value = "";
    updateComposer();
    const sent = await sendText(text);
    if (!sent && !el.message.value) {
      el.message.value = text; // nothing a person wrote is lost
      updateComposer();
    }
  }

  function updateComposer() {
    const value = el.message.value;
    const left = config.maxLength - characters(value);
    if (left > config.counterFrom) {
      el.counter.textContent = "";
      el.counter.classList.remove("over");
    } else if (left >= 0) {
      el.counter.textContent = plural(config.charactersLeft, left);
      el.counter.classList.remove("over");
    } else {
      el.counter.textContent = plural(config.charactersOver, -left);
      el.counter.classList.add("over");
    }
    // Grow with the text up to six lines (rows, not a style: the CSP forbids inline style).
    const lines = value.split("\n").length;
    el.message.rows = Math.max(2, Math.min(6, lines));
  }

  el.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    sendFromComposer();
  });

  el.message.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendFromComposer();
    }
  });

  el.message.addEventListener("input", updateComposer);

  // ---- files ---------------------------------------------------------------------------

  function downloadButton(file) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "download";
    const name = typeof file.name === "string" && file.name ? file.name : "file";
    button.textContent = config.download.replace("{name}", name);
    button.addEventListener("click", () => download(file.url, name, button));
    return button;
  }

  /** The file needs the secret, so it is fetched here and saved from memory; the secret is
   * sent only to this chat's own server. */
  async function download(address, name, button) {
    const url = new URL(address, window.location.href);
    if (url.origin !== window.location.origin) {
      showAlert(config.failed);
      return;
    }
    if (isBusy(button)) return;
    setBusy(button, true);
    try {
      const response = await fetch(url.href, {
        headers: authHeaders(),
        cache: "no-store",
        credentials: "omit",
      });
      if (response.status === 401) {
        endSession();
        return;
      }
      if (!response.ok) throw new Error(String(response.status));
      const blob = await response.blob();
      const href = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = href;
      a.download = name;
      a.hidden = true;
      document.body.append(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(href), 60000);
      clearAlert();
    } catch {
      showAlert(config.failed);
    } finally {
      setBusy(button, false);
    }
  }

  // ---- help now, the menu and the language -----------------------------------------------

  el.helpNow.addEventListener("click", async () => {
    closeMenu(false);
    if (!state.secret && !(await startSession())) return;
    await sendText(config.helpNow);
  });

  el.startButton.addEventListener("click", () => startSession());

  function openMenu() {
    el.menu.hidden = false;
    el.menuButton.setAttribute("aria-expanded", "true");
    const first = el.menu.querySelector("li:not([hidden]) button, li:not([hidden]) a");
    if (first) first.focus();
  }

  function closeMenu(returnFocus) {
    if (el.menu.hidden) return;
    el.menu.hidden = true;
    el.menuButton.setAttribute("aria-expanded", "false");
    if (returnFocus) el.menuButton.focus();
  }

  el.menuButton.addEventListener("click", () => {
    if (el.menu.hidden) openMenu();
    else closeMenu(false);
  });

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !el.menu.hidden) {
      event.preventDefault();
      closeMenu(true);
    }
  });

  document.addEventListener("click", (event) => {
    if (el.menu.hidden) return;
    if (el.menu.contains(event.target) || el.menuButton.contains(event.target)) return;
    closeMenu(false);
  });

  el.menu.addEventListener("focusout", (event) => {
    const next = event.relatedTarget;
    if (next && !el.menu.contains(next) && next !== el.menuButton) closeMenu(false);
  });

  for (const item of el.menu.querySelectorAll("[data-send]")) {
    item.addEventListener("click", () => {
      closeMenu(false);
      el.message.focus();
      sendText(item.dataset.send);
    });
  }

  for (const anchor of document.querySelectorAll("a[data-language]")) {
    anchor.addEventListener("click", async (event) => {
      if (!state.secret) return; // the link itself reloads the page in that language
      event.preventDefault();
      try {
        await call("POST", "language", { language: anchor.dataset.language });
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return;
      }
      window.location.assign(anchor.href);
    });
  }

  // ---- forgetting this device ----------------------------------------------------------

  el.forget.addEventListener("click", () => {
    state.dialogOpener = el.menuButton; // the menu closes; its button stays
    closeMenu(false);
    el.forgetDialog.showModal();
  });

  el.forgetNo.addEventListener("click", () => el.forgetDialog.close());

  el.forgetDialog.addEventListener("close", () => {
    const target = state.secret ? state.dialogOpener : el.startButton;
    state.dialogOpener = null;
    if (target && !target.closest("[hidden]")) target.focus();
  });

  el.forgetYes.addEventListener("click", async () => {
    if (isBusy(el.forgetYes)) return;
    setBusy(el.forgetYes, true);
    try {
      await call("POST", "forget");
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) {
        el.forgetDialog.close();
        showAlert(errorText(error, config.failed));
        return;
      }
    } finally {
      setBusy(el.forgetYes, false);
    }
    await unsubscribeHere();
    endSession();
    el.forgetDialog.close();
  });

  // ---- notifications (Web Push) --------------------------------------------------------

  function pushSupported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  function updateNotifyItem() {
    el.notifyItem.hidden = !state.secret || !state.push.key;
    el.notify.setAttribute("aria-pressed", state.push.subscribed ? "true" : "false");
  }

  function keyBytes(key) {
    const padded = key.replace(/-/g, "+").replace(/_/g, "/");
    const binary = window.atob(padded + "=".repeat((4 - (padded.length % 4)) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  }

  function sameKey(buffer, bytes) {
    if (!buffer) return false;
    const other = new Uint8Array(buffer);
    return other.length === bytes.length && other.every((b, i) => b === bytes[i]);
  }

  async function registration() {
    const scope = base + "/";
    const reg = await navigator.serviceWorker.register(base + "/sw.js", { scope });
    if (reg.active) return reg;
    const worker = reg.installing || reg.waiting;
    await new Promise((resolve) => {
      worker.addEventListener("statechange", () => {
        if (worker.state === "activated") resolve();
      });
    });
    return reg;
  }

  async function subscribe() {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      toast(permission === "denied" ? config.notificationsBlocked : config.notificationsOff);
      return;
    }
    const reg = await registration();
    const key = keyBytes(state.push.key);
    let subscription = await reg.pushManager.getSubscription();
    if (subscription && !sameKey(subscription.options.applicationServerKey, key)) {
      await subscription.unsubscribe(); // made for another server key
      subscription = null;
    }
    if (!subscription) {
      subscription = await reg.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: key,
      });
    }
    await call("POST", "push", { subscription: subscription.toJSON() });
    state.push.subscribed = true;
    updateNotifyItem();
    toast(config.notificationsOn);
  }

  async function unsubscribeHere() {
    if (!pushSupported()) return;
    try {
      const reg = await navigator.serviceWorker.getRegistration(base + "/");
      const subscription = reg ? await reg.pushManager.getSubscription() : null;
      if (subscription) await subscription.unsubscribe();
    } catch {
      // nothing to undo here
    }
  }

  async function unsubscribe() {
    await call("DELETE", "push");
    await unsubscribeHere();
    state.push.subscribed = false;
    updateNotifyItem();
    toast(config.notificationsOff);
  }

  el.notify.addEventListener("click", async () => {
    closeMenu(false);
    el.menuButton.focus();
    if (!pushSupported() || !state.push.key) {
      toast(config.notificationsUnsupported);
      return;
    }
    try {
      if (state.push.subscribed) await unsubscribe();
      else await subscribe();
    } catch (error) {
      if (error instanceof ApiError) {
        if (error.status !== 401) showAlert(errorText(error, config.failed));
      } else {
        toast(config.notificationsUnsupported); // e.g. no push service in this browser
      }
    }
  });

  /** A subscription this browser still holds but the server lost (it expired there, say)
   * is given back once per visit: the person said yes and has not said no since. */
  async function resyncPush() {
    if (state.pushChecked || state.push.subscribed || !state.push.key || !pushSupported()) return;
    state.pushChecked = true;
    if (Notification.permission !== "granted") return;
    try {
      const reg = await navigator.serviceWorker.getRegistration(base + "/");
      const subscription = reg ? await reg.pushManager.getSubscription() : null;
      if (!subscription || !sameKey(subscription.options.applicationServerKey, keyBytes(state.push.key))) return;
      await call("POST", "push", { subscription: subscription.toJSON() });
      state.push.subscribed = true;
      updateNotifyItem();
    } catch {
      // it stays off; the menu can turn it on
    }
  }

  // ---- another tab forgot this device ---------------------------------------------------

  window.addEventListener("storage", (event) => {
    if (event.key === SECRET_KEY && !event.newValue && state.secret) endSession();
  });

  // ---- start ---------------------------------------------------------------------------

  updateComposer();
  if (state.secret) {
    showChat();
    startPolling();
  } else {
    showStart();
  }
})();
