// Keeps export jobs' progress up to date: polls GET /api/v1/exports/{id} (the API, with the same
// cookie) for each job on the page that has not finished. Progressive enhancement: without
// JavaScript the page offers a link to refresh it. A file, not inline: the CSP allows no inline script.
const words = { queued: 'Waiting to start', running: 'In progress', succeeded: 'Ready', failed: 'Failed' };
const colours = { succeeded: 'govuk-tag--green', failed: 'govuk-tag--red' };
const finished = (state) => state === 'succeeded' || state === 'failed';
const announcement = document.getElementById('export-announcement');

function show(job, view) {
  const field = (name) => job.querySelector(`[data-field="${name}"]`);
  const tag = field('state');
  tag.textContent = words[view.state] || view.state;
  tag.className = `govuk-tag ${colours[view.state] || ''}`.trim();
  const progress = job.querySelector('progress');
  progress.value = view.percentDone;
  progress.textContent = `${view.percentDone}%`;
  field('percent').textContent = String(view.percentDone);
  if (finished(view.state)) {
    field('running').classList.add('govuk-!-display-none');
    if (view.state === 'succeeded') {
      field('file-name').textContent = view.fileName || '';
      field('ready').classList.remove('govuk-!-display-none');
    } else {
      field('error').textContent = view.error || '';
    }
    if (announcement) announcement.textContent = `Export ${view.id}: ${view.state === 'succeeded' ? 'ready to download' : 'failed. ' + (view.error || '')}`;
  }
  job.dataset.state = view.state;
}

async function poll(job) {
  while (!finished(job.dataset.state)) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    try {
      const response = await fetch(`/api/v1/exports/${job.dataset.exportJob}`, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (!response.ok) return; // signed out or refused: the refresh link still works
      show(job, await response.json());
    } catch {
      return;
    }
  }
}

document.querySelectorAll('[data-export-job]').forEach((job) => { if (!finished(job.dataset.state)) poll(job); });
