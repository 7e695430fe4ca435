// Starts GOV.UK Frontend's components (loaded as a module from the layout).
import { initAll } from '/govuk/govuk-frontend.min.js';
initAll();
