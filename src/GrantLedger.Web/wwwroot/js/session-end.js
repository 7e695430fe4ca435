// The page session's end (the layout's #session-end banner). A session ends after some minutes without a request, or some
// hours after signing in however busy (Access/CookieSessions.cs). From its warning time the banner says when; if the end
// comes for want of use it offers "Stay signed in". Before it warns, and when the end comes, it asks the service
// (GET /session, which does not count as use) whether the session has been used since, in another tab say, and if so
// waits for the new time. When the session has ended it says so, with a link to sign in again; the page itself stays,
// so that what was typed can be copied. Times come as milliseconds from now, so the computer's own clock does not matter.
const banner = document.getElementById('session-end');
if (banner) {
  const field = (name) => banner.querySelector(`[data-field=${name}]`);
  const keep = field('keep').querySelector('button');
  const why = (idle) => idle
    ? `For your security you are signed out after ${banner.dataset.idleMinutes} minutes without using GrantLedger.`
    : `For your security you are signed out ${banner.dataset.hours} hours after you sign in.`;
  let idle = banner.dataset.idle === 'true';
  let timers = [];
  let over = false;
  let focusedBefore = null;

  const show = () => {
    if (!banner.hidden) return;
    focusedBefore = document.activeElement;
    banner.hidden = false;
    banner.setAttribute('role', 'alert'); // read out as it appears
  };
  const hide = () => {
    if (banner.hidden) return;
    const hadFocus = banner.contains(document.activeElement);
    banner.hidden = true;
    banner.setAttribute('role', 'region');
    if (hadFocus && focusedBefore && document.contains(focusedBefore)) focusedBefore.focus();
  };
  const warn = (status) => {
    field('heading').textContent = `You will be signed out at ${status.at}`;
    field('text').textContent = `${why(status.idle)} ${status.idle
      ? 'Anything not sent is lost when you are signed out.'
      : 'Send or save what you are working on before then: anything not sent is lost when you are signed out.'}`;
    field('keep').hidden = !status.idle;
    show();
  };
  const ended = () => {
    over = true;
    timers.forEach(clearTimeout);
    field('heading').textContent = 'You have been signed out';
    field('text').textContent = `${why(idle)} Anything on this page that was not sent has not been saved.`;
    field('keep').hidden = true;
    field('again').hidden = false;
    banner.hidden = true; // shown afresh, so that the alert is read out again
    show();
  };
  const schedule = (status) => {
    timers.forEach(clearTimeout);
    idle = status.idle;
    if (status.warnIn > 0) {
      hide();
      timers = [setTimeout(check, status.warnIn)];
    } else {
      warn(status);
      timers = [];
    }
    timers.push(setTimeout(check, status.endsIn));
  };
  // What the service says of the session now; the same again in 30 s if it cannot be asked (the service restarting, say).
  const answer = async (response) => {
    if (over) return;
    if (response.status === 401) return ended();
    if (!response.ok) throw new Error(`GET /session answered ${response.status}`);
    const status = await response.json();
    if (status.endsIn <= 0) ended(); else schedule(status);
  };
  const check = () => fetch('/session', { credentials: 'same-origin', cache: 'no-store' })
    .then(answer)
    .catch(() => { if (!over) timers.push(setTimeout(check, 30_000)); });

  keep.addEventListener('click', () => {
    const token = document.querySelector('input[name=__RequestVerificationToken]');
    keep.disabled = true;
    fetch('/session', { method: 'POST', credentials: 'same-origin', headers: token ? { RequestVerificationToken: token.value } : {} })
      .then(answer)
      .catch(() => {})
      .finally(() => { keep.disabled = false; });
  });
  document.addEventListener('visibilitychange', () => { if (!document.hidden && !over) check(); }); // timers sleep in a hidden tab

  const at = field('heading').textContent.replace('You will be signed out at ', '');
  const madeShown = !banner.hidden;
  schedule({ warnIn: Number(banner.dataset.warnIn), endsIn: Number(banner.dataset.endsIn), at, idle });
  if (madeShown) field('keep').hidden = !idle;
}
