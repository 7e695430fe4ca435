// The page session's end (the layout's #session-end banner): shown from its warning time, and changed to say the session
// has ended when it has, with a link to sign in again; the page itself stays, so that what was typed can be copied.
// Times come as milliseconds from when the page was made, so the computer's own clock does not matter.
const banner = document.getElementById('session-end');
if (banner) {
  const warnIn = Number(banner.dataset.warnIn);
  const endsIn = Number(banner.dataset.endsIn);
  const show = () => {
    if (!banner.hidden) return;
    banner.hidden = false;
    banner.setAttribute('role', 'alert'); // read out as it appears
  };
  const ended = () => {
    banner.querySelector('[data-field=heading]').textContent = 'You have been signed out';
    banner.querySelector('[data-field=text]').textContent =
      `For your security you are signed out ${banner.dataset.hours} hours after you sign in. Anything on this page that was not sent has not been saved.`;
    banner.querySelector('[data-field=again]').hidden = false;
    banner.hidden = true; // shown afresh, so that the alert is read out again
    show();
  };
  setTimeout(show, warnIn);
  setTimeout(ended, endsIn);
}
