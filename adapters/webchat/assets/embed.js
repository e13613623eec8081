// Embed snippet for other sites (their origin must be in webchat.allowed_origins):
//   <script src="https://chat.example.fi/embed.js" data-lang="fi" async></script>
// The chat runs in an iframe from kanava's own origin, so the host page's styles, headings and
// landmarks are untouched and the host's CSS cannot break the chat. This script adds only a
// launcher button and the frame, both styled inline.
(function () {
  'use strict';
  var me = document.currentScript;
  // The chat instance's address: the folder embed.js came from (the origin, or origin + prefix).
  var server = new URL('.', me.src).href.replace(/\/$/, '');
  var lang = me.getAttribute('data-lang') || (document.documentElement.lang || 'fi').slice(0, 2);
  if (['fi', 'sv', 'en'].indexOf(lang) < 0) lang = 'fi';
  var T = {
    fi: { open: 'Avaa chat', close: 'Sulje chat', title: 'Chat', refused: 'Tämä sivusto ei saa upottaa chattia. Chat on käytettävissä osoitteessa ' },
    sv: { open: 'Öppna chatten', close: 'Stäng chatten', title: 'Chatt', refused: 'Den här webbplatsen får inte bädda in chatten. Chatten finns på ' },
    en: { open: 'Open chat', close: 'Close chat', title: 'Chat', refused: 'This site is not allowed to embed the chat. The chat is available at ' }
  }[lang];
  var Z = 2147483000;
  var svg = '<svg aria-hidden="true" focusable="false" width="28" height="28" viewBox="0 0 24 24"><path fill="currentColor" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z"/></svg>';

  var launcher = document.createElement('button');
  launcher.type = 'button';
  launcher.innerHTML = svg + '<span style="position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap">' + T.open + '</span>';
  launcher.setAttribute('aria-expanded', 'false');
  launcher.setAttribute('data-kanava', 'launcher');
  launcher.style.cssText = 'position:fixed;right:1rem;bottom:1rem;z-index:' + Z + ';width:3.5rem;height:3.5rem;border-radius:50%;border:2px solid #fff;background:#0b5394;color:#fff;cursor:pointer;box-shadow:0 2px 6px rgba(0,0,0,.3);display:flex;align-items:center;justify-content:center;padding:0';

  var panel = null;
  var frame = null;

  // Small screens (phones, or a desktop zoomed to 400 %) get the whole viewport; larger ones a
  // floating panel above the launcher.
  function place() {
    if (!panel) return;
    var small = window.innerWidth < 480 || window.innerHeight < 560;
    var s = panel.style;
    s.position = 'fixed';
    s.zIndex = String(Z + 1);
    s.background = '#fff';
    s.boxShadow = '0 4px 16px rgba(0,0,0,.3)';
    if (small) {
      s.top = '0'; s.left = '0'; s.right = '0'; s.bottom = '0';
      s.width = '100%'; s.height = '100%'; s.borderRadius = '0';
    } else {
      s.top = 'auto'; s.left = 'auto'; s.right = '1rem'; s.bottom = '5.5rem';
      s.width = 'min(26rem, calc(100vw - 2rem))';
      s.height = 'min(44rem, calc(100vh - 7rem))';
      s.borderRadius = '8px';
    }
  }

  function build() {
    panel = document.createElement('div');
    panel.setAttribute('data-kanava', 'panel');
    panel.style.display = 'none';
    frame = document.createElement('iframe');
    frame.title = T.title;
    frame.src = server + '/?embed=1&lang=' + encodeURIComponent(lang);
    frame.style.cssText = 'border:0;width:100%;height:100%;display:block;border-radius:inherit';
    panel.appendChild(frame);
    document.body.appendChild(panel);
    place();
  }

  function refused() {
    // The server said no: say so in the panel instead of a chat that never connects.
    panel.innerHTML = '';
    var p = document.createElement('p');
    p.setAttribute('role', 'alert');
    p.style.cssText = 'margin:0;padding:1rem;font:16px/1.45 system-ui,sans-serif;color:#1b1b1b';
    p.textContent = T.refused;
    var a = document.createElement('a');
    a.href = server + '/?lang=' + encodeURIComponent(lang);
    a.textContent = server;
    a.style.color = '#0b5394';
    p.appendChild(a);
    p.appendChild(document.createTextNode('.'));
    var close = document.createElement('button');
    close.type = 'button';
    close.textContent = T.close;
    close.style.cssText = 'margin:0 1rem 1rem;font:inherit;min-height:2.5rem;padding:.3rem .6rem;border:1px solid #0b5394;background:#fff;color:#0b5394;border-radius:4px;cursor:pointer';
    close.addEventListener('click', function () { toggle(false); });
    panel.appendChild(p);
    panel.appendChild(close);
    panel.style.height = 'auto';
  }

  function toggle(open) {
    if (!panel) {
      build();
      fetch(server + '/embed/check', { mode: 'cors', credentials: 'omit' })
        .then(function (r) { if (r.status === 403) refused(); })
        .catch(function () { /* offline: the chat shows its own reconnecting state */ });
    }
    panel.style.display = open ? 'block' : 'none';
    launcher.setAttribute('aria-expanded', String(open));
    launcher.querySelector('span').textContent = open ? T.close : T.open;
    if (open) {
      if (frame && frame.isConnected) frame.focus();
    } else {
      launcher.focus();
    }
  }

  launcher.addEventListener('click', function () {
    toggle(!panel || panel.style.display === 'none');
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && panel && panel.style.display !== 'none') toggle(false);
  });
  // The chat inside the frame asks to close (its close button, or Escape inside it).
  window.addEventListener('message', function (e) {
    if (e.origin === server && e.data === 'kanava:close') toggle(false);
  });
  window.addEventListener('resize', place);
  document.body.appendChild(launcher);
})();
