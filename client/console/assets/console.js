// The operator console's only script: keeps the page live and sends its forms.
// Every element with data-live is refreshed from the same URL every few seconds, except a
// region marked data-keep-while-editing while a person is typing in it. Forms posted through
// fetch show their answer in #notice; without this script they still work as plain posts.
(() => {
  'use strict';
  const pollMs = Number(document.body.dataset.pollMs || 0);
  const notice = document.getElementById('notice');
  let busy = false;

  function show(message, ok) {
    if (!notice) return;
    notice.textContent = message;
    notice.className = ok ? 'notice ok' : 'notice error';
    notice.hidden = false;
  }

  function editing(region) {
    const active = document.activeElement;
    if (active && active !== document.body && region.contains(active) && active.matches('input, textarea, select')) return true;
    return Array.from(region.querySelectorAll('input[type=text], textarea')).some((input) => input.value.trim() !== '');
  }

  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const response = await fetch(location.href, { headers: { 'X-Console-Live': '1' }, cache: 'no-store', credentials: 'same-origin' });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
      for (const next of fresh.querySelectorAll('[data-live]')) {
        const current = document.querySelector('[data-live="' + CSS.escape(next.dataset.live) + '"]');
        if (!current || current.innerHTML === next.innerHTML) continue;
        if (current.hasAttribute('data-keep-while-editing') && editing(current)) continue;
        current.replaceWith(document.importNode(next, true));
      }
      document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
      // An ended procedure does not change any more.
      if (fresh.body.dataset.pollMs === '0') clearInterval(timer);
    } catch (err) {
      // The next poll tries again; the page keeps what it shows.
    } finally {
      busy = false;
    }
  }

  document.addEventListener('submit', async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== 'post') return;
    event.preventDefault();
    const button = event.submitter;
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    const action = button && button.hasAttribute('formaction') ? button.formAction : form.action;
    const body = new URLSearchParams(new FormData(form, button || undefined));
    let ok = false;
    let message;
    try {
      const response = await fetch(action, { method: 'POST', body, headers: { Accept: 'application/json' }, credentials: 'same-origin' });
      ok = response.ok;
      const answer = await response.json().catch(() => ({ message: response.status + ' ' + response.statusText }));
      message = answer.message;
    } catch (err) {
      message = 'the console did not answer: ' + err;
    }
    show(message, ok);
    if (ok) form.reset();
    await refresh();
  });

  const timer = pollMs > 0 ? setInterval(refresh, pollMs) : undefined;
})();
