// kanava web chat widget. No build step: plain browser JavaScript.
// KanavaChat.mount(element, {server: 'https://chat.example.fi', lang: 'fi'})
(function () {
  'use strict';
  // Where this chat instance is mounted (the site's root, or a prefix such as /chat-sv): the
  // folder chat.js was loaded from.
  var BASE = document.currentScript
    ? new URL('.', document.currentScript.src).href.replace(/\/$/, '')
    : location.origin;
  var UI = {
    fi: { title: 'Kysy meiltä', input: 'Kysymyksesi', send: 'Lähetä', langs: 'Kieli', helpful: 'Hyödyllinen vastaus', unhelpful: 'Ei hyödyllinen vastaus', you: 'Sinä', bot: 'Chatbot', connecting: 'Yhdistetään…', offline: 'Yhteys katkesi. Yhdistetään uudelleen…', thanks: 'Kiitos palautteesta!', hint: 'Älä kirjoita henkilötietoja.', close: 'Sulje chat', restart: 'Uusi keskustelu',
          errors: { empty: 'Kirjoita ensin kysymys.', too_large: 'Viesti on liian pitkä.', rate_limited: 'Lähetät viestejä liian nopeasti.', malformed: 'Viestiä ei voitu lukea.', binary: 'Viestiä ei voitu lukea.' } },
    sv: { title: 'Fråga oss', input: 'Din fråga', send: 'Skicka', langs: 'Språk', helpful: 'Hjälpsamt svar', unhelpful: 'Inte hjälpsamt svar', you: 'Du', bot: 'Chattrobot', connecting: 'Ansluter…', offline: 'Anslutningen bröts. Ansluter igen…', thanks: 'Tack för responsen!', hint: 'Skriv inga personuppgifter.', close: 'Stäng chatten', restart: 'Ny konversation',
          errors: { empty: 'Skriv en fråga först.', too_large: 'Meddelandet är för långt.', rate_limited: 'Du skickar meddelanden för snabbt.', malformed: 'Meddelandet kunde inte läsas.', binary: 'Meddelandet kunde inte läsas.' } },
    en: { title: 'Ask us', input: 'Your question', send: 'Send', langs: 'Language', helpful: 'Helpful answer', unhelpful: 'Not a helpful answer', you: 'You', bot: 'Chatbot', connecting: 'Connecting…', offline: 'Connection lost. Reconnecting…', thanks: 'Thanks for the feedback!', hint: 'Please do not write personal data.', close: 'Close chat', restart: 'New conversation',
          errors: { empty: 'Write a question first.', too_large: 'The message is too long.', rate_limited: 'You are sending messages too fast.', malformed: 'The message could not be read.', binary: 'The message could not be read.' } }
  };

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) e.textContent = text;
    return e;
  }

  function mount(root, opts) {
    opts = opts || {};
    var lang = UI[opts.lang] ? opts.lang : 'fi';
    var server = opts.server || BASE;
    var wsUrl = server.replace(/^http/, 'ws') + '/ws';
    var storeKey = 'kanava-chat:' + server;
    var ws, ready = false, queue = [], awaitingThanks = false;

    root.classList.add('kanava');
    root.setAttribute('lang', lang);
    var header = el('header');
    var h1 = el('h1', { id: 'kanava-title' });
    var langs = el('div', { class: 'langs', role: 'group' });
    var langButtons = {};
    ['fi', 'sv', 'en'].forEach(function (l) {
      var b = el('button', { type: 'button', 'data-lang': l, lang: l }, { fi: 'Suomi', sv: 'Svenska', en: 'English' }[l]);
      b.addEventListener('click', function () { setLang(l, true); });
      langButtons[l] = b;
      langs.appendChild(b);
    });
    header.appendChild(h1);
    header.appendChild(langs);
    // Start over: forget the chat token, clear the log, reconnect as a new chat.
    var restarting = false;
    var restart = el('button', { type: 'button', 'data-kanava': 'new' });
    restart.addEventListener('click', function () {
      try { sessionStorage.removeItem(storeKey); } catch (e) { /* storage may be blocked */ }
      while (log.firstChild) log.removeChild(log.firstChild);
      restarting = true;
      if (ws) ws.close(); else connect();
      input.focus();
    });
    header.appendChild(restart);
    // Embedded in another site's page (an iframe from embed.js): a close button, and Escape
    // closes too; the host page hides the frame and returns focus to its launcher.
    var closeButton = null;
    function askToClose() { try { window.parent.postMessage('kanava:close', '*'); } catch (e) { /* not framed */ } }
    if (opts.embedded) {
      closeButton = el('button', { type: 'button', class: 'close', 'data-kanava': 'close' });
      closeButton.innerHTML = '<svg aria-hidden="true" focusable="false" width="18" height="18" viewBox="0 0 24 24"><path fill="currentColor" d="M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z"/></svg>';
      closeButton.addEventListener('click', askToClose);
      header.appendChild(closeButton);
      root.addEventListener('keydown', function (e) { if (e.key === 'Escape') askToClose(); });
    }
    var log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', tabindex: '0' });
    var status = el('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
    var form = el('form', { autocomplete: 'off' });
    var label = el('label', { for: 'kanava-input', class: 'sr-only' });
    var input = el('textarea', { id: 'kanava-input', rows: '2' });
    // The server's limit, counted as it counts: bytes of UTF-8.
    var maxBytes = 4096;
    var send = el('button', { type: 'submit', class: 'primary' });
    form.appendChild(label); form.appendChild(input); form.appendChild(send);
    root.setAttribute('role', 'region');
    root.setAttribute('aria-labelledby', 'kanava-title');
    root.appendChild(header); root.appendChild(log); root.appendChild(status); root.appendChild(form);

    function t() { return UI[lang]; }
    function setLang(l, tell) {
      lang = l;
      root.setAttribute('lang', l);
      h1.textContent = t().title;
      langs.setAttribute('aria-label', t().langs);
      label.textContent = t().input;
      input.setAttribute('placeholder', t().hint);
      send.textContent = t().send;
      restart.textContent = t().restart;
      if (closeButton) closeButton.setAttribute('aria-label', t().close);
      document.documentElement.setAttribute('lang', l);
      Object.keys(langButtons).forEach(function (k) { langButtons[k].setAttribute('aria-pressed', String(k === l)); });
      if (tell) frame({ type: 'language', lang: l });
    }

    function frame(obj) {
      var s = JSON.stringify(obj);
      if (ready && ws && ws.readyState === 1) ws.send(s); else queue.push(s);
    }

    function addUser(text) {
      var m = el('div', { class: 'msg user' });
      m.appendChild(el('span', { class: 'sr-only' }, t().you + ': '));
      m.appendChild(document.createTextNode(text));
      log.appendChild(m);
      log.scrollTop = log.scrollHeight;
    }

    function addReply(f) {
      var m = el('div', { class: 'msg bot ' + f.kind, 'data-kind': f.kind, lang: f.lang });
      if (f.topic) m.setAttribute('data-topic', f.topic);
      m.appendChild(el('span', { class: 'sr-only' }, t().bot + ': '));
      var body = el('div', { class: 'body' });
      body.innerHTML = f.html; // server-rendered, escaped HTML with only p/ul/ol/li/a
      body.querySelectorAll('a').forEach(function (a) { a.target = '_blank'; a.rel = 'noopener noreferrer'; });
      m.appendChild(body);
      if (f.suggestions && f.suggestions.length) {
        var s = el('div', { class: 'suggestions' });
        f.suggestions.forEach(function (sg) {
          var b = el('button', { type: 'button', 'data-topic': sg.topic }, sg.label);
          b.addEventListener('click', function () { addUser(sg.label); frame({ type: 'topic', id: sg.topic }); });
          s.appendChild(b);
        });
        m.appendChild(s);
      }
      if (f.feedback) {
        var r = el('div', { class: 'rate' });
        [[true, '👍', t().helpful], [false, '👎', t().unhelpful]].forEach(function (v) {
          var b = el('button', { type: 'button', 'aria-label': v[2], 'data-helpful': String(v[0]) }, v[1]);
          b.addEventListener('click', function () {
            awaitingThanks = true;
            frame({ type: 'feedback', reply: f.feedback, helpful: v[0] });
            r.querySelectorAll('button').forEach(function (x) { x.disabled = true; });
            b.setAttribute('aria-pressed', 'true');
          });
          r.appendChild(b);
        });
        m.appendChild(r);
      }
      log.appendChild(m);
      // A long answer is read from its start: scroll so that it begins at the top of the log,
      // not so that its end shows (on a phone or zoomed in, the start would be off screen).
      if (m.offsetHeight > log.clientHeight) log.scrollTop = m.offsetTop - 8;
      else log.scrollTop = log.scrollHeight;
    }

    function connect() {
      status.textContent = t().connecting;
      ws = new WebSocket(wsUrl);
      ws.onopen = function () {
        var chat = null;
        try { chat = sessionStorage.getItem(storeKey); } catch (e) { /* storage may be blocked */ }
        ws.send(JSON.stringify({ type: 'hello', chat: chat, lang: lang }));
      };
      ws.onmessage = function (ev) {
        var f;
        try { f = JSON.parse(ev.data); } catch (e) { return; }
        if (f.type === 'ready') {
          ready = true;
          status.textContent = '';
          try { sessionStorage.setItem(storeKey, f.chat); } catch (e) { /* ignore */ }
          while (queue.length) ws.send(queue.shift());
        } else if (f.type === 'reply') {
          // The interface follows the conversation's language.
          if (f.lang && f.lang !== lang && UI[f.lang]) setLang(f.lang, false);
          if (f.kind === 'acknowledgement' && awaitingThanks) { awaitingThanks = false; status.textContent = f.text; return; }
          addReply(f);
        } else if (f.type === 'history') {
          // A reload: draw the conversation as stored (the user's messages as redacted).
          if (!log.querySelector('.msg')) {
            (f.messages || []).forEach(function (h) {
              if (h.role === 'user') { addUser(h.text); return; }
              var m = el('div', { class: 'msg bot history', lang: h.lang });
              m.appendChild(el('span', { class: 'sr-only' }, t().bot + ': '));
              h.text.split(/\n{2,}/).forEach(function (para) { m.appendChild(el('p', {}, para)); });
              log.appendChild(m);
            });
            log.scrollTop = log.scrollHeight;
          }
        } else if (f.type === 'error') {
          status.textContent = (t().errors[f.code] || f.message);
        }
      };
      ws.onclose = function () {
        ready = false;
        if (restarting) { restarting = false; connect(); return; }
        status.textContent = t().offline;
        setTimeout(connect, 2000);
      };
    }

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var text = input.value.trim();
      if (!text) { status.textContent = t().errors.empty; return; }
      if (new TextEncoder().encode(text).length > maxBytes) { status.textContent = t().errors.too_large; return; }
      addUser(text);
      frame({ type: 'message', text: text });
      input.value = '';
      input.focus();
    });
    input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
    });

    setLang(lang, false);
    connect();
    return { setLang: function (l) { setLang(l, true); } };
  }

  window.KanavaChat = { mount: mount };
})();
