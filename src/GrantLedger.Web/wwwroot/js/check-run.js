// Shows a run of the ledger's checks when it finishes: polls GET /api/v1/audit/check-runs/{id} (the API, with the same
// cookie) while the run on the page waits or runs, then reloads the page, which then shows its report. Progressive
// enhancement: without JavaScript the page offers a link to refresh it. A file, not inline: the CSP allows no inline script.
const run = document.querySelector('[data-check-run]');
const finished = (state) => state === 'succeeded' || state === 'failed';
const announcement = document.getElementById('check-run-announcement');

async function poll() {
  while (!finished(run.dataset.state)) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    try {
      const response = await fetch(`/api/v1/audit/check-runs/${run.dataset.checkRun}`, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (!response.ok) return; // signed out or refused: the refresh link still works
      const view = await response.json();
      if (view.state !== run.dataset.state && announcement) announcement.textContent = `Run ${view.id}: ${view.state === 'running' ? 'running' : 'finished'}`;
      run.dataset.state = view.state;
    } catch {
      return;
    }
  }
  window.location.reload();
}

if (run && !finished(run.dataset.state)) poll();
