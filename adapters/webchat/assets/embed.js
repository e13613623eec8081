// Embed snippet for other sites (their origin must be in webchat.allowed_origins):
//   <script src="https://chat.example.fi/embed.js" data-lang="fi" async></script>
(function () {
  'use strict';
  var me = document.currentScript;
  var server = new URL(me.src).origin;
  var lang = me.getAttribute('data-lang') || 'fi';
  var css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = server + '/chat.css';
  document.head.appendChild(css);
  var labels = { fi: 'Avaa chat', sv: 'Öppna chatten', en: 'Open chat' };
  var toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.textContent = '💬';
  toggle.setAttribute('aria-label', labels[lang] || labels.fi);
  toggle.setAttribute('aria-expanded', 'false');
  toggle.style.cssText = 'position:fixed;right:1rem;bottom:1rem;z-index:2147483000;width:3.5rem;height:3.5rem;border-radius:50%;font-size:1.5rem;border:0;background:#0b5394;color:#fff;cursor:pointer';
  var panel = document.createElement('div');
  panel.style.cssText = 'position:fixed;right:1rem;bottom:5.5rem;z-index:2147483000;width:min(26rem,calc(100vw - 2rem));display:none';
  document.body.appendChild(panel);
  document.body.appendChild(toggle);
  var mounted = false;
  toggle.addEventListener('click', function () {
    var open = panel.style.display === 'none';
    panel.style.display = open ? 'block' : 'none';
    toggle.setAttribute('aria-expanded', String(open));
    if (open && !mounted) {
      var s = document.createElement('script');
      s.src = server + '/chat.js';
      s.onload = function () { window.KanavaChat.mount(panel, { server: server, lang: lang }); mounted = true; panel.querySelector('textarea').focus(); };
      document.head.appendChild(s);
    } else if (open) {
      panel.querySelector('textarea').focus();
    }
  });
})();
